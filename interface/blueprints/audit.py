"""The audit history for auditors: filtered events, and any aggregate replayed."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import marshmallow as ma
from flask_smorest import Blueprint

from application.audit import AggregateState, AuditPage
from application.audit_index import AuditFilters
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.schemas.audit import (
    AggregateEventsArgsSchema,
    AggregateStateArgsSchema,
    AggregateStateSchema,
    AuditEventPageSchema,
    AuditEventsArgsSchema,
)

AUDIT_READ = "audit:read"
FILTERS = ("aggregate_id", "aggregate_type", "event_type", "actor_id", "since", "until")

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/audit",
    description="The audit history, read-only; every read is itself recorded",
)


@blp.get("/events")
@requires(blp, AUDIT_READ)
@blp.arguments(AuditEventsArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, AuditEventPageSchema)
@problems(blp, 422)
def list_events(args: dict[str, Any]) -> AuditPage:
    """Every event that passes the filters, in log order, secrets redacted."""
    filters = AuditFilters(**{name: args[name] for name in FILTERS})
    reader = acting(current_principal())
    return services().audit.events(reader, filters, args["after"], args["limit"])


@blp.get("/aggregates/<uuid:aggregate_id>/events")
@requires(blp, AUDIT_READ)
@blp.arguments(AggregateEventsArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, AuditEventPageSchema)
@problems(blp, 404, 422)
def aggregate_events(args: dict[str, Any], aggregate_id: UUID) -> AuditPage:
    """Every event of one aggregate, in order."""
    reader = acting(current_principal())
    return services().audit.aggregate_events(
        reader, aggregate_id, args["after"], args["limit"]
    )


@blp.get("/aggregates/<uuid:aggregate_id>/state")
@requires(blp, AUDIT_READ)
@blp.arguments(AggregateStateArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, AggregateStateSchema)
@problems(blp, 404, 422)
def aggregate_state(args: dict[str, Any], aggregate_id: UUID) -> AggregateState:
    """The aggregate as it stood at a version or a moment (default: now)."""
    reader = acting(current_principal())
    return services().audit.state(reader, aggregate_id, args["version"], args["as_of"])
