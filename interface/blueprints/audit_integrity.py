"""Tamper evidence for auditors: the hash chain, its signed checkpoints, the key."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from application.integrity import IntegrityChain, PublicKey
from application.integrity_check import IntegrityReport
from interface.auth import requires
from interface.blueprints.documenting import problems
from interface.schemas.integrity import (
    CheckpointSchema,
    IntegrityReportSchema,
    PublicKeySchema,
)
from interface.schemas.lists import PageArgsSchema, page_of
from interface.views import BadCursorError

blp = Blueprint(
    "audit_integrity",
    __name__,
    url_prefix="/api/v1",
    description="Tamper evidence: the hash chain over the log and its signatures",
)

AUDIT_READ = "audit:read"


def integrity() -> IntegrityChain:
    chain: IntegrityChain = current_app.extensions["sellerguard"].integrity
    return chain


@blp.get("/audit/integrity")
@requires(blp, AUDIT_READ)
@blp.response(200, IntegrityReportSchema)
def verify_integrity() -> IntegrityReport:
    """Link the newest events, then recompute the chain and check every checkpoint.

    `first_failure.reason` is `changed`, `removed`, `inserted`, `reordered`
    (the stored events differ from what was linked), `link_mismatch` (the
    links were altered but the events match a signed checkpoint),
    `checkpoint_mismatch` or `bad_signature`.
    """
    chain = integrity()
    chain.extend()
    return chain.verify()


@blp.get("/audit/checkpoints")
@requires(blp, AUDIT_READ)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(CheckpointSchema))
@problems(blp, 422)
def list_checkpoints(args: dict[str, Any]) -> dict[str, Any]:
    """The signed checkpoints, oldest first; `next` is the cursor of the next page."""
    limit = args["limit"]
    items = integrity().checkpoints(_position(args["cursor"]), limit + 1)
    page = items[:limit]
    return {
        "items": page,
        "next": str(page[-1].position) if len(items) > limit else None,
    }


@blp.get("/audit/public-key")
@requires(blp, AUDIT_READ)
@blp.response(200, PublicKeySchema)
def public_key() -> PublicKey:
    """The Ed25519 public key that checks the checkpoints' signatures."""
    return integrity().public_key()


def _position(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise BadCursorError(cursor)
    return int(cursor)
