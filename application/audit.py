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
in one place, :func:`~application.redaction.redact`. Every read is recorded
on the reader's :class:`~domain.audit_trail.AuditTrail`: the question, never
the answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from application.accounts import KnownNames
from application.audit_index import AuditFilters, AuditIndexer, IndexRow
from application.event_catalogue import UnknownFilterValueError
from application.ledger import Changes, IntegrityViolationError, Ledger
from application.login_names import LoginNames
from application.ports import Clock
from application.redaction import event_data, state_of
from application.timestamps import rfc3339
from domain.actor import Actor, ActorKind
from domain.audit_trail import AuditTrail
from domain.errors import SellerGuardError
from domain.seller_account import SellerAccount
from domain.staff_account import StaffAccount
from domain.sub_account import SubAccount

logger = logging.getLogger(__name__)

EXPORT_PAGE = 1000
MAX_PAGE = 500
# Positions closer than this are read from the log as one range.
READ_GAP = 16
TRAIL_CACHE_SIZE = 1000
# Who has a login name: the people, as actors and as aggregates.
NAMED_ACTORS = frozenset({ActorKind.SELLER, ActorKind.SUB_ACCOUNT, ActorKind.STAFF})
NAMED_AGGREGATES = frozenset(
    kind.__name__ for kind in (SellerAccount, SubAccount, StaffAccount)
)


@dataclass(frozen=True)
class ActorView:
    """Who acted: a principal's kind and id (``system`` for automatic actions),
    and the person's login name where the actor is one (``None`` otherwise)."""

    kind: str
    id: str | None
    username: str | None = None


@dataclass(frozen=True)
class AuditEventView:
    """One event as auditors see it; ``data`` has its own fields, secrets redacted.

    ``aggregate_username`` is the login name of the account the event belongs
    to, when it belongs to one (ids stay: they are what machines follow).
    """

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
    aggregate_username: str | None = None


@dataclass(frozen=True)
class AuditPage:
    """A page of events in log order; ``next`` is the ``after`` of the next page."""

    items: list[AuditEventView]
    next: int | None


@dataclass(frozen=True)
class UnreadableEvent:
    """A record of the log that could not be read, in its place in an export.

    What the (unencrypted) audit index knows of it is kept; ``reason`` says
    why the record itself could not be shown.
    """

    position: int
    aggregate_id: UUID
    aggregate_type: str
    version: int
    event_type: str
    occurred_at: datetime
    reason: str


ExportItem = AuditEventView | UnreadableEvent


@dataclass(frozen=True)
class ExportPage:
    """A page of an export: events, and records that could not be read, in order."""

    items: list[ExportItem]
    next: int | None


@dataclass(frozen=True)
class AuditExport:
    """Every event that passes the filters, page by page, up to ``head``."""

    head: int
    pages: Iterator[ExportPage]


