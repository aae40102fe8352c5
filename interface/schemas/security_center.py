"""Schemas of the Security Center: risk signals, flagged items, the dashboard."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from domain.risk_signal import Category, SubjectKind, Verdict
from interface.schemas.audit import Moment
from interface.schemas.block_lists import BUYER
from interface.schemas.fields import Pattern, Timestamp
from interface.schemas.lists import DEFAULT_LIMIT, MAX_LIMIT

EXTERNAL_ID = Pattern(
    r"^[^\s\x00-\x1f\x7f]{1,128}$",
    error="An id is 1 to 128 characters without spaces.",
)
NOTE = ma.validate.Length(max=1000)
CURSOR = Pattern(r"^[0-9]{1,18}$", error="Not a cursor this list gave.")


def _id(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=EXTERNAL_ID, **kwargs)


class RiskSignalSchema(ma.Schema):
    """What the risk engine found."""

    signal_id = _id(required=True, metadata={"example": "sig-2026-000017"})
    seller_id = ma.fields.UUID(required=True)
    subject_kind = ma.fields.Enum(SubjectKind, by_value=True, required=True)
    subject_id = _id(required=True, metadata={"example": "order-88172"})
    order_id = _id(
        load_default=None,
        allow_none=True,
        metadata={"description": "For a refund: the order it belongs to."},
    )
    verdict = ma.fields.Enum(Verdict, by_value=True, required=True)
    category = ma.fields.Enum(Category, by_value=True, required=True)
    buyer = ma.fields.String(load_default=None, allow_none=True, validate=BUYER)
    detail = ma.fields.String(load_default=None, allow_none=True, validate=NOTE)
    occurred_at = Moment(
        load_default=None,
        allow_none=True,
        metadata={"description": "When it happened (default: when it arrives)."},
    )


class SignalViewSchema(ma.Schema):
    """A recorded signal."""

    id = ma.fields.UUID(required=True)
    signal_id = ma.fields.String(required=True)
    seller_id = ma.fields.UUID(required=True)
    subject_kind = ma.fields.String(required=True)
    subject_id = ma.fields.String(required=True)
    order_id = ma.fields.String(required=True, allow_none=True)
    verdict = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    buyer = ma.fields.String(required=True, allow_none=True)
    detail = ma.fields.String(required=True, allow_none=True)
    occurred_at = Timestamp(required=True)
    received_at = Timestamp(required=True)


class PageArgs(ma.Schema):
    """Which page of a list."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT)
    )
    cursor = ma.fields.String(load_default=None, validate=CURSOR)


class DashboardArgsSchema(ma.Schema):
    """Over how many days."""

    days = ma.fields.Integer(load_default=7, validate=ma.validate.OneOf([7, 30, 90]))


class InterceptedArgsSchema(PageArgs):
    """Which intercepted actions."""

    category = ma.fields.Enum(Category, by_value=True, load_default=None)


class RiskItemArgsSchema(PageArgs):
    """Open or decided items."""

    status = ma.fields.String(
        load_default="open", validate=ma.validate.OneOf(["open", "decided"])
    )


class DecisionsArgsSchema(PageArgs):
    """Decisions since a moment."""

    since = Moment(load_default=None)


def _decision(*choices: str) -> type[ma.Schema]:
    fields: dict[str, ma.fields.Field[Any]] = {
        "decision": ma.fields.String(
            required=True, validate=ma.validate.OneOf(list(choices))
        ),
        "note": ma.fields.String(load_default="", validate=NOTE),
    }
    name = "".join(c.title() for c in choices) + "DecisionSchema"
    return ma.Schema.from_dict(fields, name=name)


OrderDecisionSchema = _decision("cancel", "keep")
RefundDecisionSchema = _decision("reject", "accept")


class InterceptedSchema(ma.Schema):
    """An action the platform stopped."""

    id = ma.fields.String(required=True)
    subject_kind = ma.fields.String(required=True)
    subject_id = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    buyer = ma.fields.String(required=True, allow_none=True)
    detail = ma.fields.String(required=True, allow_none=True)
    occurred_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class RiskItemSchema(ma.Schema):
    """A flagged order or refund, open or decided."""

    id = ma.fields.String(required=True)
    order_id = ma.fields.String(required=True, allow_none=True)
    refund_id = ma.fields.String()
    category = ma.fields.String(required=True)
    buyer = ma.fields.String(required=True, allow_none=True)
    detail = ma.fields.String(required=True, allow_none=True)
    flagged_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    status = ma.fields.String(required=True, metadata={"enum": ["open", "decided"]})
    decision = ma.fields.String(required=True, allow_none=True)
    note = ma.fields.String(required=True, allow_none=True)
    decided_by = ma.fields.String(required=True, allow_none=True)
    decided_at = ma.fields.String(
        required=True, allow_none=True, metadata={"format": "date-time"}
    )
    penalty_waived = ma.fields.Boolean(required=True)


class DecisionFeedSchema(ma.Schema):
    """A decision, for the performance service."""

    id = ma.fields.String(required=True)
    subject_kind = ma.fields.String(required=True)
    subject_id = ma.fields.String(required=True)
    decision = ma.fields.String(required=True)
    penalty_waived = ma.fields.Boolean(required=True)
    decided_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class PeriodSchema(ma.Schema):
    """The dashboard's period."""

    start = Timestamp(required=True, data_key="from", attribute="from")
    to = Timestamp(required=True)


class DayCountSchema(ma.Schema):
    """Intercepted actions of one UTC day."""

    date = ma.fields.String(required=True, metadata={"format": "date"})
    count = ma.fields.Integer(required=True)


class InterceptedSummarySchema(ma.Schema):
    """What the platform stopped in the period."""

    total = ma.fields.Integer(required=True)
    by_category = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), required=True
    )
    by_day = ma.fields.List(ma.fields.Nested(DayCountSchema), required=True)


class AccountSummarySchema(ma.Schema):
    """How well the shop's accounts are protected."""

    two_step_enabled = ma.fields.Boolean(required=True)
    sub_accounts_without_two_step = ma.fields.Integer(required=True)
    dormant_sub_accounts = ma.fields.Integer(required=True)
    failed_sign_ins_7d = ma.fields.Integer(required=True)
    new_devices_7d = ma.fields.Integer(required=True)
    active_blocks = ma.fields.Integer(required=True)
    open_recovery_case = ma.fields.Boolean(required=True)
    payout_change_pending = ma.fields.Boolean(required=True)


class DashboardSchema(ma.Schema):
    """The Security Center's dashboard."""

    period = ma.fields.Nested(PeriodSchema, required=True)
    intercepted = ma.fields.Nested(InterceptedSummarySchema, required=True)
    open_risk_orders = ma.fields.Integer(required=True)
    open_risk_refunds = ma.fields.Integer(required=True)
    account = ma.fields.Nested(AccountSummarySchema, required=True)
