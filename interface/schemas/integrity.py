"""Schemas of the integrity chain: its verification, checkpoints and public key."""

from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma

from application.integrity_check import Reason
from interface.schemas.fields import Timestamp


class Hex(ma.fields.String):
    """Bytes as lower-case hexadecimal."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else bytes(value).hex()


class Base64(ma.fields.String):
    """Bytes as standard base64."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else base64.b64encode(value).decode("ascii")


class HeadSchema(ma.Schema):
    """The newest verified position and the chain's SHA-256 there (hex)."""

    position = ma.fields.Integer(required=True)
    hash = ma.fields.String(required=True)


class FailureSchema(ma.Schema):
    """The first position where verification failed, and why."""

    position = ma.fields.Integer(required=True)
    reason = ma.fields.String(
        required=True,
        metadata={"enum": [r.value for r in Reason]},
    )


class IntegrityReportSchema(ma.Schema):
    """Whether the log is exactly what was linked and signed."""

    ok = ma.fields.Boolean(required=True)
    events_verified = ma.fields.Integer(required=True)
    head = ma.fields.Nested(
        HeadSchema,
        required=True,
        allow_none=True,
        metadata={"description": "null while the log is empty"},
    )
    checkpoints_verified = ma.fields.Integer(required=True)
    first_failure = ma.fields.Nested(FailureSchema, required=True, allow_none=True)


class CheckpointSchema(ma.Schema):
    """The chain's hash at a position, signed with the key of ``/audit/public-key``.

    The signature covers the UTF-8 bytes of
    ``sellerguard-checkpoint:v1:<position>:<hash>:<signed_at>``, each value
    exactly as shown here.
    """

    position = ma.fields.Integer(required=True)
    hash = Hex(required=True, metadata={"description": "SHA-256, hex"})
    signed_at = Timestamp(required=True)
    signature = Base64(required=True, metadata={"description": "Ed25519, base64"})
    key_id = ma.fields.String(required=True)


class PublicKeySchema(ma.Schema):
    """The key that checks checkpoint signatures."""

    key_id = ma.fields.String(
        required=True,
        metadata={"description": "first 16 hex digits of SHA-256 of the raw key"},
    )
    algorithm = ma.fields.String(required=True, metadata={"enum": ["Ed25519"]})
    public_key_pem = ma.fields.String(required=True)
