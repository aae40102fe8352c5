"""Per-request facts: the request id, the client's address, the acting principal."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from domain.actor import Actor, ActorKind

logger = logging.getLogger("sellerguard.access")

REQUEST_ID_HEADER = "X-Request-Id"
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def install(app: Flask, proxy_hops: int) -> None:
    """Give every request an id, its true client IP and an access-log line."""
    if proxy_hops:
        # Trust X-Forwarded-For only as far as our own proxies wrote it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops)  # type: ignore[method-assign]
    app.before_request(_begin)
    app.after_request(_finish)


def request_id() -> str:
    """This request's id (also in the ``X-Request-Id`` response header)."""
    return str(g.request_id)


def client_ip() -> str | None:
    """The client's address, from the socket or from our trusted proxies."""
    return request.remote_addr


def anonymous() -> Actor:
    """The actor of a request nobody has signed in for."""
    return Actor(ActorKind.ANONYMOUS, None, request_id(), client_ip())


def _begin() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = (
        offered if ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    )
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:  # the request failed before _begin ran
        _begin()
        rid = g.request_id
    response.headers[REQUEST_ID_HEADER] = rid
    logger.info(
        "request",
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
            "ip": client_ip(),
        },
    )
    return response
