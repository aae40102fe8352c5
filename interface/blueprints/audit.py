"""The audit history for auditors: filtered events, and any aggregate replayed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import marshmallow as ma
from flask import Response, stream_with_context
from flask_smorest import Blueprint

from application.audit import AccountNames, AggregateState, AuditPage
from application.audit_index import AuditFilters
from application.event_catalogue import EventType, event_types
from domain.actor import Actor
from interface.audit_files import MEDIA_TYPES, ExportWriter
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.schemas.audit import (
    AggregateEventsArgsSchema,
    AggregateStateArgsSchema,
    AggregateStateSchema,
    AuditEventPageSchema,
    AuditEventsArgsSchema,
    AuditExportArgsSchema,
    EventTypesSchema,
)

AUDIT_READ = "audit:read"
FILTERS = ("aggregate_id", "aggregate_type", "event_type", "actor_id", "since", "until")
NAMES = ("username", "actor_username")
AGGREGATE_PARAMETER = {
    "in": "path",
    "name": "aggregate_id",
    "required": True,
    "schema": {"type": "string", "minLength": 1},
    "description": "An aggregate id, or an account's login name (any letter case).",
}

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
    filters, names = filters_of(args)
    reader = acting(current_principal())
    return services().audit.events(
        reader, filters, args["after"], args["limit"], names=names
    )


@blp.get("/event-types")
@requires(blp, AUDIT_READ)
@blp.response(200, EventTypesSchema)
def list_event_types() -> dict[str, tuple[EventType, ...]]:
    """Every event type the history can hold, the aggregate that records it,
    and what it means: the values the `event_type` and `aggregate_type`
    filters take (letter case matters)."""
    return {"items": event_types()}


@blp.get("/export")
@requires(blp, AUDIT_READ)
@blp.arguments(AuditExportArgsSchema, location="query", unknown=ma.RAISE)
@blp.doc(
    responses={
        "200": {
            "description": "The events that pass the filters, streamed, in log "
            "order. A record that cannot be read keeps its place, with its "
            "`unreadable` reason.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    }
)
@problems(blp, 422)
def export_events(args: dict[str, Any]) -> Response:
    """Download the history that passes the filters of `/audit/events` as a file
    (CSV with flattened `data.*` columns, or JSON lines); recorded as one read."""
    return export_response(args, acting(current_principal()))


def export_response(args: dict[str, Any], reader: Actor) -> Response:
    """The export as a streamed download (the API's and the console's)."""
    filters, names = filters_of(args)
    run = services().audit.export(reader, filters=filters, names=names)
    fmt = args["format"]
    writer = ExportWriter.for_filters(fmt, args, bom=args["bom"])

    def lines() -> Iterator[str]:
        yield writer.header()
        for page in run.pages:
            yield from writer.lines(page)

    stamp = services().clock.now().strftime("%Y%m%dT%H%M%SZ")
    return Response(
        stream_with_context(lines()),
        mimetype=MEDIA_TYPES[fmt],
        content_type=f"{MEDIA_TYPES[fmt]}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


def filters_of(args: dict[str, Any]) -> tuple[AuditFilters, AccountNames]:
    """The filters of a request's query, by id and by name."""
    return (
        AuditFilters(**{name: args[name] for name in FILTERS}),
        AccountNames(**{name: args[name] for name in NAMES}),
    )


@blp.get("/aggregates/<string:aggregate_id>/events")
@blp.doc(parameters=[AGGREGATE_PARAMETER])
@requires(blp, AUDIT_READ)
@blp.arguments(AggregateEventsArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, AuditEventPageSchema)
@problems(blp, 404, 422)
def aggregate_events(args: dict[str, Any], aggregate_id: str) -> AuditPage:
    """Every event of one aggregate (by id, or an account by login name), in order."""
    reader = acting(current_principal())
    audit = services().audit
    return audit.aggregate_events(
        reader, audit.aggregate_id_of(aggregate_id), args["after"], args["limit"]
    )


@blp.get("/aggregates/<string:aggregate_id>/state")
@blp.doc(parameters=[AGGREGATE_PARAMETER])
@requires(blp, AUDIT_READ)
@blp.arguments(AggregateStateArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, AggregateStateSchema)
@problems(blp, 404, 422)
def aggregate_state(args: dict[str, Any], aggregate_id: str) -> AggregateState:
    """The aggregate (by id, or an account by login name) as it stood at a
    version or a moment (default: now)."""
    reader = acting(current_principal())
    audit = services().audit
    return audit.state(
        reader, audit.aggregate_id_of(aggregate_id), args["version"], args["as_of"]
    )
