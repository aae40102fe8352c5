"""The signed-in person's own account: ``/me``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from application.account_security import Enrolment, SessionView
from application.accounts import AccountView
from application.security_views import ALERTS, LOGINS
from domain.roles import OWN_ACCOUNT, Module, permission
from interface.auth import (
    acting,
    current_principal,
    recent_sign_in,
    require_recent_sign_in,
    requires,
)
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.etags import with_etag
from interface.idempotency import idempotent
from interface.pages import page_of_list, page_of_view
from interface.schemas.accounts import AccountSchema
from interface.schemas.lists import PageArgsSchema, page_of
from interface.schemas.sessions import (
    CodeSchema,
    DisableTwoStepSchema,
    EnrolmentSchema,
    FreezeResultSchema,
    FreezeSchema,
    PasswordChangeSchema,
    RecoveryCodesSchema,
    SessionSchema,
)
from interface.schemas.views import AlertSchema, LoginRecordSchema

blp = Blueprint(
    "me",
    __name__,
    url_prefix="/api/v1/me",
    description="The signed-in person's own account",
)

# The shop's security alerts and freezing the whole shop are the owner's.
SHOP_ALERTS = permission(Module.SENSITIVE_SHOP_INFORMATION, "view")
SHOP_FREEZE = permission(Module.SENSITIVE_SHOP_INFORMATION, "manage")


@blp.get("")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.response(200, AccountSchema)
def me() -> tuple[AccountView, int, dict[str, str]]:
    """The caller's account."""
    view = services().account_security.view(current_principal())
    return with_etag(view)


@blp.post("/password")
@requires(blp, OWN_ACCOUNT)
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@problems(blp, 400, 422)
def change_password(body: dict[str, Any]) -> None:
    """Change the password; every other session of the caller ends."""
    principal = current_principal()
    services().account_security.change_password(
        principal, body["current_password"], body["new_password"], acting(principal)
    )


@blp.post("/two-step")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@idempotent(blp)
@blp.response(200, EnrolmentSchema)
@problems(blp, 409)
def start_two_step() -> Enrolment:
    """Start two-step enrolment: the secret, its URI and a QR code to scan.

    While two-step is already on this needs a recent sign-in.
    """
    principal = current_principal()
    if principal.two_step_enabled:
        require_recent_sign_in()
    return services().account_security.start_two_step(principal, acting(principal))


@blp.post("/two-step/confirm")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.arguments(CodeSchema)
@blp.response(200, RecoveryCodesSchema)
@problems(blp, 400, 409, 422)
def confirm_two_step(body: dict[str, Any]) -> dict[str, list[str]]:
    """Turn two-step on with a first code; the recovery codes are shown once."""
    principal = current_principal()
    codes = services().account_security.confirm_two_step(
        principal, body["code"], acting(principal)
    )
    return {"recovery_codes": codes}


@blp.post("/two-step/recovery-codes")
@requires(blp, OWN_ACCOUNT)
@recent_sign_in(blp)
@idempotent(blp)
@blp.response(200, RecoveryCodesSchema)
@problems(blp, 409)
def regenerate_recovery_codes() -> dict[str, list[str]]:
    """Issue ten new recovery codes, shown this once; the old ones stop working.

    A retry with the same Idempotency-Key answers the same codes again.
    """
    principal = current_principal()
    codes = services().account_security.regenerate_recovery_codes(
        principal, acting(principal)
    )
    return {"recovery_codes": codes}


@blp.delete("/two-step")
@requires(blp, OWN_ACCOUNT)
@recent_sign_in(blp)
@blp.arguments(DisableTwoStepSchema)
@blp.response(204)
@problems(blp, 400, 409, 422)
def disable_two_step(body: dict[str, Any]) -> None:
    """Turn two-step off with the password and a current code."""
    principal = current_principal()
    services().account_security.disable_two_step(
        principal, body["password"], body["code"], acting(principal)
    )


@blp.get("/logins")
@requires(blp, OWN_ACCOUNT)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(LoginRecordSchema))
@problems(blp, 422)
def logins(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's sign-in attempts, newest first."""
    principal = current_principal()
    return page_of_view(LOGINS, str(principal.id), args["limit"], args["cursor"])


@blp.get("/sessions")
@requires(blp, OWN_ACCOUNT)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SessionSchema))
@problems(blp, 422)
def sessions(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's live sessions, newest first."""
    views: list[SessionView] = services().account_security.sessions(current_principal())
    return page_of_list(views, args["limit"], args["cursor"])


@blp.delete("/sessions/<string:session_id>")
@requires(blp, OWN_ACCOUNT)
@blp.response(204)
@problems(blp, 404)
def revoke_session(session_id: str) -> None:
    """End one of the caller's sessions."""
    principal = current_principal()
    services().account_security.revoke_session(principal, session_id, acting(principal))


@blp.get("/alerts")
@requires(blp, SHOP_ALERTS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(AlertSchema))
@problems(blp, 422)
def alerts(args: dict[str, Any]) -> dict[str, Any]:
    """What the shop's owner has been alerted to, newest first.

    Sub-accounts nobody signed in to for 30 days are flagged as the owner
    signs in (``POST /sessions``), not here: a read writes nothing.
    """
    principal = current_principal()
    return page_of_view(ALERTS, str(principal.id), args["limit"], args["cursor"])


@blp.post("/freeze")
@requires(blp, SHOP_FREEZE)
@blp.arguments(FreezeSchema)
@blp.response(202, FreezeResultSchema)
@problems(blp, 400, 422)
def freeze(body: dict[str, Any]) -> dict[str, Any]:
    """Freeze the shop at once (a suspected takeover): every session ends."""
    principal = current_principal()
    account_id = services().account_security.freeze(
        principal, body["reason"], acting(principal)
    )
    return {"id": account_id, "status": "frozen"}
