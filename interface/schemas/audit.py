"""Schemas of the auditors' read side: filtered events, and replayed state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma

from application.event_catalogue import (
    UnknownFilterValueError,
    check_aggregate_type,
    check_event_type,
)
from interface.schemas.fields import Pattern, Timestamp
from interface.schemas.lists import DEFAULT_LIMIT, MAX_LIMIT

MAX_POSITION = (1 << 63) - 1
TYPE_NAME = Pattern(
    r"^[A-Za-z][A-Za-z0-9_.]{0,99}$",
    error="A type is a name such as SellerAccount or SubAccount.RoleChanged.",
)
MOMENT_HELP = "RFC 3339 with a time zone, e.g. 2026-11-22T15:04:05.123456Z"
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
ACTOR_ID = Pattern(
    r"^[^\x00-\x1f\x7f]{1,200}$",
    error="An actor id is 1 to 200 printable characters.",
)


class Moment(ma.fields.AwareDateTime):
    """An RFC 3339 moment with its time zone, loaded in UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment.astimezone(UTC)


USERNAME = ma.validate.Length(1, 256)


def _known(check: Any) -> Any:
    """A validator refusing a value no event of the history can have, with a hint."""

    def validate(value: str) -> None:
        try:
            check(value)
        except UnknownFilterValueError as error:
            raise ma.ValidationError(error.message) from None

    return validate


def _moment(description: str) -> Moment:
    # The range keeps every moment expressible in UTC and in RFC 3339.
    return Moment(
        load_default=None,
        validate=ma.validate.Range(EARLIEST, LATEST, max_inclusive=False),
        metadata={"description": f"{description} ({MOMENT_HELP})"},
    )


def _after() -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(0, MAX_POSITION),
        metadata={"description": "Only events after this log position (a `next`)."},
    )


def _cursor() -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(0, MAX_POSITION),
        metadata={"description": "The same as `after`, as every list takes it."},
    )


class AfterOrCursor(ma.Schema):
    """``after``, or ``cursor`` as every other list calls it (not both)."""

    after = _after()
    cursor = _cursor()

    @ma.validates_schema
    def one_position(self, data: dict[str, Any], **_: Any) -> None:
        if data["cursor"] is not None and data["after"]:
            message = "Give after or cursor, not both."
            raise ma.ValidationError({"after": [message], "cursor": [message]})

    @ma.post_load
    def cursor_is_after(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        cursor = data.pop("cursor")
        if cursor is not None:
            data["after"] = cursor
        return data


def _limit() -> ma.fields.Integer:
    return ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT)
    )


class AuditFiltersSchema(ma.Schema):
    """The filters of the history: every filter given must hold."""

    aggregate_id = ma.fields.UUID(load_default=None)
    username = ma.fields.String(
        load_default=None,
        validate=USERNAME,
        metadata={
            "description": "The events of the account with this login name "
            "(any letter case), instead of its `aggregate_id`."
        },
    )
    aggregate_type = ma.fields.String(
        load_default=None,
        validate=[TYPE_NAME, _known(check_aggregate_type)],
        metadata={
            "example": "SubAccount",
            "description": "Exactly as `GET /audit/event-types` names it.",
        },
    )
    event_type = ma.fields.String(
        load_default=None,
        validate=[TYPE_NAME, _known(check_event_type)],
        metadata={
            "example": "SubAccount.RoleChanged",
            "description": "Exactly as `GET /audit/event-types` names it.",
        },
    )
    actor_id = ma.fields.String(load_default=None, validate=ACTOR_ID)
    actor_username = ma.fields.String(
        load_default=None,
        validate=USERNAME,
        metadata={"description": "Events recorded by the person with this login name."},
    )
    since = _moment("Events that occurred at or after this moment")
    until = _moment("Events that occurred before this moment")

    @ma.validates_schema
    def since_before_until(self, data: dict[str, Any], **_: Any) -> None:
        if data["since"] and data["until"] and data["since"] >= data["until"]:
            raise ma.ValidationError("until must be later than since.", "until")

    @ma.validates_schema
    def id_or_name(self, data: dict[str, Any], **_: Any) -> None:
        for by_id, by_name in (
            ("aggregate_id", "username"),
            ("actor_id", "actor_username"),
        ):
            if data[by_id] is not None and data[by_name] is not None:
                message = f"Give {by_id} or {by_name}, not both."
                raise ma.ValidationError({by_id: [message], by_name: [message]})


