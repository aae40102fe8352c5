"""Schemas of store health: the daily inspection and portfolios."""

from __future__ import annotations

import marshmallow as ma

from interface.schemas.fields import Timestamp

STATUSES = ["ok", "warn", "fail"]
ITEMS = [
    "store_status",
    "inactivity",
    "owner_two_step",
    "sub_accounts_two_step",
    "dormant_sub_accounts",
    "sign_in_risk",
    "recovery",
    "payout_account",
    "security_center",
    "block_list",
]


class StoreStateSchema(ma.Schema):
    """The store the checklist is about."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, metadata={"enum": ["active", "frozen", "closed"]}
    )
    last_activity_at = Timestamp(required=True)
    inactive_days = ma.fields.Integer(required=True)
    closes_at = Timestamp(required=True, allow_none=True)


class CheckSchema(ma.Schema):
    """One checklist item: its verdict and a sentence about it."""

    item = ma.fields.String(required=True, metadata={"enum": ITEMS})
    status = ma.fields.String(required=True, metadata={"enum": STATUSES})
    detail = ma.fields.String(required=True)


class InspectionSchema(ma.Schema):
    """A store's daily checklist."""

    store = ma.fields.Nested(StoreStateSchema, required=True)
    checks = ma.fields.List(ma.fields.Nested(CheckSchema), required=True)
    generated_at = Timestamp(required=True)


class SummarySchema(ma.Schema):
    """How many stores have each worst verdict."""

    ok = ma.fields.Integer(required=True)
    warn = ma.fields.Integer(required=True)
    fail = ma.fields.Integer(required=True)


class PortfolioInspectionSchema(ma.Schema):
    """Every store of the portfolio, worst first."""

    stores = ma.fields.List(ma.fields.Nested(InspectionSchema), required=True)
    summary = ma.fields.Nested(SummarySchema, required=True)


class InvitationSchema(ma.Schema):
    """A one-time code to link another store; shown once."""

    code = ma.fields.String(required=True)
    expires_at = Timestamp(required=True)


class LinkSchema(ma.Schema):
    """The code another store made."""

    code = ma.fields.String(
        required=True, validate=ma.validate.Length(min=1, max=64), load_only=True
    )


class StoreRefSchema(ma.Schema):
    """A store of a portfolio."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)


class PortfolioSchema(ma.Schema):
    """A portfolio and its stores."""

    portfolio_id = ma.fields.UUID(required=True)
    stores = ma.fields.List(ma.fields.Nested(StoreRefSchema), required=True)
