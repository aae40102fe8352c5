"""The checkout check's lean path: answered in front of Flask.

Every order placement asks the block-list check, so its cost is the cost of
the request machinery around it: Flask's request context, routing, the
before- and after-request hooks, flask-smorest's wrappers and marshmallow
cost about three times what the check itself costs. This WSGI middleware
answers the one common case before all that: a ``GET`` with a well-formed
query and no body, from a live service key that holds ``blocklist:check``.

Anything else (no key or another kind of token, a key without the scope, a
malformed or extra parameter, a body, ``HEAD``, an error while answering)
goes on, untouched, to the Flask view, which answers it as it always did.
So refusals and their problem details come from one place, and the lean
answer is the view's answer: the same body, the same headers (security
headers, ``X-Request-Id``), the same access-log line.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

from flask import Flask

from domain.block_list import BuyerAction
from interface.composition import EXTENSION, Services
from interface.request_body import MAX_QUERY_STRING, ODD_TEXT
from interface.request_context import log_request, new_request_id
from interface.schemas.block_lists import BUYER_PATTERN
from interface.security_headers import API_HEADERS

logger = logging.getLogger(__name__)

# Werkzeug's uuid converter, anchored: the path the Flask route matches.
CHECK_PATH = re.compile(
    r"/api/v1/sellers/"
    r"([A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12})"
    r"/blocklist/check\Z"
)
SCOPE = "blocklist:check"
OPERATION = "checkBuyer"  # its operationId
ACTIONS = {action.value: action for action in BuyerAction}
BODIES = {
    (allowed, blocked): (
        '{"allowed": %s, "blocked": %s}'  # noqa: UP031 - the view's exact bytes
        % ("true" if allowed else "false", "true" if blocked else "false")
    ).encode()
    for allowed in (True, False)
    for blocked in (True, False)
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class FastCheck:
    """WSGI middleware: the check's common case answered without Flask."""

    def __init__(self, app: WsgiApp, services: Services) -> None:
        self.app = app
        self.services = services

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":
            found = CHECK_PATH.match(environ.get("PATH_INFO", ""))
            if found is not None:
                answer = self._answer(environ, found.group(1), start_response)
                if answer is not None:
                    return answer
        return self.app(environ, start_response)

    def _answer(
        self, environ: dict[str, Any], shop: str, start_response: StartResponse
    ) -> list[bytes] | None:
        started = time.perf_counter()
        args = _arguments(environ)
        if args is None or _has_body(environ):
            return None
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            principal = self.services.sign_in.service(token.strip())
            if principal is None or not principal.may(SCOPE):
                return None  # the view refuses it, with its problem details
            result = self.services.block_lists.check(UUID(shop), *args)
        except Exception:  # the view answers it, and maps the error
            logger.debug("check: lean path declined", exc_info=True)
            return None
        body = BODIES[result.allowed, result.blocked]
        rid = new_request_id(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *API_HEADERS,
                ("X-Request-Id", rid),
            ],
        )
        log_request(
            rid, "GET", environ["PATH_INFO"], 200, started, environ.get("REMOTE_ADDR")
        )
        # Counted as the view would be (interface/blueprints/metrics.py).
        self.services.metrics.request(OPERATION, 200, time.perf_counter() - started)
        return [body]


def install(app: Flask) -> None:
    """Put the lean path in front of the app (inside any proxy middleware)."""
    app.wsgi_app = FastCheck(app.wsgi_app, app.extensions[EXTENSION])  # type: ignore[method-assign]


def _arguments(environ: dict[str, Any]) -> tuple[str, BuyerAction] | None:
    """``buyer`` and ``action``, each once and valid, and nothing else; or None."""
    query = environ.get("QUERY_STRING", "")
    if len(query) > MAX_QUERY_STRING:
        return None
    pairs = parse_qsl(query, keep_blank_values=True, errors="replace")
    if len(pairs) != 2:
        return None
    args = dict(pairs)
    buyer, action = args.get("buyer"), ACTIONS.get(args.get("action", ""))
    if (
        buyer is None
        or action is None
        or ODD_TEXT.search(buyer)
        or not BUYER_PATTERN.fullmatch(buyer)
    ):
        return None
    return buyer, action


def _has_body(environ: dict[str, Any]) -> bool:
    return environ.get("CONTENT_LENGTH", "") not in ("", "0") or (
        "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    )
