"""The audit index: one row per event, its store's port, and the indexer."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification

from application.ledger import Ledger
from application.timestamps import rfc3339

logger = logging.getLogger(__name__)

TOPIC_PREFIX = "sellerguard:"
UNKNOWN_TYPE = "unknown"

INDEX_PAGE = 1000
MAX_PAGE_GROWTH = 8
TYPE_CACHE_SIZE = 100_000
MAX_RETRY_PAUSE = 30.0


@functools.cache
def short_topic(topic: str) -> str:
    """``sellerguard:SellerAccount.Registered`` → ``SellerAccount.Registered``."""
    return topic.removeprefix(TOPIC_PREFIX)


@dataclass(frozen=True, slots=True)
class IndexRow:
    """One event as the audit index files it."""

    position: int
    aggregate_id: UUID
    aggregate_type: str
    version: int
    event_type: str
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Which events: each given filter must hold; ``since <= occurred_at < until``."""

    aggregate_id: UUID | None = None
    aggregate_type: str | None = None
    event_type: str | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_query(self) -> dict[str, str]:
        """The filters given, as plain strings (what a reader's trail records)."""
        query: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, datetime):
                query[field.name] = rfc3339(value)
            elif value is not None:
                query[field.name] = str(value)
        return query


class AuditIndexStore(Protocol):
    """Where the audit index lives, with its tracking position beside it."""

    def position(self) -> int:
        """The last log position indexed (0 when never run)."""
        ...

    def apply(
        self,
        from_position: int,
        to_position: int,
        rows: Sequence[IndexRow],
        aggregates: Sequence[tuple[UUID, str]],
    ) -> bool:
        """Add rows and aggregate types, and move the tracking, in one transaction.

        Returns False, changing nothing, when the tracked position is no
        longer ``from_position`` (another process got there first).
        """
        ...

    def aggregate_types(self, aggregate_ids: Collection[UUID]) -> dict[UUID, str]:
        """The type of each known aggregate among these."""
        ...

    def select(
        self, filters: AuditFilters, after: int, limit: int, stop: int | None = None
    ) -> list[IndexRow]:
        """Rows after position ``after`` (up to ``stop``) that pass the filters."""
        ...

    def version_as_of(self, aggregate_id: UUID, moment: datetime) -> int | None:
        """The version of the aggregate's latest event at or before the moment.

        An index seek, never a scan: the latest by time, then by version.
        """
        ...

    def reset(self) -> None:
        """Delete every row and the tracking, for a rebuild."""
        ...

    def create_tables(self) -> None:
        """Create the tables and indexes when missing (``sellerguard init``)."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...

    def bulk_loading(self) -> AbstractContextManager[None]:
        """Within it, rows are written fast and looked up slowly.

        For a rebuild: the filters' indexes are dropped on entry and made
        again, sorted in one go, on exit.
        """
        ...


class AuditIndex:
    """What the audit index makes of one event: its row, and what it created."""

    name = "audit_index"
    topics: tuple[str, ...] = ()

    def row(
        self, event: Any, position: int, topic: str, aggregate_type: str
    ) -> IndexRow:
        """The event's row; ``topic`` is its stored topic."""
        actor = getattr(event, "actor", None)
        return IndexRow(
            position,
            event.originator_id,
            aggregate_type,
            event.originator_version,
            short_topic(topic),
            event.timestamp,
            UNKNOWN_TYPE if actor is None else str(actor.kind),
            None if actor is None else actor.id,
        )

    def created_type(self, event: Any) -> str | None:
        """The aggregate type a created event names; None for any other event."""
        topic = getattr(event, "originator_topic", None)
        return None if topic is None else short_topic(topic)


class AuditIndexer:
    """Brings the audit index up to the log's head, exactly once per event."""

    name = AuditIndex.name

    def __init__(
        self, ledger: Ledger, store: AuditIndexStore, page_size: int = INDEX_PAGE
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.page_size = page_size
        self.index = AuditIndex()
        self._lock = threading.Lock()
        # Types never change, so remembering them only saves look-ups.
        self._types: dict[UUID, str] = {}

    def position(self) -> int:
        """The last log position indexed."""
        return self.store.position()

    def catch_up(self, until: int | None = None) -> int:
        """Index every event up to ``until`` (default: the head now); how many."""
        with self._lock:
            return self._catch_up(until)

    def rebuild(self) -> int:
        """Empty the index and make it again from position zero; how many events."""
        with self._lock, self.store.bulk_loading():
            self.store.reset()
            return self._catch_up(None)

    def _catch_up(self, until: int | None) -> int:
        head = self.ledger.last_position()
        target = head if until is None else min(until, head)
        position = self.store.position()
        applied, limit = 0, self.page_size
        while position < target:
            page = self.ledger.recorder.select_notifications(
                start=position, limit=limit, stop=target, inclusive_of_start=False
            )
            # A short page covers everything up to the target.
            end = page[-1].id if len(page) >= limit else target
            rows, created = self._rows(page)
            if self.store.apply(position, end, rows, created):
                applied += len(rows)
                position = end
            else:
                position = self.store.position()
            # Far behind (a rebuild, a backlog): larger pages, since a large
            # transaction writes each touched page of the index once.
            if len(page) >= limit:
                limit = min(limit * 2, self.page_size * MAX_PAGE_GROWTH)
        return applied

    def _rows(
        self, page: Sequence[Notification]
    ) -> tuple[list[IndexRow], list[tuple[UUID, str]]]:
        """The page's rows, and the aggregates its created events made.

        Each event is let go as soon as its row is made: holding a page of
        events would cost more in garbage collection than writing the rows.
        """
        to_domain_event = self.ledger.mapper.to_domain_event
        created_type, row, types = self.index.created_type, self.index.row, self._types
        created: dict[UUID, str] = {}
        rows: list[IndexRow] = []
        for notification in page:
            event = to_domain_event(notification)
            aggregate_id = event.originator_id
            made = created_type(event)
            if made is not None:
                created[aggregate_id] = types[aggregate_id] = made
            known = created.get(aggregate_id) or types.get(aggregate_id, "")
            rows.append(row(event, notification.id, notification.topic, known))
        if not all(r.aggregate_type for r in rows):
            rows = self._resolved(rows)
        if len(types) > TYPE_CACHE_SIZE:
            types.clear()
        return rows, list(created.items())

    def _resolved(self, rows: list[IndexRow]) -> list[IndexRow]:
        """The rows with the types of aggregates created before the page."""
        missing = {r.aggregate_id for r in rows if not r.aggregate_type}
        found = self.store.aggregate_types(missing)
        for aggregate_id in missing - found.keys():
            logger.warning("audit index: no created event of %s", aggregate_id)
            found[aggregate_id] = UNKNOWN_TYPE
        self._types.update(found)
        return [
            r if r.aggregate_type else replace(r, aggregate_type=found[r.aggregate_id])
            for r in rows
        ]
