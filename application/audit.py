"""The auditors' read side: every event indexed, filtered, redacted, replayable.

The audit index is a read model of its own: one row per event (who, what,
which aggregate, when), with the aggregate type that each aggregate's created
event names, so that shared events (``PasswordChanged`` on any kind of
account) are filed under the aggregate that recorded them. It follows the log
like the other read models, a page per transaction that also compare-and-sets
its tracking position, so each event is indexed exactly once.

Reads take positions from the index and the events themselves from the log,
so the index holds no event data (the log is encrypted; the index is not).
Every field that is or derives from a secret is replaced by ``"[redacted]"``
in one place, :func:`redact`. Every read is recorded on the reader's
:class:`~domain.audit_trail.AuditTrail`: the question, never the answer.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, Notification

from application.ledger import ConcurrentUpdateError, Ledger
from application.ports import Clock
from application.security_views import rfc3339
from domain.actor import Actor
from domain.audit_trail import AuditTrail
from domain.errors import SellerGuardError

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"

# Fields that hold a secret, or a hash or any other derivative of one, in any
# event or aggregate, at any depth. Some name fields that do not exist yet
# (recovery, uploads, documents) so that they are hidden from the day they do.
SECRET_FIELDS = frozenset(
    {
        # passwords and their hashes (SignInAccount, Registered, *.Created,
        # PasswordChanged, PasswordRehashed)
        "password",
        "current_password",
        "new_password",
        "password_hash",
        "password_history",
        # two-step: the TOTP secret (TwoStepEnrolmentStarted, the accounts)
        # and the recovery codes (TwoStepEnabled, LoginSucceeded)
        "secret",
        "two_step_secret",
        "pending_two_step_secret",
        "code",
        "recovery_code",
        "recovery_codes",
        "recovery_code_hash",
        "recovery_code_hashes",
        # bearer tokens: sessions (LoginSucceeded, accounts' ``sessions``),
        # service keys (ServiceKey), recovery's reset and upload tokens
        "token",
        "token_hash",
        "session_token",
        "key_hash",
        "api_key",
        "reset_token",
        "reset_token_hash",
        "upload_token",
        "upload_token_hash",
        # a challenge id stands in for a verified password until the second
        # step (ChallengeIssued, ChallengeCodeFailed, LoginSucceeded); the
        # accounts' ``challenges`` are keyed by them
        "challenge_id",
        "challenges",
        # document vault key material
        "document_key",
        "wrapped_key",
        "private_key",
    }
)
# A field named like this is taken for a secret even when nobody listed it.
SECRET_SUFFIXES = ("_hash", "_hashes", "_secret", "_token", "_password", "_key")

# What every event carries and the audit view shows apart from its ``data``.
EVENT_METADATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "originator_topic"}
)
# The aggregate's bookkeeping the state view leaves out (id and version are
# shown beside the state).
HIDDEN_STATE = frozenset({"_id", "_version", "_pending_events"})
TOPIC_PREFIX = "sellerguard:"
UNKNOWN_TYPE = "unknown"

INDEX_PAGE = 1000
MAX_PAGE_GROWTH = 8
EXPORT_PAGE = 1000
MAX_PAGE = 500
# Positions closer than this are read from the log as one range.
READ_GAP = 16
TYPE_CACHE_SIZE = 100_000
RECORD_ATTEMPTS = 20
MAX_RETRY_PAUSE = 30.0
TRAIL_CACHE_SIZE = 1000


def is_secret(name: str) -> bool:
    """Whether a field of that name holds a secret or a derivative of one."""
    bare = name.lstrip("_").lower()
    return bare in SECRET_FIELDS or bare.endswith(SECRET_SUFFIXES)


def redact(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields as plain JSON values, every secret replaced by ``[redacted]``.

    A secret field that is None stays None: that there is no secret (no
    recovery code used, two-step off) is no secret.
    """
    return {
        str(name): REDACTED
        if value is not None and is_secret(str(name))
        else _plain(value)
        for name, value in values.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=str)
    if isinstance(value, Iterable):
        return [_plain(item) for item in value]
    if hasattr(value, "as_dict"):
        return redact(value.as_dict())
    return str(value)


@functools.cache
def short_topic(topic: str) -> str:
    """``sellerguard:SellerAccount.Registered`` → ``SellerAccount.Registered``."""
    return topic.removeprefix(TOPIC_PREFIX)


