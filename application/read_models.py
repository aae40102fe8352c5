"""Read models: projections that follow the ledger's log, each event exactly once.

A projection turns one domain event into changes of keyed lists of JSON items
(its views). A runner reads the notification log in pages and hands a page's
changes, together with the move of the projection's tracking position, to the
view store in one transaction that compare-and-sets the position. So an event
is applied once even when several processes follow the same log, and a view
can be rebuilt by resetting its projection to position zero.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import Notification

from application.ledger import Ledger

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 30.0
MAX_PAGE_GROWTH = 8


@dataclass(frozen=True, slots=True)
class Put:
    """Insert or replace one item of a keyed list."""

    view: str
    key: str
    item_id: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delete:
    """Remove one item of a keyed list; nothing happens when it is absent."""

    view: str
    key: str
    item_id: str


Change = Put | Delete


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a view, with the log position of the event that last put it."""

    item_id: str
    position: int
    data: dict[str, Any]


class ViewStore(Protocol):
    """Keyed lists of JSON items, changed together with a projection's tracking."""

    def position(self, projection: str) -> int:
        """The last log position the projection applied (0 when never run)."""
        ...

    def apply(
        self,
        projection: str,
        from_position: int,
        to_position: int,
        changes: Sequence[tuple[int, Change]],
    ) -> bool:
        """Apply the changes and move the tracking in one transaction.

        Each change comes with the log position of its event. Returns False,
        changing nothing, when the tracked position is no longer
        ``from_position`` (another process got there first).
        """
        ...

    def items(
        self, view: str, key: str, *, limit: int, before: int | None = None
    ) -> list[Item]:
        """Newest first; ``before`` keeps only items put before that position."""
        ...

    def get(self, view: str, key: str, item_id: str) -> Item | None:
        """One item, or None."""
        ...

    def find(self, view: str, item_id: str) -> list[tuple[str, Item]]:
        """Every ``(key, item)`` with that item id in the view, under any key."""
        ...

    def reset(self, projection: str, views: Sequence[str]) -> None:
        """Delete the views' items and the projection's tracking, for a rebuild."""
        ...

    def snapshot(
        self, projection: str, views: Sequence[str]
    ) -> tuple[int, list[tuple[str, str, Item]]]:
        """The projection's position and every ``(view, key, item)`` of these
        views, read at one moment (one statement)."""
        ...


class Projection(Protocol):
    """What one kind of read model makes of the events it reads."""

    @property
    def name(self) -> str:
        """The tracking name, e.g. ``"alerts"``; stable across releases."""
        ...

    @property
    def views(self) -> tuple[str, ...]:
        """The views it owns (and only it writes)."""
        ...

    @property
    def topics(self) -> tuple[str, ...]:
        """The stored-event topics it reads; empty means every topic."""
        ...

    def changes(self, event: Any, position: int) -> list[Change]:
        """The changes one domain event causes; pure."""
        ...


class ReadModelError(Exception):
    """Base of the read models' errors; never raised directly."""


class UnknownProjectionError(ReadModelError):
    """No projection of that name is registered with the runner."""


class ForeignViewError(ReadModelError):
    """A projection changed a view it does not own."""


class DuplicateProjectionError(ReadModelError):
    """Two projections share a name or a view."""


