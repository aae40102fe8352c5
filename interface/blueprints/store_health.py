"""Store health: the daily inspection and the portfolio of an owner's stores."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from application.portfolios import InvitationView, PortfolioView
from application.store_inspection import Inspection, StoreNotFoundError
from domain.checklist import Status
from domain.roles import Module, permission
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.idempotency import idempotent
from interface.schemas.store_health import (
    InspectionSchema,
    InvitationSchema,
    LinkSchema,
    PortfolioInspectionSchema,
    PortfolioSchema,
)

blp = Blueprint(
    "store_health",
    __name__,
    url_prefix="/api/v1/me",
    description="Store health: the daily inspection and the owner's portfolio",
)

# The checklist is the owner's and their administrators'; portfolios the owner's.
INSPECT = permission(Module.ACCOUNT_SECURITY, "view")
PORTFOLIO_VIEW = permission(Module.SENSITIVE_SHOP_INFORMATION, "view")
PORTFOLIO_MANAGE = permission(Module.SENSITIVE_SHOP_INFORMATION, "manage")


@blp.get("/inspection")
@requires(blp, INSPECT)
@blp.response(200, InspectionSchema)
def inspection() -> Inspection:
    """The store's daily checklist: each item ok, warn or fail, with a sentence."""
    return services().inspection.inspect(_store())


@blp.post("/portfolio/invitations")
@requires(blp, PORTFOLIO_MANAGE)
@idempotent(blp)
@blp.response(201, InvitationSchema)
def invite() -> InvitationView:
    """A one-time code (10 minutes) to enter from a session of another store."""
    principal = current_principal()
    return services().portfolios.invite(principal, acting(principal))


@blp.post("/portfolio/links")
@requires(blp, PORTFOLIO_MANAGE)
@idempotent(blp)
@blp.arguments(LinkSchema)
@blp.response(201, PortfolioSchema)
@problems(blp, 400, 409, 422)
def link(body: dict[str, Any]) -> PortfolioView:
    """Link this store with the store that made the code."""
    principal = current_principal()
    return services().portfolios.link(principal, body["code"], acting(principal))


@blp.delete("/portfolio/links/<uuid:store_id>")
@requires(blp, PORTFOLIO_MANAGE)
@blp.response(204)
@problems(blp, 404)
def unlink(store_id: UUID) -> None:
    """Take a store (this one or another) out of the portfolio."""
    principal = current_principal()
    services().portfolios.unlink(principal, store_id, acting(principal))


@blp.get("/portfolio/inspection")
@requires(blp, PORTFOLIO_VIEW)
@blp.response(200, PortfolioInspectionSchema)
def portfolio_inspection() -> dict[str, Any]:
    """Every store of the portfolio's checklist, worst first."""
    store_ids = services().portfolios.stores_of(_store())
    inspections = services().inspection.inspect_many(store_ids)
    summary = dict.fromkeys((s.value for s in Status), 0)
    for one in inspections:
        summary[list(Status)[one.worst].value] += 1
    return {"stores": inspections, "summary": summary}


def _store() -> UUID:
    """The caller's store: a seller's own, a sub-account's employer's."""
    store_id = current_principal().seller_id
    if store_id is None:  # not a shop's person: the permission check stops it
        raise StoreNotFoundError("no store")
    return store_id