# The index


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

    def follow(self, stop: threading.Event, poll_interval: float = 0.2) -> None:
        """Keep the index at the log's head until ``stop`` is set.

        Failures (a database restarting) are logged and retried with a
        growing pause, so a follower thread never dies quietly.
        """
        pause = poll_interval
        while not stop.is_set():
            try:
                indexed = self.catch_up()
            except Exception:
                logger.exception("audit index: catching up failed; retrying")
                stop.wait(pause)
                pause = min(pause * 2, MAX_RETRY_PAUSE)
                continue
            pause = poll_interval
            if not indexed:
                stop.wait(poll_interval)

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


# The use cases


@dataclass(frozen=True)
class ActorView:
    """Who acted: a principal's kind and id (``system`` for automatic actions)."""

    kind: str
    id: str | None


@dataclass(frozen=True)
class AuditEventView:
    """One event as auditors see it; ``data`` has its own fields, secrets redacted."""

    position: int
    aggregate_id: UUID
    aggregate_type: str
    version: int
    event_type: str
    occurred_at: datetime
    actor: ActorView
    request_id: str | None
    ip: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    """A page of events in log order; ``next`` is the ``after`` of the next page."""

    items: list[AuditEventView]
    next: int | None


@dataclass(frozen=True)
class AuditExport:
    """Every event that passes the filters, page by page, up to ``head``."""

    head: int
    pages: Iterator[AuditPage]


@dataclass(frozen=True)
class AggregateState:
    """An aggregate exactly as it stood at a version or a moment, secrets redacted.

    ``as_of`` is the moment asked for, or else the moment the version was
    recorded.
    """

    aggregate_type: str
    id: UUID
    version: int
    as_of: datetime
    state: dict[str, Any]


class AuditError(SellerGuardError):
    """Base of the audit read side's errors; never raised directly."""


class AuditAggregateNotFoundError(AuditError):
    """No aggregate has that id."""

    code = "not_found"


class AggregateNotYetCreatedError(AuditError):
    """The aggregate did not exist yet at that moment."""

    code = "not_found"


class AggregateVersionNotFoundError(AuditError):
    """The aggregate never had that version."""

    code = "not_found"


class VersionAndMomentError(AuditError):
    """Ask for a version or for a moment, not both."""

    code = "validation_error"
    field = "as_of"


class AuditIndexAheadError(RuntimeError):
    """The audit index names an event the log does not have (see integrity)."""


