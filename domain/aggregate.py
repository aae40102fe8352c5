"""The base of every SellerGuard aggregate: events that say who acted and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor


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
        event_class: type[Aggregate.Event],
        actor: Actor,
        at: datetime,
        **fields: Any,
    ) -> None:
        """Record one event at the given moment, by the given actor."""
        self.trigger_event(event_class, actor=actor, timestamp=at, **fields)
