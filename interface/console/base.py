"""What every console page shares: the staff cookie session, CSRF, rendering.

The console is one more client of the same use cases as the API. Its session
is an ordinary SellerGuard session whose token lives in an ``HttpOnly``,
``SameSite=Strict`` cookie (``Secure`` unless
``SELLERGUARD_CONSOLE_INSECURE_COOKIES=1``), so expiry, revocation and the
events it records are the API's. Every form carries a CSRF token: an HMAC of
the session token under a key outside the database (before sign-in, of a
random cookie of the browser's own).
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

import marshmallow as ma
from flask import (
    Blueprint,
    Response,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from application.principals import Principal, digest
from domain.actor import ActorKind
from domain.errors import SellerGuardError
from interface.composition import services
from interface.problems import STATUS_OF_CODE
from interface.request_context import client_ip, request_id

F = TypeVar("F", bound=Callable[..., Any])

SESSION_COOKIE = "sg_console"
BROWSER_COOKIE = "sg_console_browser"
CHALLENGE_COOKIE = "sg_console_challenge"
CSRF_FIELD = "csrf"

blp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
)


class CsrfError(SellerGuardError):
    """The form did not come from this console (or its page is too old): reload
    the page and try again."""

    code = "forbidden"


def staff_page(permission: str | None = None) -> Callable[[F], F]:
    """A page for signed-in staff with two-step on (and ``permission``).

    Anyone else is sent to the sign-in page; a form posted without this
    session's CSRF token changes nothing (403).
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            token = request.cookies.get(SESSION_COOKIE, "")
            principal = _principal(token)
            if principal is None:
                return redirect(url_for("console.sign_in", next=_next_path()))
            g.principal = principal
            g.console_token = token
            if request.method == "POST":
                check_csrf(session_csrf(token))
            if permission is not None and not principal.may(permission):
                return page(
                    "error.html",
                    HTTPStatus.FORBIDDEN,
                    message=f"Your role does not have the permission {permission}.",
                )
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A console page, with who is signed in and the CSRF token of its forms."""
    principal: Principal | None = g.get("principal")
    token: str | None = g.get("console_token")
    html = render_template(
        f"console/{template}",
        principal=principal,
        csrf=session_csrf(token) if token else browser_csrf(),
        **context,
    )
    response = Response(html, status=status, mimetype="text/html")
    if not token:
        remember_browser(response)
    return response


def session_csrf(token: str) -> str:
    """The CSRF token of the forms of one session."""
    return _keyed("console-csrf", digest(token))


def browser_csrf() -> str:
    """The CSRF token of the sign-in forms, bound to this browser's cookie."""
    browser = g.get("browser_id") or request.cookies.get(BROWSER_COOKIE)
    if not browser:
        browser = g.browser_id = secrets.token_urlsafe(24)
    return _keyed("console-browser-csrf", browser)


def remember_browser(response: Response) -> None:
    """Set the browser's own random cookie the sign-in forms are bound to."""
    browser = g.get("browser_id")
    if browser:
        set_cookie(response, BROWSER_COOKIE, browser)


def check_csrf(expected: str) -> None:
    """Refuse a form without the right token (compared in constant time)."""
    given = request.form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfError("csrf")


def set_cookie(response: BaseResponse, name: str, value: str, **extra: Any) -> None:
    """A console cookie: script cannot read it, no other site sends it."""
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="Strict",
        secure=not services().settings.console_insecure_cookies,
        path="/console",
        **extra,
    )


def _keyed(purpose: str, subject: str) -> str:
    keys = services().recovery.links.keys
    return keys.derive(purpose, subject)


def _principal(token: str) -> Principal | None:
    if not token:
        return None
    try:
        principal = services().sign_in.authenticate(token, request_id(), client_ip())
    except SellerGuardError:
        return None
    if principal.kind is not ActorKind.STAFF or not principal.two_step_enabled:
        return None
    return principal


def _next_path() -> str:
    return request.full_path.rstrip("?") if request.method == "GET" else "/console/"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path, never another site."""
    if value and value.startswith("/console/") and "//" not in value:
        return value
    return url_for("console.home")


@blp.errorhandler(SellerGuardError)
def refused(error: SellerGuardError) -> Response:
    """A use case said no: the page says why, in the words of the API."""
    status = STATUS_OF_CODE.get(error.code, 422)
    message = (type(error).__doc__ or error.code).strip()
    field = getattr(error, "field", None)
    if error.code == "validation_error" and field:
        message = f"{field}: {getattr(error, 'message', None) or error}"
    return page("error.html", status, message=message, code=error.code)


@blp.errorhandler(ma.ValidationError)
def invalid(error: ma.ValidationError) -> Response:
    """A form with invalid fields: each named with what is wrong."""
    messages = error.messages if isinstance(error.messages, dict) else {}
    lines = [
        f"{field}: {' '.join(map(str, text if isinstance(text, list) else [text]))}"
        for field, text in messages.items()
    ]
    return page(
        "error.html", 422, message="The form has invalid fields.", details=lines
    )


@blp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """What the framework refused, as a page."""
    status = error.code or 500
    return page("error.html", status, message=HTTPStatus(status).phrase)
