"""Schemas of the platform's own people and services, as admins list them."""

from __future__ import annotations

import marshmallow as ma

from interface.schemas.fields import Timestamp


class StaffMemberSchema(ma.Schema):
    """A staff account: never its password hash, codes or passkeys."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True, metadata={"example": "agent.one"})
    role = ma.fields.String(
        required=True,
        metadata={
            "enum": ["support_agent", "auditor", "platform_admin"],
            "example": "support_agent",
        },
    )
    status = ma.fields.String(required=True, metadata={"example": "active"})
    two_step = ma.fields.Boolean(
        required=True,
        metadata={"description": "Whether a second step (codes or a passkey) is on"},
    )
    created_at = Timestamp(required=True)
    last_active_at = Timestamp(
        required=True,
        allow_none=True,
        metadata={"description": "The latest sign-in or use of a session; null: never"},
    )


class ServiceKeyEntrySchema(ma.Schema):
    """A service key: never its value nor its hash."""

    id = ma.fields.UUID(required=True)
    name = ma.fields.String(required=True, metadata={"example": "checkout"})
    scopes = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"example": ["blocklist:check"]},
    )
    created_at = Timestamp(required=True)
    revoked = ma.fields.Boolean(required=True)
