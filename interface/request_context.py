"""Per-request facts: the request id, the client's address, the acting principal."""

from __future__ import annotations

import ipaddress
import logging
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from domain.actor import Actor, ActorKind

logger = logging.getLogger("sellerguard.access")

REQUEST_ID_HEADER = "X-Request-Id"
ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """WSGI middleware: the client's address, from X-Forwarded-For only when
    the peer is one of our proxies.

    The header is read from the right, past every address of our proxies, to
    the first address none of them has: the one our first proxy saw. A peer
    outside the list has its header ignored, so nobody can choose the address
    their attempts are counted under.
    """

    def __init__(self, app: Any, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR", "")
        if self.trusted(peer):
            environ["REMOTE_ADDR"] = self.client(
                peer, environ.get("HTTP_X_FORWARDED_FOR", "")
            )
        result: Iterable[bytes] = self.app(environ, start_response)
        return result

    def trusted(self, address: str) -> bool:
        """Whether the address is one of our proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded: str) -> str:
        """The first address from the right that is not one of our proxies."""
        client = peer
        for hop in reversed([part.strip() for part in forwarded.split(",")]):
            try:
                client = str(ipaddress.ip_address(hop))
            except ValueError:
                break  # a garbled hop: believe nothing to its left
            if not self.trusted(client):
                break
        return client


def install(
    app: Flask, proxy_hops: int, trusted_proxies: Sequence[Network] = ()
) -> None:
    """Give every request an id, its true client IP and an access-log line."""
    if trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, trusted_proxies)  # type: ignore[method-assign]
    elif proxy_hops:
        # Trust X-Forwarded-For only as far as our own proxies wrote it. With
        # no proxy in front, this lets any client choose its address.
        logger.warning(
            "SELLERGUARD_PROXY_HOPS=%d without SELLERGUARD_TRUSTED_PROXIES: "
            "X-Forwarded-For is believed from any peer",
            proxy_hops,
        )
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


def new_request_id(offered: str) -> str:
    """The client's request id when acceptable, else a new one."""
    return offered if ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def log_request(
    rid: str, method: str, path: str, status: int, started: float, ip: str | None
) -> None:
    """The access-log line of one request (``started``: its perf_counter)."""
    logger.info(
        "request",
        extra={
            "request_id": rid,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "ip": ip,
        },
    )


def _begin() -> None:
    g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER, ""))
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    rid = g.get("request_id")
    if rid is None:  # the request failed before _begin ran
        _begin()
        rid = g.request_id
    response.headers[REQUEST_ID_HEADER] = rid
    log_request(
        rid, request.method, request.path, response.status_code, g.started, client_ip()
    )
    return response
