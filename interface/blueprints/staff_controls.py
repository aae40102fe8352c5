"""The owner's controls over employees: invitations, resets, the two-step rule."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from application.accounts import AccountView
from interface.auth import acting, current_principal, recent_sign_in, requires
from interface.blueprints.documenting import problems
from interface.blueprints.sub_accounts import MANAGE_SUB_ACCOUNTS
from interface.composition import services
from interface.etags import with_etag
from interface.idempotency import idempotent
from interface.rate_limits import limited
from interface.request_context import anonymous
from interface.schemas.sub_accounts import (
    AcceptInvitationSchema,
    PoliciesSchema,
    SubAccountSchema,
)

blp = Blueprint(
    "staff_controls",
    __name__,
    url_prefix="/api/v1",
    description="Invitations of employees and the owner's controls over them",
)


@blp.post("/sub-accounts/<uuid:sub_account_id>/invitation")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@idempotent(blp)
@blp.response(200, SubAccountSchema)
@problems(blp, 404, 409)
def resend_invitation(sub_account_id: UUID) -> tuple[AccountView, int, dict[str, str]]:
    """Mail the employee a new link (72 hours); the one sent before stops working."""
    seller = current_principal()
    return with_etag(
        services().sub_accounts.resend_invitation(
            seller, sub_account_id, acting(seller)
        )
    )


@blp.delete("/sub-accounts/<uuid:sub_account_id>/invitation")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.response(204)
@problems(blp, 404, 409)
def revoke_invitation(sub_account_id: UUID) -> None:
    """Withdraw the waiting invitation; its link stops working."""
    seller = current_principal()
    services().sub_accounts.revoke_invitation(seller, sub_account_id, acting(seller))


@blp.post("/sub-accounts/<uuid:sub_account_id>/reset-password")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@recent_sign_in(blp)
@blp.response(200, SubAccountSchema)
@problems(blp, 404, 409)
def reset_password(sub_account_id: UUID) -> tuple[AccountView, int, dict[str, str]]:
    """The employee chooses a new password with a new invitation; the old
    password stops working and every session of theirs ends now."""
    seller = current_principal()
    return with_etag(
        services().sub_accounts.reset_password(seller, sub_account_id, acting(seller))
    )


@blp.post("/sub-accounts/<uuid:sub_account_id>/reset-two-step")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@recent_sign_in(blp)
@blp.response(200, SubAccountSchema)
@problems(blp, 404, 409)
def reset_two_step(sub_account_id: UUID) -> tuple[AccountView, int, dict[str, str]]:
    """Clear the employee's two-step (a lost phone): every session of theirs
    ends and they are told by mail."""
    seller = current_principal()
    return with_etag(
        services().sub_accounts.reset_two_step(seller, sub_account_id, acting(seller))
    )


@blp.get("/me/policies")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.response(200, PoliciesSchema)
def policies() -> dict[str, bool]:
    """The shop's rules for its employees."""
    required = services().sub_accounts.policies(current_principal())
    return {"sub_accounts_require_two_step": required}


@blp.put("/me/policies")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.arguments(PoliciesSchema)
@blp.response(200, PoliciesSchema)
@problems(blp, 400, 422)
def set_policies(body: dict[str, Any]) -> dict[str, bool]:
    """Require two-step verification of every employee: those without it may
    only enrol it until they do (`403 two_step_required`)."""
    seller = current_principal()
    required = services().sub_accounts.set_policies(
        seller, body["sub_accounts_require_two_step"], acting(seller)
    )
    return {"sub_accounts_require_two_step": required}


@blp.post("/invitations/accept")
@limited(blp, "login_rate_limit")
@blp.arguments(AcceptInvitationSchema)
@blp.response(200, SubAccountSchema)
@problems(blp, 400, 403, 422)
def accept_invitation(body: dict[str, Any]) -> tuple[AccountView, int, dict[str, str]]:
    """Choose your password with the invitation's token (no bearer token: the
    link's token is the credential). Then sign in as usual."""
    return with_etag(
        services().invitations.accept(body["token"], body["password"], anonymous())
    )
