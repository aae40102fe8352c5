"""Auditors' pages: the history searched, an aggregate replayed, integrity,
the export; each read is recorded as the API's are."""

from __future__ import annotations

import base64
from typing import Any

import marshmallow as ma
from flask import Response, g, request

from application.event_catalogue import aggregate_type_names, event_type_names
from interface.auth import acting
from interface.blueprints.audit import export_response, filters_of
from interface.composition import services
from interface.console.base import blp, page, staff_page
from interface.schemas.audit import (
    AggregateStateArgsSchema,
    AuditEventsArgsSchema,
    AuditExportArgsSchema,
)

AUDIT_READ = "audit:read"
FILTER_FIELDS = (
    "aggregate_id",
    "username",
    "aggregate_type",
    "event_type",
    "actor_id",
    "actor_username",
    "since",
    "until",
)
MOMENTS = ("since", "until", "as_of")


@blp.get("/audit/events")
@staff_page(AUDIT_READ)
def audit_events() -> Response:
    """The history, filtered as ``GET /audit/events`` filters it."""
    given = _query(*FILTER_FIELDS, "after", "limit")
    try:
        args = AuditEventsArgsSchema().load(given)
    except ma.ValidationError as error:
        return _events_page(given, None, _messages(error), status=422)
    filters, names = filters_of(args)
    found = services().audit.events(
        acting(g.principal), filters, args["after"], args["limit"], names=names
    )
    return _events_page(given, found, {})


@blp.get("/audit/export")
@staff_page(AUDIT_READ)
def audit_export() -> Response:
    """The filtered history as a file (recorded as one read)."""
    args = AuditExportArgsSchema().load(_query(*FILTER_FIELDS, "format", "bom"))
    return export_response(args, acting(g.principal))


@blp.get("/audit/aggregates/<string:reference>")
@staff_page(AUDIT_READ)
def audit_aggregate(reference: str) -> Response:
    """An aggregate's events, and its state at a version or moment (or now)."""
    audit = services().audit
    given = _query("version", "as_of")
    args = AggregateStateArgsSchema().load(given)
    aggregate_id = audit.aggregate_id_of(reference[:256])
    reader = acting(g.principal)
    state = audit.state(reader, aggregate_id, args["version"], args["as_of"])
    events = audit.aggregate_events(reader, aggregate_id, 0, 500)
    return page(
        "aggregate.html",
        state=state,
        events=events.items,
        more=events.next is not None,
        given=given,
    )


@blp.get("/audit/integrity")
@staff_page(AUDIT_READ)
def audit_integrity() -> Response:
    """Whether the log is intact, and the newest signed checkpoint."""
    log = services().integrity
    report = log.verify()
    root = base64.b64encode(report.head.root).decode("ascii")
    return page("integrity.html", report=report, root=root, checkpoint=log.checkpoint())


def _events_page(
    given: dict[str, str], found: Any, errors: dict[str, str], status: int = 200
) -> Response:
    export = {k: v for k, v in given.items() if k in FILTER_FIELDS}
    return page(
        "events.html",
        status,
        given=given,
        found=found,
        errors=errors,
        export=export,
        event_types=event_type_names(),
        aggregate_types=aggregate_type_names(),
    )


def _query(*names: str) -> dict[str, str]:
    """The named query fields that were filled in; a moment typed without a
    zone (as a browser's date-time field sends it) is taken as UTC."""
    given = {
        n: request.args[n].strip() for n in names if request.args.get(n, "").strip()
    }
    for name in MOMENTS:
        value = given.get(name)
        if value and len(value) in (16, 19) and "T" in value:
            given[name] = value + ("Z" if len(value) == 19 else ":00Z")
    return given


def _messages(error: ma.ValidationError) -> dict[str, str]:
    messages = error.messages if isinstance(error.messages, dict) else {}
    return {
        str(field): " ".join(map(str, text if isinstance(text, list) else [text]))
        for field, text in messages.items()
    }
