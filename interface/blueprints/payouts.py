"""The payout account: the owner's held changes, support's cancellation, the
finance service's view."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from application.payouts import OwnerPayoutView, ServicePayoutView
from domain.roles import Module, permission
from interface.auth import acting, current_principal, recent_sign_in, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.schemas.payouts import (
    CancelledPayoutSchema,
    CancelPayoutSchema,
    PayoutAccountSchema,
    PayoutChangeSchema,
    ServicePayoutSchema,
)

blp = Blueprint(
    "payouts", __name__, url_prefix="/api/v1", description="Where a shop's money goes"
)

# Where the money goes is the owner's alone, like the shop's sensitive data.
PAYOUT_VIEW = permission(Module.SENSITIVE_SHOP_INFORMATION, "view")
PAYOUT_CHANGE = permission(Module.SENSITIVE_SHOP_INFORMATION, "manage")
NO_STORE = {"Cache-Control": "no-store"}


def _shop_id() -> UUID:
    principal = current_principal()
    return principal.seller_id or principal.id


@blp.get("/me/payout-account")
@requires(blp, PAYOUT_VIEW)
@blp.response(200, PayoutAccountSchema)
def payout_account() -> tuple[OwnerPayoutView, int, dict[str, str]]:
    """The payout account: current, pending (last four digits only)."""
    return services().payouts.owner_view(_shop_id()), 200, NO_STORE


@blp.put("/me/payout-account")
@requires(blp, PAYOUT_CHANGE)
@recent_sign_in(blp)
@blp.arguments(PayoutChangeSchema)
@blp.response(202, PayoutAccountSchema)
@problems(blp, 400, 409, 422)
def change_payout_account(
    body: dict[str, Any],
) -> tuple[OwnerPayoutView, int, dict[str, str]]:
    """Ask to be paid into another account: it takes effect after the hold."""
    principal = current_principal()
    view = services().payouts.request_change(
        _shop_id(), actor=acting(principal), **body
    )
    return view, 202, NO_STORE


@blp.delete("/me/payout-account/pending")
@requires(blp, PAYOUT_CHANGE)
@blp.response(204)
@problems(blp, 404)
def cancel_pending_change() -> None:
    """Cancel the pending change."""
    principal = current_principal()
    services().payouts.cancel_change(_shop_id(), "owner", acting(principal))


@blp.post("/platform/sellers/<uuid:seller_id>/payout-account/pending/cancel")
@requires(blp, "payouts:cancel")
@blp.arguments(CancelPayoutSchema)
@blp.response(200, CancelledPayoutSchema)
@problems(blp, 400, 404, 422)
def cancel_by_support(body: dict[str, Any], seller_id: UUID) -> dict[str, Any]:
    """Support cancels a pending change (the owner is told)."""
    at = services().payouts.cancel_change(
        seller_id, f"support: {body['reason']}", acting(current_principal())
    )
    return {"seller_id": seller_id, "cancelled_at": at}


@blp.get("/sellers/<uuid:seller_id>/payout-account")
@requires(blp, "payout:read")
@blp.response(200, ServicePayoutSchema)
@problems(blp, 404)
def service_payout_account(
    seller_id: UUID,
) -> tuple[ServicePayoutView, int, dict[str, str]]:
    """For the finance service: where to pay, in full, and whether to pay now."""
    return services().payouts.service_view(seller_id), 200, NO_STORE