class ReadModels:
    """Brings projections up to the log's head, exactly once per event."""

    def __init__(
        self,
        ledger: Ledger,
        store: ViewStore,
        projections: Sequence[Projection],
        page_size: int = 500,
    ) -> None:
        _check_distinct(projections)
        self.ledger = ledger
        self.store = store
        self.projections = tuple(projections)
        self.page_size = page_size
        self._lock = threading.Lock()
        # The log position every projection was last seen to have reached;
        # positions only grow, so this only saves asking again.
        self._known_current = 0
        self._confirmed_at = float("-inf")
        # This process's own writes are seen at once, whatever the staleness.
        ledger.after_save(self._written)

    def catch_up(self, until: int | None = None) -> int:
        """Apply every event up to ``until`` (default: the head as it is now).

        Returns how many events were applied, counted once per projection
        that applied them.
        """
        with self._lock:
            return self._catch_up(self.projections, until, deadline=None)

    def ensure_current(self, timeout: float = 2.0, max_staleness: float = 0.0) -> None:
        """Read-your-writes: catch up to the head as it is now, for ``timeout`` at most.

        With ``max_staleness``, a confirmation that the views were current
        that recent is enough (hot paths answer as of a few milliseconds
        ago rather than asking the store on every request). When the time
        runs out first, reads may be stale; that is logged.
        """
        started = time.monotonic()
        if started - self._confirmed_at < max_staleness:
            return
        deadline = started + timeout
        head = self.ledger.last_position()
        if head <= self._known_current:
            self._confirmed_at = started
            return  # already confirmed: no need to ask the store again
        if self._reached(head):
            self._known_current, self._confirmed_at = head, started
            return
        if self._lock.acquire(timeout=max(timeout, 0.0)):
            try:
                self._catch_up(self.projections, head, deadline)
            finally:
                self._lock.release()
        if self._reached(head):
            self._known_current, self._confirmed_at = head, started
        else:
            logger.warning(
                "read models did not reach position %d in %ss", head, timeout
            )

    def _written(self, position: int) -> None:
        self._confirmed_at = float("-inf")

    def rebuild(self, names: Sequence[str] | None = None) -> int:
        """Reset the named projections (default: all) and catch them up from zero."""
        chosen = self._named(names)
        with self._lock:
            self._known_current = 0  # positions go back to zero here
            for projection in chosen:
                self.store.reset(projection.name, projection.views)
            return self._catch_up(chosen, None, deadline=None)

    def _named(self, names: Sequence[str] | None) -> tuple[Projection, ...]:
        if names is None:
            return self.projections
        by_name = {p.name: p for p in self.projections}
        unknown = [name for name in names if name not in by_name]
        if unknown:
            raise UnknownProjectionError(", ".join(unknown))
        return tuple(by_name[name] for name in dict.fromkeys(names))

    def _reached(self, position: int) -> bool:
        return all(self.store.position(p.name) >= position for p in self.projections)

    def _catch_up(
        self,
        projections: Sequence[Projection],
        until: int | None,
        deadline: float | None,
    ) -> int:
        head = self.ledger.last_position()
        target = head if until is None else min(until, head)
        positions = {p.name: self.store.position(p.name) for p in projections}
        applied, limit = 0, self.page_size
        while True:
            behind = [p for p in projections if positions[p.name] < target]
            if not behind or (deadline is not None and time.monotonic() > deadline):
                return applied
            page, end = self._read_page(behind, positions, target, limit)
            applied += self._apply_page(behind, positions, page, end)
            # Far behind (a rebuild, a backlog): grow the pages, since one
            # large view transaction costs much less than several small ones.
            if len(page) >= limit:
                limit = min(limit * 2, self.page_size * MAX_PAGE_GROWTH)

    def _read_page(
        self,
        behind: Sequence[Projection],
        positions: dict[str, int],
        target: int,
        limit: int,
    ) -> tuple[Sequence[Notification], int]:
        """The next page for these projections, and the last position it covers.

        A page shorter than the limit covers everything up to ``target``, even
        the notifications its topic filter skipped: those were examined too.
        Taking ``target`` from ``max_notification_id`` is safe because the
        library's recorders commit notifications in id order (PostgreSQL
        locks the table for inserts), so no id at or below it can appear later.
        """
        start = min(positions[p.name] for p in behind)
        topics = _union_of_topics(behind)
        page = self.ledger.recorder.select_notifications(
            start=start,
            limit=limit,
            stop=target,
            topics=topics,
            inclusive_of_start=False,
        )
        end = page[-1].id if len(page) >= limit else target
        return page, end

    def _apply_page(
        self,
        behind: Sequence[Projection],
        positions: dict[str, int],
        page: Sequence[Notification],
        end: int,
    ) -> int:
        batches = [
            _Batch(p, positions[p.name]) for p in behind if positions[p.name] < end
        ]
        to_domain_event = self.ledger.mapper.to_domain_event
        for notification in page:
            # Decoded once for every projection, then let go: holding a page
            # of events alive would cost more in garbage collection than the
            # view writes cost.
            event = None
            for batch in batches:
                if batch.wants(notification):
                    if event is None:
                        event = to_domain_event(notification)
                    batch.add(event, notification.id)
        applied = 0
        for batch in batches:
            name = batch.projection.name
            if self.store.apply(name, batch.start, end, batch.changes):
                positions[name] = end
                applied += batch.count
            else:
                # Another runner moved it; carry on from wherever it is now.
                positions[name] = self.store.position(name)
        return applied


class _Batch:
    """One projection's changes from one page of the log."""

    def __init__(self, projection: Projection, start: int) -> None:
        self.projection = projection
        self.start = start
        self.topics = frozenset(projection.topics)
        self.views = frozenset(projection.views)
        self.changes: list[tuple[int, Change]] = []
        self.count = 0

    def wants(self, notification: Notification) -> bool:
        return notification.id > self.start and (
            not self.topics or notification.topic in self.topics
        )

    def add(self, event: Any, position: int) -> None:
        for change in self.projection.changes(event, position):
            if change.view not in self.views:
                name = self.projection.name
                raise ForeignViewError(f"{name}: {change.view}")
            self.changes.append((position, change))
        self.count += 1


def _union_of_topics(projections: Sequence[Projection]) -> tuple[str, ...]:
    if any(not p.topics for p in projections):
        return ()
    return tuple(sorted({topic for p in projections for topic in p.topics}))


def _check_distinct(projections: Sequence[Projection]) -> None:
    names = [p.name for p in projections]
    views = [view for p in projections for view in p.views]
    if len(set(names)) != len(names) or len(set(views)) != len(views):
        raise DuplicateProjectionError(", ".join(names))
