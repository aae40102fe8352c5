"""Which event types the history holds, and which aggregates record them.

Read from the domain's classes, so a new event is listed the day it is
written. An event nested in an aggregate class is filed under that
aggregate; a shared event (``LoginSucceeded``, ``PasswordChanged``) under
every aggregate whose class, or one of its bases, is defined in a module
that uses it.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import domain
from application.audit_index import short_topic
from application.redaction import EVENT_METADATA
from domain.aggregate import Recorded
from domain.errors import SellerGuardError


@dataclass(frozen=True, order=True)
class EventType:
    """One kind of event, the aggregate that records it, and what it means."""

    event_type: str
    aggregate_type: str
    description: str


class UnknownFilterValueError(SellerGuardError):
    """A filter names an event or aggregate type the history never holds."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@functools.cache
def event_types() -> tuple[EventType, ...]:
    """Every (event type, aggregate type) pair, sorted by event type."""
    found: set[EventType] = set()
    for aggregate in _aggregates():
        name = short_topic(aggregate.TOPIC)
        for event in _events_of(aggregate):
            found.add(EventType(short_topic(event.TOPIC), name, _description(event)))
    return tuple(sorted(found))


@functools.cache
def data_fields(
    event_type: str | None = None, aggregate_type: str | None = None
) -> tuple[str, ...]:
    """The fields of the events of that type (or of any), as their ``data`` shows."""
    fields: set[str] = set()
    for aggregate in _aggregates():
        if aggregate_type not in (None, short_topic(aggregate.TOPIC)):
            continue
        for event in _events_of(aggregate):
            if event_type in (None, short_topic(event.TOPIC)):
                fields.update(
                    f.name
                    for f in dataclasses.fields(event)
                    if f.name not in EVENT_METADATA
                )
    return tuple(sorted(fields))


@functools.cache
def aggregate_type_names() -> tuple[str, ...]:
    """Every aggregate type, sorted."""
    return tuple(sorted({e.aggregate_type for e in event_types()}))


@functools.cache
def event_type_names() -> tuple[str, ...]:
    """Every event type, sorted."""
    return tuple(sorted({e.event_type for e in event_types()}))


def check_event_type(value: str | None) -> None:
    """Refuse a name no event has (a wrong letter case included), with a hint."""
    _check("event_type", value, event_type_names(), "event types")


def check_aggregate_type(value: str | None) -> None:
    """Refuse a name no aggregate has (a wrong letter case included), with a hint."""
    _check("aggregate_type", value, aggregate_type_names(), "aggregate types")


def _check(field: str, value: str | None, known: tuple[str, ...], what: str) -> None:
    if value is None or value in known:
        return
    # The value itself is never repeated back: only what would be right.
    same_but_case = [k for k in known if k.lower() == value.lower()]
    close = same_but_case or difflib.get_close_matches(value, known, n=1)
    hint = f"Did you mean {close[0]}? " if close else ""
    message = (
        f"Not one of the {len(known)} known {what}. {hint}"
        f"Known {what} (letter case matters): {', '.join(known)}. "
        "GET /api/v1/audit/event-types describes each."
    )
    raise UnknownFilterValueError(field, message)


def _aggregates() -> Iterator[Any]:
    """The concrete aggregate classes: those with a topic of their own."""
    for module in _domain_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, Recorded)
                and cls.__module__ == module.__name__
                and "TOPIC" in vars(cls)
            ):
                yield cls


def _domain_modules() -> list[ModuleType]:
    """Every module of the domain package (a new aggregate is found unasked)."""
    return [
        importlib.import_module(f"{domain.__name__}.{info.name}")
        for info in pkgutil.iter_modules(domain.__path__)
    ]


def _events_of(aggregate: Any) -> Iterator[Any]:
    for _, member in inspect.getmembers(aggregate, inspect.isclass):
        topic = str(vars(member).get("TOPIC", ""))
        if _is_event(member) and topic.startswith(aggregate.TOPIC + "."):
            yield member
    for base in aggregate.__mro__:
        module = sys.modules.get(base.__module__)
        for member in vars(module).values() if module else ():
            if inspect.isclass(member) and _is_event(member) and _is_shared(member):
                yield member


def _is_event(cls: type) -> bool:
    topic = vars(cls).get("TOPIC")
    return (
        issubclass(cls, Recorded.Event)
        and isinstance(topic, str)
        # The abstract ``<Aggregate>.Event`` bases are never recorded.
        and not topic.endswith(".Event")
    )


def _is_shared(cls: type) -> bool:
    return "." not in cls.__qualname__


def _description(event: type) -> str:
    doc = inspect.getdoc(event) or ""
    return doc.split("\n\n")[0].replace("\n", " ").replace("``", "`").strip()