class Audit:
    """Auditors' reads of the whole history; each read is itself recorded."""

    def __init__(self, ledger: Ledger, indexer: AuditIndexer, clock: Clock) -> None:
        self.ledger = ledger
        self.indexer = indexer
        self.store = indexer.store
        self.clock = clock
        # The trails last saved here, so a read need not replay its reader's
        # trail; a stale one fails its save and is loaded afresh.
        self._trails: dict[UUID, Any] = {}
        self._trails_lock = threading.Lock()

    def events(
        self,
        reader: Actor,
        filters: AuditFilters,
        after: int = 0,
        limit: int = 50,
    ) -> AuditPage:
        """A page of the events that pass the filters, in log order."""
        limit = max(1, min(limit, MAX_PAGE))
        query = {**filters.as_query(), "after": str(after), "limit": str(limit)}
        self._recorded_read(reader, "events", query)
        return self._page(filters, after, limit)

    def aggregate_events(
        self, reader: Actor, aggregate_id: UUID, after: int = 0, limit: int = 50
    ) -> AuditPage:
        """A page of one aggregate's events, in order."""
        limit = max(1, min(limit, MAX_PAGE))
        query = {"aggregate_id": str(aggregate_id), "after": str(after)}
        self._recorded_read(reader, "aggregate_events", {**query, "limit": str(limit)})
        self._type_of(aggregate_id)
        return self._page(AuditFilters(aggregate_id=aggregate_id), after, limit)

    def state(
        self,
        reader: Actor,
        aggregate_id: UUID,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> AggregateState:
        """The aggregate as it stood at a version, or at a moment (default: now)."""
        if version is not None and as_of is not None:
            raise VersionAndMomentError(str(aggregate_id))
        query = {"aggregate_id": str(aggregate_id)}
        if version is not None:
            query["version"] = str(version)
        if as_of is not None:
            query["as_of"] = rfc3339(as_of)
        self._recorded_read(reader, "state", query)
        return self._state(aggregate_id, version, as_of)

    def export(
        self,
        reader: Actor,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = EXPORT_PAGE,
    ) -> AuditExport:
        """Every event in the time range, as far as the log reaches now, in pages.

        Recorded once, as one read; the pages are read as they are consumed.
        """
        filters = AuditFilters(since=since, until=until)
        self._recorded_read(reader, "export", filters.as_query())
        head = self.indexer.position()
        return AuditExport(head, self._pages(filters, head, page_size))

    def _pages(
        self, filters: AuditFilters, head: int, page_size: int
    ) -> Iterator[AuditPage]:
        after = 0
        while True:
            page = self._page(filters, after, page_size, stop=head)
            if page.items:
                yield page
            if page.next is None:
                return
            after = page.next

    def _recorded_read(self, reader: Actor, what: str, query: dict[str, str]) -> None:
        """Record the read on the reader's trail, then catch the index up.

        Recorded first, so that a read that fails is on the trail too; the
        index then reaches the log's head, including the trail's own event.
        """
        reader_id = reader.id or reader.kind.value
        trail_id = AuditTrail.id_for(reader_id)
        at = self.clock.now()
        with self._trails_lock:
            for _ in range(RECORD_ATTEMPTS):
                trail = (
                    self._trails.pop(trail_id, None)
                    or self.ledger.find(trail_id)
                    or AuditTrail.open(reader_id, reader, at)
                )
                trail.record_read(what, query, reader, at)
                try:
                    self.ledger.save(trail)
                except IntegrityError:
                    continue  # another process recorded a read of this reader
                if len(self._trails) >= TRAIL_CACHE_SIZE:
                    self._trails.clear()
                self._trails[trail_id] = trail
                break
            else:
                raise ConcurrentUpdateError(str(trail_id))
        self.indexer.catch_up()

    def _page(
        self,
        filters: AuditFilters,
        after: int,
        limit: int,
        stop: int | None = None,
    ) -> AuditPage:
        rows = self.store.select(filters, after, limit + 1, stop)
        page = rows[:limit]
        more = len(rows) > limit
        return AuditPage(self._views(page), page[-1].position if more else None)

    def _views(self, rows: Sequence[IndexRow]) -> list[AuditEventView]:
        wanted = {row.position for row in rows}
        to_domain_event = self.ledger.mapper.to_domain_event
        events: dict[int, Any] = {}
        for first, last in _runs(sorted(wanted)):
            for notification in self.ledger.recorder.select_notifications(
                start=first, limit=last - first + 1, stop=last
            ):
                if notification.id in wanted:
                    events[notification.id] = to_domain_event(notification)
        missing = wanted - events.keys()
        if missing:
            raise AuditIndexAheadError(str(min(missing)))
        return [_event_view(row, events[row.position]) for row in rows]

    def _type_of(self, aggregate_id: UUID) -> str:
        found = self.store.aggregate_types([aggregate_id]).get(aggregate_id)
        if found is None:
            raise AuditAggregateNotFoundError(str(aggregate_id))
        return found

    def _state(
        self, aggregate_id: UUID, version: int | None, as_of: datetime | None
    ) -> AggregateState:
        aggregate_type = self._type_of(aggregate_id)
        if as_of is not None:
            version = self.store.version_as_of(aggregate_id, as_of)
            if version is None:
                raise AggregateNotYetCreatedError(str(aggregate_id))
        try:
            aggregate: Any = self.ledger.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise AuditAggregateNotFoundError(str(aggregate_id)) from None
        if version is not None and aggregate.version != version:
            raise AggregateVersionNotFoundError(f"{aggregate_id} v{version}")
        return AggregateState(
            aggregate_type=aggregate_type,
            id=aggregate_id,
            version=aggregate.version,
            as_of=as_of or aggregate.modified_on,
            state=state_of(aggregate),
        )


def state_of(aggregate: Any) -> dict[str, Any]:
    """An aggregate's recorded attributes, without underscores, secrets redacted."""
    return redact(
        {
            name.lstrip("_"): value
            for name, value in vars(aggregate).items()
            if name not in HIDDEN_STATE
        }
    )


def event_data(event: Any) -> dict[str, Any]:
    """An event's own fields (not who, when or which aggregate), secrets redacted."""
    return redact(
        {
            name: value
            for name, value in vars(event).items()
            if name not in EVENT_METADATA
        }
    )


def _event_view(row: IndexRow, event: Any) -> AuditEventView:
    actor = getattr(event, "actor", None)
    return AuditEventView(
        position=row.position,
        aggregate_id=row.aggregate_id,
        aggregate_type=row.aggregate_type,
        version=row.version,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        actor=ActorView(row.actor_kind, row.actor_id),
        request_id=None if actor is None else actor.request_id,
        ip=None if actor is None else actor.ip,
        data=event_data(event),
    )


def _runs(positions: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Sorted positions as ``(first, last)`` ranges, joining small gaps."""
    if not positions:
        return
    first = last = positions[0]
    for position in positions[1:]:
        if position - last > READ_GAP:
            yield first, last
            first = position
        last = position
    yield first, last
