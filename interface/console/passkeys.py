"""A staff member's own passkeys in the console: listed, and one added.

The same use cases as ``/me/passkeys`` (the same ceremony kept in the store,
the same checks, the same events and alert), under the same rule: adding a
passkey needs a sign-in within ``SELLERGUARD_STEP_UP_MAX_AGE``. Renaming and
removing stay in the API.

Creating a passkey needs ``navigator.credentials.create()``: the page that
asks for it runs our own ``static/passkey.js`` (``script-src 'self'``, no
inline script), which puts the browser's answer into the page's form.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, g, redirect, request, url_for

from application.principals import Principal
from interface.auth import ReauthenticationRequiredError, acting, require_recent_sign_in
from interface.composition import services
from interface.console.base import blp, page, staff_page
from interface.console.sign_in import credential_from_form
from interface.schemas.passkeys import PasskeyRegistrationSchema, PasskeyRenameSchema
from interface.security_headers import CONSOLE_PASSKEY_CSP

NOT_RECENT = (
    "Adding a passkey needs a recent sign-in: sign out, sign in again, "
    "then add it within {minutes} minutes."
)
NO_ANSWER = "This browser sent no passkey (passkeys need scripts on): try again."


@blp.get("/passkeys")
@staff_page()
def passkeys() -> Response:
    """Your passkeys, newest first, and a form to add one."""
    principal: Principal = g.principal
    return page(
        "passkeys.html",
        passkeys=services().passkeys.list(principal),
        recent=_recent(),
        not_recent=_not_recent(),
    )


@blp.post("/passkeys/options")
@staff_page()
def passkey_options() -> Response:
    """Start adding a passkey: the page that asks the browser to create it."""
    name = PasskeyRenameSchema().load({"name": request.form.get("name", "")})["name"]
    if not _recent():
        return page("error.html", HTTPStatus.UNAUTHORIZED, message=_not_recent())
    principal: Principal = g.principal
    started = services().passkeys.registration_options(principal, acting(principal))
    response = page(
        "passkey_new.html",
        name=name,
        challenge_id=started.challenge_id,
        creation_options=json.dumps(started.options),
    )
    response.headers["Content-Security-Policy"] = CONSOLE_PASSKEY_CSP
    return response


@blp.post("/passkeys")
@staff_page()
def add_passkey() -> Response:
    """Keep the passkey the browser created (the same checks as the API)."""
    credential = credential_from_form()
    if credential is None:
        return page("error.html", HTTPStatus.UNPROCESSABLE_ENTITY, message=NO_ANSWER)
    body = PasskeyRegistrationSchema().load(
        {
            "challenge_id": request.form.get("challenge_id", ""),
            "name": request.form.get("name", ""),
            "credential": credential,
        }
    )
    if not _recent():
        return page("error.html", HTTPStatus.UNAUTHORIZED, message=_not_recent())
    principal: Principal = g.principal
    services().passkeys.register(
        principal,
        body["challenge_id"],
        body["name"],
        body["credential"],
        acting(principal),
    )
    return redirect(url_for("console.passkeys"))  # type: ignore[return-value]


def _recent() -> bool:
    """Whether this session signed in within SELLERGUARD_STEP_UP_MAX_AGE."""
    try:
        require_recent_sign_in()
    except ReauthenticationRequiredError:
        return False
    return True


def _not_recent() -> str:
    """How to get a recent sign-in in the console (no reauthentication page)."""
    minutes = int(services().settings.step_up_max_age.total_seconds() // 60)
    return NOT_RECENT.format(minutes=max(minutes, 1))
