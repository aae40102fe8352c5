"""Liveness and readiness for the process supervisor and the load balancer."""

from __future__ import annotations

import logging

import marshmallow as ma
from flask_smorest import Blueprint

from interface.blueprints.documenting import problems
from interface.composition import services
from interface.problems import problem

logger = logging.getLogger(__name__)

blp = Blueprint("health", __name__, description="Operations")


class HealthSchema(ma.Schema):
    """Whether the process, or its event store, is up."""

    status = ma.fields.String(required=True)


@blp.get("/healthz")
@blp.response(200, HealthSchema)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@blp.get("/readyz")
@blp.response(200, HealthSchema)
@problems(blp, 503)
def readyz() -> object:
    """Ready to serve: the event store answers and the log's followers keep up
    (within a second in all)."""
    failures = services().readiness.failures()
    if failures:
        failing = list(failures)
        why = "; ".join(f"{name}: {reason}" for name, reason in failures.items())
        logger.warning("not ready: %s", why)
        response = problem(503, "not_ready", f"Not ready: {why}.", failing=failing)
        response.headers["Retry-After"] = "1"
        return response
    return {"status": "ready"}
