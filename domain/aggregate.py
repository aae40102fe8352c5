"""The base of every SellerGuard aggregate: events that say who acted and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import register_topic

from domain.actor import Actor

E = TypeVar("E", bound=type[CanMutateAggregate[Any]])


class Recorded(Aggregate):
    """An aggregate whose every event records its actor and its time.

    Subclasses give themselves and each event an explicit ``TOPIC`` (stable
    across renames) and change an event's shape only with ``class_version``
    and an upcaster.
    """

    class Event(Aggregate.Event):
        actor: Actor

    def _record(
        self,
        event_class: type[CanMutateAggregate[Any]],
        actor: Any,
        at: datetime,
        **fields: Any,
    ) -> None:
        """Record one event at the given moment, by the given actor."""
        self.trigger_event(event_class, actor=actor, timestamp=at, **fields)


def shared_event(event_class: E) -> E:
    """Register an event class that several kinds of aggregate record.

    Events nested in an aggregate class are copied into each subclass, where
    one explicit topic cannot name several copies; shared events therefore
    live at module level, each with its own stable topic.
    """
    register_topic(event_class.TOPIC, event_class)  # type: ignore[attr-defined]
    return event_class
