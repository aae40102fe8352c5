"""Signing staff in to the console: password, then the second step; out again.

The same use cases as ``POST /sessions`` and ``POST /sessions/challenge``,
under the same per-address limit (one budget of guesses, whichever door).
Only staff with two-step verification on get a console session; any other
session started here is ended at once.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Response, current_app, g, redirect, request, url_for

from application.principals import Principal
from application.sign_in import ChallengeView, SessionGrant
from domain.actor import ActorKind
from domain.errors import SellerGuardError
from interface.blueprints.sessions import attempt_from_request
from interface.composition import services
from interface.console.base import (
    CHALLENGE_COOKIE,
    SESSION_COOKIE,
    blp,
    browser_csrf,
    check_csrf,
    page,
    safe_next,
    set_cookie,
    staff_page,
)
from interface.rate_limits import EXTENSION as RATE_LIMITS
from interface.request_context import anonymous, client_ip

SIGN_IN_LIMIT = ("login_rate_limit", "sessions.create_session")
CHALLENGE_LIMIT = ("login_rate_limit", "sessions.answer_challenge")
REFUSED = "Wrong username or password, or this address must wait 15 minutes."
STAFF_ONLY = "The console is for platform staff with two-step verification on."


@blp.get("/sign-in")
def sign_in() -> Response:
    """The sign-in form."""
    return page("sign_in.html", next=safe_next(request.args.get("next")))


@blp.post("/sign-in")
def sign_in_with_password() -> Response:
    """Check the password; then ask for the second step."""
    check_csrf(browser_csrf())
    _count(*SIGN_IN_LIMIT)
    try:
        outcome = services().sign_in.login(
            request.form.get("username", "")[:256],
            request.form.get("password", "")[:4096],
            attempt_from_request(None),
            anonymous(),
        )
    except SellerGuardError as error:
        message = REFUSED if "credentials" in error.code else _said(error)
        return page("sign_in.html", HTTPStatus.UNAUTHORIZED, message=message)
    next_path = safe_next(request.form.get("next"))
    if isinstance(outcome, SessionGrant):
        # No second step: not for the console (staff must turn two-step on).
        _end(outcome.principal)
        return page("sign_in.html", HTTPStatus.FORBIDDEN, message=STAFF_ONLY)
    return _ask_for_code(outcome, next_path)


@blp.get("/sign-in/code")
def code_form() -> Response:
    """The second step's form."""
    if not request.cookies.get(CHALLENGE_COOKIE):
        return redirect(url_for("console.sign_in"))  # type: ignore[return-value]
    return page("code.html", next=safe_next(request.args.get("next")))


@blp.post("/sign-in/code")
def sign_in_with_code() -> Response:
    """Finish signing in with a code from the authenticator app (or a
    recovery code); only staff get a console session."""
    check_csrf(browser_csrf())
    _count(*CHALLENGE_LIMIT)
    challenge_id = request.cookies.get(CHALLENGE_COOKIE, "")
    next_path = safe_next(request.form.get("next"))
    try:
        grant = services().sign_in.complete_challenge(
            challenge_id[:200], request.form.get("code", "")[:64], anonymous()
        )
    except SellerGuardError as error:
        message = "Wrong or expired code." if error.code == "invalid_code" else None
        return page(
            "code.html",
            HTTPStatus.UNAUTHORIZED,
            message=message or _said(error),
            next=next_path,
        )
    if grant.principal.kind is not ActorKind.STAFF:
        _end(grant.principal)
        return page("sign_in.html", HTTPStatus.FORBIDDEN, message=STAFF_ONLY)
    response = redirect(next_path)
    set_cookie(response, SESSION_COOKIE, grant.token, expires=grant.expires_at)
    response.delete_cookie(CHALLENGE_COOKIE, path="/console")
    return response  # type: ignore[return-value]


@blp.post("/sign-out")
@staff_page()
def sign_out() -> Response:
    """End this console session (the same as ``DELETE /sessions/current``)."""
    principal: Principal = g.principal
    _end(principal)
    response = redirect(url_for("console.sign_in"))
    response.delete_cookie(SESSION_COOKIE, path="/console")
    return response  # type: ignore[return-value]


def _ask_for_code(challenge: ChallengeView, next_path: str) -> Response:
    response = redirect(url_for("console.code_form", next=next_path))
    set_cookie(
        response,
        CHALLENGE_COOKIE,
        challenge.challenge_id,
        expires=challenge.expires_at,
    )
    return response  # type: ignore[return-value]


def _end(principal: Principal) -> None:
    services().sign_in.logout(principal, principal.actor(None, client_ip()))


def _count(setting: str, endpoint: str) -> None:
    current_app.extensions[RATE_LIMITS].hit(setting, endpoint, client_ip() or "unknown")


def _said(error: SellerGuardError) -> str:
    return (type(error).__doc__ or error.code).strip()
