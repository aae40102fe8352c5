"""``GET /metrics``: the Prometheus text format, for service keys with ``metrics:read``.

Every request is counted and timed here too, labelled with its OpenAPI
``operationId`` (``unmatched`` when no route matched, ``other`` for the docs
and problem pages), so the number of series stays bounded whatever is sent.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, request
from flask_smorest import Blueprint

from interface.auth import requires
from interface.composition import services
from interface.openapi import OperationDocs

blp = Blueprint("metrics", __name__, description="Operations")

PERMISSION = "metrics:read"


@blp.get("/metrics")
@requires(blp, PERMISSION)
@blp.response(
    200,
    content_type="text/plain",
    description="Metrics in the Prometheus text exposition format.",
)
def metrics() -> Response:
    """Request counts and latencies, sign-in outcomes, lockouts, throttles,
    alerts, the log followers' lag, the newest checkpoint's age, the outbox."""
    body, content_type = services().metrics.exposition()
    return Response(body, content_type=content_type)


def install(app: Flask, docs: OperationDocs) -> None:
    """Count and time every request by its operation and status."""

    def begin() -> None:
        g.metrics_started = time.perf_counter()

    def finish(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is None:
            return response
        found = services().metrics
        found.request(
            _operation(docs), response.status_code, time.perf_counter() - started
        )
        if response.status_code == 429:
            found.throttle("rate_limit")
        return response

    app.before_request(begin)
    app.after_request(finish)


def _operation(docs: OperationDocs) -> str:
    rule = request.url_rule
    if rule is None or rule.endpoint is None:
        return "unmatched"
    return docs.operation_ids.get((rule.endpoint, request.method), "other")
