"""Tamper evidence for auditors and witnesses: the Merkle log, checkpoints, proofs."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from application.log_check import Checkpoint, IntegrityReport
from application.merkle_log import (
    ConsistencyProof,
    InclusionProof,
    MerkleLog,
    ProofRangeError,
    PublicKey,
)
from interface.auth import requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.pages import cursor_position
from interface.problems import problem
from interface.schemas.integrity import (
    CheckpointSchema,
    ConsistencyArgsSchema,
    ConsistencyProofSchema,
    InclusionArgsSchema,
    InclusionProofSchema,
    IntegrityReportSchema,
    PublicKeySchema,
)
from interface.schemas.lists import PageArgsSchema, page_of

blp = Blueprint(
    "audit_integrity",
    __name__,
    url_prefix="/api/v1",
    description="Tamper evidence: the Merkle tree over the log, checkpoints, proofs",
)

AUDIT_READ = "audit:read"
AUDIT_WITNESS = "audit:witness"


def integrity() -> MerkleLog:
    log: MerkleLog = services().integrity
    return log


@blp.get("/audit/integrity")
@requires(blp, AUDIT_READ)
@blp.response(200, IntegrityReportSchema)
def verify_integrity() -> IntegrityReport:
    """Recompute the tree from the stored events and check everything; writes nothing.

    Every record is checked in its place (decrypted with its associated
    data), every snapshot, every checkpoint's signature and root. Events
    after the newest checkpoint are counted as `unsealed`.
    `first_failure.reason` is one of `changed`, `removed`, `inserted`,
    `reordered`, `moved_or_forged`, `snapshot_forged`, `checkpoint_mismatch`,
    `bad_signature`, `truncated`.
    """
    return integrity().verify()


@blp.get("/audit/checkpoints")
@requires(blp, AUDIT_READ)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(CheckpointSchema))
@problems(blp, 422)
def list_checkpoints(args: dict[str, Any]) -> dict[str, Any]:
    """The signed checkpoints, oldest first; `next` is the cursor of the next page."""
    limit = args["limit"]
    items = integrity().checkpoints(cursor_position(args["cursor"]) or 0, limit + 1)
    page = items[:limit]
    return {
        "items": [shown(c) for c in page],
        "next": str(page[-1].size) if len(items) > limit else None,
    }


@blp.get("/audit/checkpoint")
@requires(blp, AUDIT_WITNESS)
@blp.response(
    200,
    {"type": "string"},
    content_type="text/plain",
    description="The newest checkpoint as a C2SP signed note",
)
@problems(blp, 404)
def newest_checkpoint() -> Response:
    """The newest signed checkpoint, as a C2SP signed note (`text/plain`)."""
    checkpoint = integrity().checkpoint()
    if checkpoint is None:
        return problem(404, "not_found", "No checkpoint has been signed yet.")
    return Response(
        checkpoint.note.text(),
        mimetype="text/plain",
        content_type="text/plain; charset=utf-8",
    )


@blp.get("/audit/proofs/inclusion")
@requires(blp, AUDIT_WITNESS)
@blp.arguments(InclusionArgsSchema, location="query")
@blp.response(200, InclusionProofSchema)
@problems(blp, 404, 422)
def inclusion_proof(args: dict[str, Any]) -> InclusionProof | Response:
    """The audit path of the event at `position` in the tree of `size` leaves."""
    log = integrity()
    size = args["size"] or _newest_size(log)
    try:
        return log.inclusion(args["position"], size)
    except ProofRangeError:
        return _out_of_range()


@blp.get("/audit/proofs/consistency")
@requires(blp, AUDIT_WITNESS)
@blp.arguments(ConsistencyArgsSchema, location="query")
@blp.response(200, ConsistencyProofSchema)
@problems(blp, 404, 422)
def consistency_proof(args: dict[str, Any]) -> ConsistencyProof | Response:
    """The proof that the tree of `to` leaves extends the tree of `from` leaves."""
    log = integrity()
    to = args["to"] or _newest_size(log)
    try:
        return log.consistency(args["from_"], to)
    except ProofRangeError:
        return _out_of_range()


@blp.get("/audit/public-key")
@requires(blp, AUDIT_READ)
@blp.response(200, PublicKeySchema)
def public_key() -> PublicKey:
    """The Ed25519 public key(s) that check the checkpoints' signatures."""
    return integrity().public_key()


def shown(checkpoint: Checkpoint) -> dict[str, Any]:
    """A checkpoint as the API lists it."""
    signature = checkpoint.note.signatures[0]
    return {
        "size": checkpoint.size,
        "position": checkpoint.position,
        "root": checkpoint.root,
        "signed_at": checkpoint.signed_at,
        "signature": signature.signature,
        "key_id": signature.key_id.hex(),
        "note": checkpoint.note.text(),
    }


def _newest_size(log: MerkleLog) -> int:
    newest = log.checkpoint()
    return newest.size if newest else 0


def _out_of_range() -> Response:
    return problem(404, "not_found", "No such position or tree size in the signed log.")
