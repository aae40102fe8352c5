"""Schemas of read-model items: login history and alerts."""

from __future__ import annotations

import marshmallow as ma


class LoginRecordSchema(ma.Schema):
    """One sign-in attempt."""

    at = ma.fields.String(required=True, metadata={"format": "date-time"})
    outcome = ma.fields.String(
        required=True, metadata={"enum": ["succeeded", "failed", "locked"]}
    )
    ip = ma.fields.String(required=True)
    user_agent = ma.fields.String(required=True)
    device_id = ma.fields.String(required=True)
    new_device = ma.fields.Boolean(required=True)


class AlertSchema(ma.Schema):
    """Something the shop's owner should know about."""

    id = ma.fields.String(required=True)
    at = ma.fields.String(required=True, metadata={"format": "date-time"})
    kind = ma.fields.String(required=True)
    severity = ma.fields.String(
        required=True, metadata={"enum": ["info", "warning", "high", "critical"]}
    )
    detail = ma.fields.String(required=True)