@dataclass(frozen=True)
class AccountNames:
    """Filters by login name: the account's own events, or those it recorded."""

    username: str | None = None
    actor_username: str | None = None

    def as_query(self) -> dict[str, str]:
        """The names given, as a reader's trail records them."""
        given = {"username": self.username, "actor_username": self.actor_username}
        return {k: v for k, v in given.items() if v is not None}


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

    def __init__(
        self,
        ledger: Ledger,
        indexer: AuditIndexer,
        clock: Clock,
        names: LoginNames | None = None,
    ) -> None:
        self.ledger = ledger
        self.names = names
        self.known_names = KnownNames(ledger)
        self.indexer = indexer
        self.store = indexer.store
        self.clock = clock
        # The trails last saved here, so a read need not replay its reader's
        # trail; a stale one fails its save and is loaded afresh.
        self._trails: dict[UUID, AuditTrail] = {}
        self._trails_lock = threading.Lock()

    def events(
        self,
        reader: Actor,
        filters: AuditFilters,
        after: int = 0,
        limit: int = 50,
        *,
        names: AccountNames | None = None,
    ) -> AuditPage:
        """A page of the events that pass the filters, in log order.

        ``names`` filters by login names as well (resolved to ids here).
        """
        limit = max(1, min(limit, MAX_PAGE))
        names = names or AccountNames()
        query = {**filters.as_query(), **names.as_query()}
        query |= {"after": str(after), "limit": str(limit)}
        self.record_read(reader, "events", query)
        return self._page(self._named(filters, names), after, limit)

    def aggregate_id_of(self, reference: str) -> UUID:
        """The aggregate an id or an account's login name stands for."""
        try:
            return UUID(reference)
        except ValueError:
            pass
        account = self.names.account_named(reference) if self.names else None
        if account is None:
            raise AuditAggregateNotFoundError(reference)
        return account.id

    def _named(self, filters: AuditFilters, names: AccountNames) -> AuditFilters:
        if names.username is not None:
            filters = replace(
                filters, aggregate_id=self._account_id("username", names.username)
            )
        if names.actor_username is not None:
            actor = self._account_id("actor_username", names.actor_username)
            filters = replace(filters, actor_id=str(actor))
        return filters

    def _account_id(self, field: str, username: str) -> UUID:
        account = self.names.account_named(username) if self.names else None
        if account is None:
            raise UnknownFilterValueError(field, "No account has this login name.")
        return account.id

    def aggregate_events(
        self, reader: Actor, aggregate_id: UUID, after: int = 0, limit: int = 50
    ) -> AuditPage:
        """A page of one aggregate's events, in order."""
        limit = max(1, min(limit, MAX_PAGE))
        query = {"aggregate_id": str(aggregate_id), "after": str(after)}
        self.record_read(reader, "aggregate_events", {**query, "limit": str(limit)})
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
        self.record_read(reader, "state", query)
        return self._state(aggregate_id, version, as_of)

    def export(
        self,
        reader: Actor,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = EXPORT_PAGE,
        *,
        filters: AuditFilters | None = None,
        names: AccountNames | None = None,
    ) -> AuditExport:
        """Every event that passes the filters, as far as the log reaches now,
        in pages.

        Recorded once, as one read; the pages are read as they are consumed.
        """
        filters = filters or AuditFilters(since=since, until=until)
        names = names or AccountNames()
        self.record_read(reader, "export", {**filters.as_query(), **names.as_query()})
        head = self.indexer.position()
        return AuditExport(
            head, self._pages(self._named(filters, names), head, page_size)
        )

    def _pages(
        self, filters: AuditFilters, head: int, page_size: int
    ) -> Iterator[ExportPage]:
        """Pages that carry on past a record that cannot be read, naming it."""
        after = 0
        while True:
            rows = self.store.select(filters, after, page_size + 1, head)
            page = rows[:page_size]
            if page:
                yield ExportPage(self._export_items(page), None)
            if len(rows) <= page_size:
                return
            after = page[-1].position

    def _export_items(self, rows: Sequence[IndexRow]) -> list[ExportItem]:
        events, failures = self._read(rows, tolerant=True)
        names = self._names(row for row in rows if row.position in events)
        items: list[ExportItem] = []
        for row in rows:
            if row.position in events:
                items.append(_event_view(row, events[row.position], names))
            else:
                reason = failures.get(row.position, "missing from the log")
                logger.critical(
                    "audit export: the record at position %s cannot be read (%s)",
                    row.position,
                    reason,
                )
                items.append(_unreadable(row, reason))
        return items

    def record_read(self, reader: Actor, what: str, query: dict[str, str]) -> None:
        """Record the read on the reader's trail, then catch the index up.

        Recorded first, so that a read that fails is on the trail too; the
        index then reaches the log's head, including the trail's own event.
        """
        reader_id = reader.id or reader.kind.value
        trail_id = AuditTrail.id_for(reader_id)
        at = self.clock.now()

        def record(changes: Changes) -> AuditTrail:
            # The trail this process saved last, unless a conflict spoiled it.
            cached = self._trails.pop(trail_id, None)
            trail = (
                (changes.add(cached) if cached else None)
                or changes.find(trail_id, AuditTrail)
                or changes.add(AuditTrail.open(reader_id, reader, at))
            )
            trail.record_read(what, query, reader, at)
            return trail

        with self._trails_lock:
            trail = self.ledger.commit(record).result
            if len(self._trails) >= TRAIL_CACHE_SIZE:
                self._trails.clear()
            self._trails[trail_id] = trail
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
        events, _ = self._read(rows, tolerant=False)
        missing = {row.position for row in rows} - events.keys()
        if missing:
            raise AuditIndexAheadError(str(min(missing)))
        names = self._names(rows)
        return [_event_view(row, events[row.position], names) for row in rows]

    def _names(self, rows: Iterable[IndexRow]) -> dict[str, str | None]:
        """The login names of the people the rows name, each id looked up once
        (and then from :class:`KnownNames`), never a store read per row."""
        ids: set[str] = set()
        for row in rows:
            if row.actor_id is not None and row.actor_kind in NAMED_ACTORS:
                ids.add(row.actor_id)
            if row.aggregate_type in NAMED_AGGREGATES:
                ids.add(str(row.aggregate_id))
        return self.known_names.of(ids)

    def _read(
        self, rows: Sequence[IndexRow], *, tolerant: bool
    ) -> tuple[dict[int, Any], dict[int, str]]:
        """The rows' events by position; tolerant, also why others did not read."""
        wanted = {row.position for row in rows}
        to_domain_event = self.ledger.mapper.to_domain_event
        events: dict[int, Any] = {}
        failures: dict[int, str] = {}
        for first, last in _runs(sorted(wanted)):
            for notification in self.ledger.recorder.select_notifications(
                start=first, limit=last - first + 1, stop=last
            ):
                if notification.id not in wanted:
                    continue
                try:
                    events[notification.id] = to_domain_event(notification)
                except Exception as error:
                    if not tolerant:
                        raise
                    failures[notification.id] = _why_unreadable(error)
        return events, failures

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


def _event_view(
    row: IndexRow, event: Any, names: dict[str, str | None]
) -> AuditEventView:
    actor = getattr(event, "actor", None)
    named_actor = row.actor_id is not None and row.actor_kind in NAMED_ACTORS
    actor_name = names.get(str(row.actor_id)) if named_actor else None
    named_aggregate = row.aggregate_type in NAMED_AGGREGATES
    return AuditEventView(
        position=row.position,
        aggregate_id=row.aggregate_id,
        aggregate_type=row.aggregate_type,
        version=row.version,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        actor=ActorView(row.actor_kind, row.actor_id, actor_name),
        request_id=None if actor is None else actor.request_id,
        ip=None if actor is None else actor.ip,
        data=event_data(event),
        aggregate_username=(
            names.get(str(row.aggregate_id)) if named_aggregate else None
        ),
    )


def _unreadable(row: IndexRow, reason: str) -> UnreadableEvent:
    return UnreadableEvent(
        position=row.position,
        aggregate_id=row.aggregate_id,
        aggregate_type=row.aggregate_type,
        version=row.version,
        event_type=row.event_type,
        occurred_at=row.occurred_at,
        reason=reason,
    )


def _why_unreadable(error: Exception) -> str:
    """What an export says of a record it could not read (never the bytes)."""
    if isinstance(error, IntegrityViolationError):
        return "does not open in its place (altered, moved or forged)"
    return f"cannot be decoded ({type(error).__name__})"


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
