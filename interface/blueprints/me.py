"""The signed-in person's own account: ``/me``."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from application.account_security import Enrolment, SessionView
from application.security_views import ALERTS, LOGINS
from application.sellers import AccountView
from domain.actor import ActorKind
from interface.auth import acting, current_principal
from interface.blueprints.documenting import BEARER, problems
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
from interface.views import page_of_view

blp = Blueprint(
    "me",
    __name__,
    url_prefix="/api/v1/me",
    description="The signed-in person's own account",
)


def security() -> Any:
    return current_app.extensions["sellerguard"].account_security


@blp.get("")
@blp.response(200, AccountSchema)
@blp.doc(security=BEARER)
@problems(blp, 401)
def me() -> tuple[AccountView, int, dict[str, str]]:
    """The caller's account."""
    view = security().view(current_principal())
    return view, 200, {"ETag": f'"{view.version}"'}


@blp.post("/password")
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@blp.doc(security=BEARER)
@problems(blp, 400, 401, 422)
def change_password(body: dict[str, Any]) -> None:
    """Change the password; every other session of the caller ends."""
    principal = current_principal()
    security().change_password(
        principal, body["current_password"], body["new_password"], acting(principal)
    )


@blp.post("/two-step")
@blp.response(200, EnrolmentSchema)
@blp.doc(security=BEARER)
@problems(blp, 401, 409)
def start_two_step() -> Enrolment:
    """Start two-step enrolment: the secret, its URI and a QR code to scan."""
    principal = current_principal()
    return security().start_two_step(principal, acting(principal))


@blp.post("/two-step/confirm")
@blp.arguments(CodeSchema)
@blp.response(200, RecoveryCodesSchema)
@blp.doc(security=BEARER)
@problems(blp, 400, 401, 409, 422)
def confirm_two_step(body: dict[str, Any]) -> dict[str, list[str]]:
    """Turn two-step on with a first code; the recovery codes are shown once."""
    principal = current_principal()
    codes = security().confirm_two_step(principal, body["code"], acting(principal))
    return {"recovery_codes": codes}


@blp.delete("/two-step")
@blp.arguments(DisableTwoStepSchema)
@blp.response(204)
@blp.doc(security=BEARER)
@problems(blp, 400, 401, 409, 422)
def disable_two_step(body: dict[str, Any]) -> None:
    """Turn two-step off with the password and a current code."""
    principal = current_principal()
    security().disable_two_step(
        principal, body["password"], body["code"], acting(principal)
    )


@blp.get("/logins")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(LoginRecordSchema))
@blp.doc(security=BEARER)
@problems(blp, 401, 422)
def logins(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's sign-in attempts, newest first."""
    principal = current_principal()
    return page_of_view(LOGINS, str(principal.id), args["limit"], args["cursor"])


@blp.get("/sessions")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SessionSchema))
@blp.doc(security=BEARER)
@problems(blp, 401, 422)
def sessions(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's live sessions, newest first."""
    views: list[SessionView] = security().sessions(current_principal())
    return {"items": views[: args["limit"]], "next": None}


@blp.delete("/sessions/<string:session_id>")
@blp.response(204)
@blp.doc(security=BEARER)
@problems(blp, 401, 404)
def revoke_session(session_id: str) -> None:
    """End one of the caller's sessions."""
    principal = current_principal()
    security().revoke_session(principal, session_id, acting(principal))


@blp.get("/alerts")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(AlertSchema))
@blp.doc(security=BEARER)
@problems(blp, 401, 403, 422)
def alerts(args: dict[str, Any]) -> dict[str, Any]:
    """What the shop's owner has been alerted to, newest first."""
    principal = current_principal(ActorKind.SELLER)
    return page_of_view(ALERTS, str(principal.id), args["limit"], args["cursor"])


@blp.post("/freeze")
@blp.arguments(FreezeSchema)
@blp.response(202, FreezeResultSchema)
@blp.doc(security=BEARER)
@problems(blp, 400, 401, 403, 422)
def freeze(body: dict[str, Any]) -> dict[str, Any]:
    """Freeze the shop at once (a suspected takeover): every session ends."""
    principal = current_principal(ActorKind.SELLER)
    account_id = security().freeze(principal, body["reason"], acting(principal))
    return {"id": account_id, "status": "frozen"}