class AuditEventsArgsSchema(AfterOrCursor, AuditFiltersSchema):
    """Which events: every filter given must hold."""

    limit = _limit()


class AuditExportArgsSchema(AuditFiltersSchema):
    """Which events to export, and how."""

    format = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(["csv", "jsonl"]),
        metadata={"description": "`csv` (flattened `data.*` columns) or `jsonl`."},
    )
    bom = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "CSV: start with a UTF-8 BOM, for spreadsheets."},
    )

    @ma.validates_schema
    def bom_for_csv(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("bom") and data.get("format") != "csv":
            raise ma.ValidationError("A BOM is for CSV only.", "bom")


class AggregateEventsArgsSchema(AfterOrCursor):
    """Which page of one aggregate's events."""

    limit = _limit()


class AggregateStateArgsSchema(ma.Schema):
    """Which moment of the aggregate's life: a version or a moment, or now."""

    version = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(1, MAX_POSITION)
    )
    as_of = _moment("The aggregate as it stood at this moment")

    @ma.validates_schema
    def version_or_moment(self, data: dict[str, Any], **_: Any) -> None:
        if data["version"] is not None and data["as_of"] is not None:
            message = "Give version or as_of, not both."
            raise ma.ValidationError({"version": [message], "as_of": [message]})


class ActorSchema(ma.Schema):
    """Who acted (``system`` for automatic actions), by id and, for a person,
    by login name."""

    kind = ma.fields.String(required=True)
    id = ma.fields.String(required=True, allow_none=True)
    username = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The login name of the person who acted (seller, "
            "sub-account or staff); null for services, the system, anonymous "
            "callers and ids of no known account."
        },
    )


class AuditEventSchema(ma.Schema):
    """One event as auditors see it; ``data`` has its fields, secrets redacted."""

    position = ma.fields.Integer(required=True)
    aggregate_id = ma.fields.UUID(required=True)
    aggregate_username = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The login name of the account the event belongs to "
            "(a seller, sub-account or staff account); null for other aggregates."
        },
    )
    aggregate_type = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    event_type = ma.fields.String(required=True)
    occurred_at = Timestamp(required=True)
    actor = ma.fields.Nested(ActorSchema, required=True)
    request_id = ma.fields.String(required=True, allow_none=True)
    ip = ma.fields.String(required=True, allow_none=True)
    data = ma.fields.Dict(keys=ma.fields.String(), required=True)


class EventTypeSchema(ma.Schema):
    """One kind of event, the aggregate that records it, and what it means."""

    event_type = ma.fields.String(required=True)
    aggregate_type = ma.fields.String(required=True)
    description = ma.fields.String(required=True)


class EventTypesSchema(ma.Schema):
    """Every event type the history can hold (a shared one once per aggregate)."""

    items = ma.fields.List(ma.fields.Nested(EventTypeSchema), required=True)


class AuditEventPageSchema(ma.Schema):
    """A page of events in log order; pass ``next`` as ``after`` for the next."""

    items = ma.fields.List(ma.fields.Nested(AuditEventSchema), required=True)
    next = ma.fields.Integer(required=True, allow_none=True)


class AggregateStateSchema(ma.Schema):
    """An aggregate as it stood then, secrets redacted."""

    aggregate_type = ma.fields.String(required=True)
    id = ma.fields.UUID(required=True)
    version = ma.fields.Integer(required=True)
    as_of = Timestamp(required=True)
    state = ma.fields.Dict(keys=ma.fields.String(), required=True)
