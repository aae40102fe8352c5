"""Schemas of the Merkle log: verification, checkpoints, proofs and the public key."""

from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma

from application.log_check import Reason
from interface.schemas.fields import Timestamp


class Base64(ma.fields.String):
    """Bytes as standard base64."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else base64.b64encode(value).decode("ascii")


class HeadSchema(ma.Schema):
    """The tree over every stored event: its size and RFC 6962 root."""

    size = ma.fields.Integer(required=True)
    root = Base64(required=True, metadata={"description": "SHA-256, base64"})


class FailureSchema(ma.Schema):
    """The first position where verification failed, and why."""

    position = ma.fields.Integer(required=True)
    reason = ma.fields.String(
        required=True,
        metadata={"enum": [r.value for r in Reason]},
    )


class IntegrityReportSchema(ma.Schema):
    """Whether the stored log is exactly what was signed; nothing is written."""

    ok = ma.fields.Boolean(required=True)
    events_verified = ma.fields.Integer(
        required=True,
        metadata={"description": "events covered by the newest verified checkpoint"},
    )
    unsealed = ma.fields.Integer(
        required=True, metadata={"description": "events after that checkpoint"}
    )
    head = ma.fields.Nested(HeadSchema, required=True)
    checkpoints_verified = ma.fields.Integer(required=True)
    first_failure = ma.fields.Nested(FailureSchema, required=True, allow_none=True)


class CheckpointSchema(ma.Schema):
    """A signed tree head (C2SP signed note, ``note``), by the key of
    ``/audit/public-key``; ``signature`` is Ed25519 over the note's body."""

    size = ma.fields.Integer(required=True)
    position = ma.fields.Integer(
        required=True, metadata={"description": "of the last event it covers"}
    )
    hash = Base64(required=True, attribute="root", metadata={"description": "root"})
    signed_at = Timestamp(required=True)
    signature = Base64(required=True, metadata={"description": "Ed25519, base64"})
    key_id = ma.fields.String(required=True, metadata={"description": "4 bytes, hex"})
    note = ma.fields.String(required=True)


class PublicKeySchema(ma.Schema):
    """The key that checks checkpoint signatures."""

    key_id = ma.fields.String(
        required=True,
        metadata={"description": "the C2SP signed-note key id of the newest key, hex"},
    )
    algorithm = ma.fields.String(required=True, metadata={"enum": ["Ed25519"]})
    public_key_pem = ma.fields.String(
        required=True, metadata={"description": "every key, the newest last"}
    )
    origin = ma.fields.String(required=True)


class InclusionArgsSchema(ma.Schema):
    position = ma.fields.Integer(required=True, validate=ma.validate.Range(1))
    size = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(1),
        metadata={"description": "default: the newest checkpoint's"},
    )


class InclusionProofSchema(ma.Schema):
    """RFC 6962 audit path of one event (hashes base64)."""

    position = ma.fields.Integer(required=True)
    leaf_index = ma.fields.Integer(required=True)
    size = ma.fields.Integer(required=True)
    leaf_hash = Base64(required=True)
    proof = ma.fields.List(Base64(), required=True)
    root = Base64(required=True)


class ConsistencyArgsSchema(ma.Schema):
    from_ = ma.fields.Integer(
        required=True, data_key="from", validate=ma.validate.Range(1)
    )
    to = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(1),
        metadata={"description": "default: the newest checkpoint's size"},
    )


class ConsistencyProofSchema(ma.Schema):
    """RFC 6962 proof that the tree of ``to`` leaves extends that of ``from``."""

    from_ = ma.fields.Integer(required=True, data_key="from", attribute="old")
    to = ma.fields.Integer(required=True, attribute="new")
    proof = ma.fields.List(Base64(), required=True)
    from_root = Base64(required=True, attribute="old_root")
    to_root = Base64(required=True, attribute="new_root")
