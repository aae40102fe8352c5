"""Signing staff in to the console: password, then the second step; out again.

The same use cases as ``POST /sessions`` and ``POST /sessions/challenge``,
under the same per-address limit (one budget of guesses, whichever door).
The second step is a code, or a passkey when the account has one (a wrong
passkey counts like a wrong code, towards the same lock). Only staff with a
second step get a console session; any other session started here is ended
at once.

A passkey needs ``navigator.credentials.get()``: the second-step page is the
one console page that runs a script, our own ``static/passkey.js`` and no
other (``script-src 'self'``, no inline script). It puts the signed answer
in a hidden field of an ordinary form, posted with its CSRF token.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

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
from interface.security_headers import CONSOLE_PASSKEY_CSP

SIGN_IN_LIMIT = ("login_rate_limit", "sessions.create_session")
CHALLENGE_LIMIT = ("login_rate_limit", "sessions.answer_challenge")
REFUSED = "Wrong username or password, or this address must wait 15 minutes."
STAFF_ONLY = "The console is for platform staff with two-step verification on."
WRONG_CODE = "Wrong or expired code."
WRONG_PASSKEY = "That passkey was not accepted, or this sign-in has expired."
NO_PASSKEY = (
    "This browser sent no passkey (passkeys need scripts on): "
    "try again, or enter a code."
)
CREDENTIAL_LIMIT = 16_384  # characters; a real assertion is about 1,000


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
    """The second step's form: a code, or the account's passkey."""
    if not request.cookies.get(CHALLENGE_COOKIE):
        return redirect(url_for("console.sign_in"))  # type: ignore[return-value]
    return _second_step_page(safe_next(request.args.get("next")))


@blp.post("/sign-in/code")
def sign_in_with_code() -> Response:
    """Finish signing in with a code from the authenticator app (or a
    recovery code); only staff get a console session."""
    check_csrf(browser_csrf())
    _count(*CHALLENGE_LIMIT)
    next_path = safe_next(request.form.get("next"))
    try:
        grant = services().sign_in.complete_challenge(
            _challenge_id(), request.form.get("code", "")[:64], anonymous()
        )
    except SellerGuardError as error:
        message = WRONG_CODE if error.code == "invalid_code" else _said(error)
        return _second_step_page(next_path, HTTPStatus.UNAUTHORIZED, message)
    return _signed_in(grant, next_path)


@blp.post("/sign-in/passkey")
def sign_in_with_passkey() -> Response:
    """Finish signing in with a passkey instead of a code (the same use case
    as ``POST /sessions/challenge`` with a ``credential``)."""
    check_csrf(browser_csrf())
    next_path = safe_next(request.form.get("next"))
    credential = credential_from_form()
    if credential is None:
        # Nothing signed was sent: no guess was made, nothing is counted.
        return _second_step_page(next_path, HTTPStatus.UNPROCESSABLE_ENTITY, NO_PASSKEY)
    _count(*CHALLENGE_LIMIT)
    try:
        grant = services().sign_in.complete_challenge_with_passkey(
            _challenge_id(), credential, anonymous()
        )
    except SellerGuardError as error:
        message = WRONG_PASSKEY if error.code == "invalid_code" else _said(error)
        return _second_step_page(next_path, HTTPStatus.UNAUTHORIZED, message)
    return _signed_in(grant, next_path)


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


def _second_step_page(
    next_path: str, status: int = HTTPStatus.OK, message: str | None = None
) -> Response:
    """The second step's page, offering what the live challenge accepts; a
    challenge that lapsed (or never was) sends the browser back to sign in."""
    try:
        challenge = services().sign_in.pending_challenge(_challenge_id())
    except SellerGuardError:
        response = page(
            "sign_in.html",
            HTTPStatus.UNAUTHORIZED,
            message=message or "This sign-in has expired: start again.",
            next=next_path,
        )
        response.delete_cookie(CHALLENGE_COOKIE, path="/console")
        return response
    options = challenge.passkey_options
    response = page(
        "code.html",
        status,
        message=message,
        next=next_path,
        methods=challenge.methods,
        passkey_options=None if options is None else json.dumps(options),
    )
    if options is not None:
        response.headers["Content-Security-Policy"] = CONSOLE_PASSKEY_CSP
    return response


def _signed_in(grant: SessionGrant, next_path: str) -> Response:
    """The console session cookie for staff; anyone else's session ends."""
    if grant.principal.kind is not ActorKind.STAFF:
        _end(grant.principal)
        return page("sign_in.html", HTTPStatus.FORBIDDEN, message=STAFF_ONLY)
    response = redirect(next_path)
    set_cookie(response, SESSION_COOKIE, grant.token, expires=grant.expires_at)
    response.delete_cookie(CHALLENGE_COOKIE, path="/console")
    return response  # type: ignore[return-value]


def _challenge_id() -> str:
    return request.cookies.get(CHALLENGE_COOKIE, "")[:200]


def credential_from_form() -> dict[str, Any] | None:
    """The browser's passkey answer as the page's script put it in the form;
    None when nothing usable was sent (the use case checks what is inside)."""
    text = request.form.get("credential", "")
    if not text or len(text) > CREDENTIAL_LIMIT:
        return None
    try:
        credential = json.loads(text)
    except ValueError:
        return None
    return credential if isinstance(credential, dict) else None


def _end(principal: Principal) -> None:
    services().sign_in.logout(principal, principal.actor(None, client_ip()))


def _count(setting: str, endpoint: str) -> None:
    current_app.extensions[RATE_LIMITS].hit(setting, endpoint, client_ip() or "unknown")


def _said(error: SellerGuardError) -> str:
    return (type(error).__doc__ or error.code).strip()
