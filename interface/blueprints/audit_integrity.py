"""Tamper evidence for auditors: the hash chain, its signed checkpoints, the key."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from application.integrity import PublicKey
from application.integrity_check import IntegrityReport
from interface.auth import requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.pages import cursor_position, page
from interface.schemas.integrity import (
    CheckpointSchema,
    IntegrityReportSchema,
    PublicKeySchema,
)
from interface.schemas.lists import PageArgsSchema, page_of

blp = Blueprint(
    "audit_integrity",
    __name__,
    url_prefix="/api/v1",
    description="Tamper evidence: the hash chain over the log and its signatures",
)

AUDIT_READ = "audit:read"


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
    chain = services().integrity
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
    after = cursor_position(args["cursor"]) or 0
    read = services().integrity.checkpoints(after, limit + 1)
    return page(read, limit, lambda checkpoint: checkpoint.position)


@blp.get("/audit/public-key")
@requires(blp, AUDIT_READ)
@blp.response(200, PublicKeySchema)
def public_key() -> PublicKey:
    """The Ed25519 public key that checks the checkpoints' signatures."""
    return services().integrity.public_key()
