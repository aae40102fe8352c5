"""Schemas of block lists, the check, and the platform's block-list controls."""

from __future__ import annotations

import re
from typing import Any

import marshmallow as ma

from domain.block_list import BlockReason, BuyerAction, Duration, Scope
from interface.schemas.fields import Pattern, Timestamp

BUYER_PATTERN = re.compile(r"^[^\s/\x00-\x1f\x7f]{1,64}$")
BUYER = Pattern(
    BUYER_PATTERN,
    error="A buyer is a username of 1 to 64 characters without spaces or slashes.",
)


def buyer_field(**kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        required=True, validate=BUYER, metadata={"example": "buyer_4711"}, **kwargs
    )


class BlockBuyerSchema(ma.Schema):
    """A buyer to block."""

    buyer = buyer_field()
    reason = ma.fields.Enum(BlockReason, by_value=True, required=True)
    scope = ma.fields.Enum(Scope, by_value=True, required=True)
    duration = ma.fields.Enum(Duration, by_value=True, required=True)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class BlockEntrySchema(ma.Schema):
    """One block in force."""

    buyer = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
    duration = ma.fields.String(required=True)
    blocked_at = Timestamp(required=True)
    expires_at = Timestamp(required=True, allow_none=True)
    blocked_by = ma.fields.String(required=True, allow_none=True)
    blocked_by_username = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The login name of who made the block"},
    )
    note = ma.fields.String(required=True)


class LimitsSchema(ma.Schema):
    """The marketplace's limits."""

    max_active = ma.fields.Integer(required=True)
    max_per_day = ma.fields.Integer(required=True)


class BlockListSchema(ma.Schema):
    """A shop's block list."""

    items = ma.fields.List(ma.fields.Nested(BlockEntrySchema), required=True)
    next = ma.fields.String(required=True, allow_none=True)
    active_count = ma.fields.Integer(required=True)
    remaining_today = ma.fields.Integer(required=True)
    limits = ma.fields.Nested(LimitsSchema, required=True)


class CheckArgsSchema(ma.Schema):
    """Which buyer wants to do what."""

    buyer = buyer_field()
    action = ma.fields.Enum(BuyerAction, by_value=True, required=True)


class CheckResultSchema(ma.Schema):
    """The answer."""

    allowed = ma.fields.Boolean(required=True)
    blocked = ma.fields.Boolean(required=True)


class LinksSchema(ma.Schema):
    """Usernames that are the same person as the buyer in the path."""

    linked = ma.fields.List(
        buyer_field(), required=True, validate=ma.validate.Length(1, 100)
    )


class ReasonSchema(ma.Schema):
    """Why the platform acts."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class BlockingAccessSchema(ma.Schema):
    """Grant or revoke a shop's right to block buyers."""

    granted = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class PlatformActionSchema(ma.Schema):
    """What the platform did."""

    seller_id = ma.fields.UUID(required=True)
    buyer = ma.fields.String()
    blocking_access = ma.fields.Boolean()
