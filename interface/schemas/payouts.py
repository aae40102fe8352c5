"""Schemas of the payout account."""

from __future__ import annotations

import marshmallow as ma

from interface.schemas.fields import Pattern, Timestamp

TEXT = ma.validate.Length(1, 2000)


class PayoutChangeSchema(ma.Schema):
    """The account the owner wants to be paid into."""

    holder_name = ma.fields.String(required=True, validate=ma.validate.Length(1, 140))
    bank_code = ma.fields.String(
        required=True,
        validate=Pattern(r"^[A-Za-z0-9]{2,11}$", error="2-11 letters or digits"),
    )
    account_number = ma.fields.String(
        required=True,
        load_only=True,
        validate=Pattern(
            r"^[A-Za-z0-9]{6,34}$", error="6-34 letters or digits (no spaces)"
        ),
    )


class CurrentPayoutSchema(ma.Schema):
    """Where payouts go now (last four digits only)."""

    holder_name = ma.fields.String(required=True)
    bank_code = ma.fields.String(required=True)
    account_last4 = ma.fields.String(required=True)
    since = Timestamp(required=True)


class PendingPayoutSchema(ma.Schema):
    """A change waiting out its hold (last four digits only)."""

    holder_name = ma.fields.String(required=True)
    bank_code = ma.fields.String(required=True)
    account_last4 = ma.fields.String(required=True)
    requested_at = Timestamp(required=True)
    effective_at = Timestamp(required=True)


class PayoutAccountSchema(ma.Schema):
    """The owner's payout account."""

    current = ma.fields.Nested(CurrentPayoutSchema, required=True, allow_none=True)
    pending = ma.fields.Nested(PendingPayoutSchema, required=True, allow_none=True)
    payouts_allowed = ma.fields.Boolean(required=True)


class CancelPayoutSchema(ma.Schema):
    """Why support cancels a pending change."""

    reason = ma.fields.String(required=True, validate=TEXT)


class CancelledPayoutSchema(ma.Schema):
    """The pending change is cancelled."""

    seller_id = ma.fields.UUID(required=True)
    cancelled_at = Timestamp(required=True)


class ServiceCurrentPayoutSchema(ma.Schema):
    """Where payouts go now, in full, for the finance service."""

    holder_name = ma.fields.String(required=True)
    bank_code = ma.fields.String(required=True)
    account_number = ma.fields.String(required=True)
    since = Timestamp(required=True)


class ServicePayoutSchema(ma.Schema):
    """Whether money may go out now, and where to."""

    current = ma.fields.Nested(
        ServiceCurrentPayoutSchema, required=True, allow_none=True
    )
    payouts_allowed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
