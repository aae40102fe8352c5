"""The Security Center: risk signals in, the shop's dashboard and decisions out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from domain.risk_signal import Decision, SignalContent, SubjectKind
from domain.roles import Module, permission
from interface.auth import ForbiddenError, acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.idempotency import created_id, idempotent
from interface.schemas.lists import page_of
from interface.schemas.security_center import (
    DashboardArgsSchema,
    DashboardSchema,
    DecisionFeedSchema,
    DecisionsArgsSchema,
    InterceptedArgsSchema,
    InterceptedSchema,
    OrderDecisionSchema,
    RefundDecisionSchema,
    RiskItemArgsSchema,
    RiskItemSchema,
    RiskSignalSchema,
    SignalViewSchema,
)

blp = Blueprint(
    "security_center",
    __name__,
    url_prefix="/api/v1",
    description="The Security Center: what was stopped, and what the shop decides",
)

RISK_ITEM_PAGE = page_of(RiskItemSchema)
DASHBOARD = permission(Module.SECURITY_CENTER, "view")
ORDERS = Module.RISK_ORDERS
REFUNDS = Module.RISK_REFUNDS


def _cursor(args: dict[str, Any]) -> int | None:
    return None if args["cursor"] is None else int(args["cursor"])


@blp.post("/platform/risk-signals")
@requires(blp, "risk:write")
@idempotent(blp, creates_by_id=True)
@blp.arguments(RiskSignalSchema)
@blp.response(201, SignalViewSchema)
@blp.alt_response(200, schema=SignalViewSchema, description="The same signal again")
@problems(blp, 400, 404, 409, 422)
def receive_signal(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Record what the risk engine found; the same `signal_id` records once."""
    principal = current_principal()
    view, new = services().security_center.receive(
        SignalContent(**body), acting(principal), created_id()
    )
    return view, 201 if new else 200


@blp.get("/security-center/dashboard")
@requires(blp, DASHBOARD)
@blp.arguments(DashboardArgsSchema, location="query")
@blp.response(200, DashboardSchema)
@problems(blp, 422)
def dashboard(args: dict[str, Any]) -> dict[str, Any]:
    """What was stopped over 7, 30 or 90 UTC days, what waits, how safe the shop is."""
    principal = current_principal()
    if principal.seller_id is None:  # the permission is a shop's alone
        raise ForbiddenError(str(principal.id), DASHBOARD)
    found = services().security_dashboard.dashboard(principal.seller_id, args["days"])
    return dict(found)


@blp.get("/security-center/intercepted")
@requires(blp, DASHBOARD)
@blp.arguments(InterceptedArgsSchema, location="query")
@blp.response(200, page_of(InterceptedSchema))
@problems(blp, 422)
def intercepted(args: dict[str, Any]) -> dict[str, Any]:
    """Malicious actions the platform stopped for the shop, newest first."""
    return dict(
        services().security_center.intercepted(
            current_principal(), args["category"], args["limit"], _cursor(args)
        )
    )


def _items(kind: SubjectKind, args: dict[str, Any]) -> dict[str, Any]:
    return dict(
        services().security_center.risk_items(
            current_principal(), kind, args["status"], args["limit"], _cursor(args)
        )
    )


def _decide(kind: SubjectKind, item_id: UUID, body: dict[str, Any]) -> dict[str, Any]:
    principal = current_principal()
    return dict(
        services().security_center.decide(
            principal,
            kind,
            item_id,
            Decision(body["decision"]),
            body["note"],
            acting(principal),
        )
    )


@blp.get("/security-center/risk-orders")
@requires(blp, permission(ORDERS, "view"))
@blp.arguments(RiskItemArgsSchema, location="query")
@blp.response(200, RISK_ITEM_PAGE)
@problems(blp, 422)
def risk_orders(args: dict[str, Any]) -> dict[str, Any]:
    """Orders the platform flagged as risky, open or decided, newest first."""
    return _items(SubjectKind.ORDER, args)


@blp.post("/security-center/risk-orders/<uuid:item_id>/decision")
@requires(blp, permission(ORDERS, "manage"))
@blp.arguments(OrderDecisionSchema)
@blp.response(200, RiskItemSchema)
@problems(blp, 400, 404, 409, 422)
def decide_order(body: dict[str, Any], item_id: UUID) -> dict[str, Any]:
    """Cancel a flagged order without penalty, or keep it; once."""
    return _decide(SubjectKind.ORDER, item_id, body)


@blp.get("/security-center/risk-refunds")
@requires(blp, permission(REFUNDS, "view"))
@blp.arguments(RiskItemArgsSchema, location="query")
@blp.response(200, RISK_ITEM_PAGE)
@problems(blp, 422)
def risk_refunds(args: dict[str, Any]) -> dict[str, Any]:
    """Refunds the platform flagged as risky, open or decided, newest first."""
    return _items(SubjectKind.REFUND, args)


@blp.post("/security-center/risk-refunds/<uuid:item_id>/decision")
@requires(blp, permission(REFUNDS, "manage"))
@blp.arguments(RefundDecisionSchema)
@blp.response(200, RiskItemSchema)
@problems(blp, 400, 404, 409, 422)
def decide_refund(body: dict[str, Any], item_id: UUID) -> dict[str, Any]:
    """Reject a flagged refund without penalty, or accept it; once."""
    return _decide(SubjectKind.REFUND, item_id, body)


@blp.get("/platform/sellers/<uuid:seller_id>/risk-decisions")
@requires(blp, "risk:read")
@blp.arguments(DecisionsArgsSchema, location="query")
@blp.response(200, page_of(DecisionFeedSchema))
@problems(blp, 404, 422)
def risk_decisions(args: dict[str, Any], seller_id: UUID) -> dict[str, Any]:
    """The shop's decisions, newest first: the performance service waives penalties."""
    return dict(
        services().security_center.decisions(
            seller_id, args["since"], args["limit"], _cursor(args)
        )
    )
