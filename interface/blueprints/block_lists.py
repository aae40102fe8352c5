"""Buyer block lists, the checkout check, and the platform's controls."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from application.block_lists import BlockEntry, BlockListView, CheckResult
from domain.roles import Module, permission
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.idempotency import created_id, idempotent
from interface.problems import InvalidFieldError
from interface.schemas.block_lists import (
    BUYER,
    BlockBuyerSchema,
    BlockEntrySchema,
    BlockingAccessSchema,
    BlockListSchema,
    CheckArgsSchema,
    CheckResultSchema,
    LinksSchema,
    PlatformActionSchema,
    ReasonSchema,
)

CHECK_ARGS = CheckArgsSchema()

blp = Blueprint(
    "block_lists", __name__, url_prefix="/api/v1", description="Buyer block lists"
)


@blp.get("/blocklist")
@requires(blp, permission(Module.BLOCK_LIST, "view"))
@blp.response(200, BlockListSchema)
def view_block_list() -> dict[str, Any]:
    """The shop's blocks in force, with what is left of its limits."""
    view: BlockListView = services().block_lists.view(current_principal())
    return {**view.__dict__, "next": None}


@blp.post("/blocklist")
@requires(blp, permission(Module.BLOCK_LIST, "manage"))
@idempotent(blp, creates_by_id=True)
@blp.arguments(BlockBuyerSchema)
@blp.response(201, BlockEntrySchema)
@problems(blp, 400, 409, 422)
def block_buyer(body: dict[str, Any]) -> BlockEntry:
    """Block a buyer from ordering (100 in force at most, 10 new a UTC day)."""
    principal = current_principal()
    return services().block_lists.block(
        principal, actor=acting(principal), request_id=created_id(), **body
    )


@blp.delete("/blocklist/<string:buyer>")
@requires(blp, permission(Module.BLOCK_LIST, "manage"))
@blp.response(204)
@problems(blp, 404)
def unblock_buyer(buyer: str) -> None:
    """Lift a block."""
    principal = current_principal()
    services().block_lists.unblock(principal, buyer, acting(principal))


@blp.get("/sellers/<uuid:seller_id>/blocklist/check")
@requires(blp, "blocklist:check")
@blp.doc(parameters=[{"in": "query", "schema": CheckArgsSchema}])
@blp.alt_response(200, schema=CheckResultSchema, description="The answer", success=True)
@problems(blp, 422)
def check(seller_id: UUID) -> Response:
    """May this buyer do this in that shop? A block refuses `place_order` only.

    The hot path of checkout: validated and answered without the generic
    request and response machinery, from the block-lookup read model.
    """
    args = CHECK_ARGS.load(request.args)
    result: CheckResult = services().block_lists.check(
        seller_id, args["buyer"], args["action"]
    )
    body = '{"allowed": %s, "blocked": %s}' % (  # noqa: UP031 - two booleans
        "true" if result.allowed else "false",
        "true" if result.blocked else "false",
    )
    return Response(body, mimetype="application/json")


@blp.post("/platform/buyers/<string:buyer>/links")
@requires(blp, "platform:links")
@idempotent(blp)
@blp.arguments(LinksSchema)
@blp.response(204)
@problems(blp, 400, 404, 422)
def link_buyers(body: dict[str, Any], buyer: str) -> None:
    """Record that these usernames are the same person as the buyer."""
    _valid_buyer(buyer)
    principal = current_principal()
    services().block_lists.link(buyer, body["linked"], acting(principal))


@blp.post("/platform/sellers/<uuid:seller_id>/blocklist/<string:buyer>/override")
@requires(blp, "blocklist:override")
@blp.arguments(ReasonSchema)
@blp.response(200, PlatformActionSchema)
@problems(blp, 400, 404, 422)
def override(body: dict[str, Any], seller_id: UUID, buyer: str) -> dict[str, Any]:
    """Lift a shop's block; the shop is alerted."""
    principal = current_principal()
    services().block_lists.override(seller_id, buyer, body["reason"], acting(principal))
    return {"seller_id": seller_id, "buyer": buyer}


@blp.post("/platform/sellers/<uuid:seller_id>/blocking-access")
@requires(blp, "platform:blocking_access")
@blp.arguments(BlockingAccessSchema)
@blp.response(200, PlatformActionSchema)
@problems(blp, 400, 404, 422)
def blocking_access(body: dict[str, Any], seller_id: UUID) -> dict[str, Any]:
    """Grant or revoke a shop's right to block buyers."""
    principal = current_principal()
    services().block_lists.set_blocking_access(
        seller_id, body["granted"], body["reason"], acting(principal)
    )
    return {"seller_id": seller_id, "blocking_access": body["granted"]}


def _valid_buyer(buyer: str) -> None:
    try:
        BUYER(buyer)
    except ValidationError as error:
        raise InvalidFieldError("buyer", str(error.messages[0])) from None
