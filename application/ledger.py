"""The one event-sourced application that holds every SellerGuard aggregate."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.persistence import (
    EventStore,
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    PersistenceError,
)
from eventsourcing.utils import Environment

from application.ports import EventHistories
from application.transcodings import VALUE_TRANSCODINGS, ActorAsDict, DateAsISO
from domain.aggregate import Recorded
from domain.audit_trail import AuditTrail
from domain.block_list import BlockList
from domain.errors import SellerGuardError
from domain.recovery_case import RecoveryCase
from domain.seller_account import SellerAccount
from domain.staff_account import StaffAccount
from domain.sub_account import SubAccount

SNAPSHOT_INTERVAL = 100
# Conflicting saves are retried on fresh state, with a growing random pause
# so that many writers of one aggregate all get through.
SAVE_ATTEMPTS = 60
RETRY_PAUSE = 0.002

T = TypeVar("T")
A = TypeVar("A", bound=Recorded)

log = logging.getLogger(__name__)


class ConcurrentUpdateError(SellerGuardError):
    """Others kept changing the same thing at once; try again."""

    code = "concurrent_update"


class ClaimTakenError(SellerGuardError):
    """A commit's claim (an index aggregate such as a login name) exists already."""

    code = "claim_taken"

    def __init__(self, claim_id: UUID) -> None:
        super().__init__(str(claim_id))
        self.claim_id = claim_id


class PreconditionFailedError(SellerGuardError):
    """The resource changed since the version the request names (If-Match)."""

    code = "precondition_failed"


class IntegrityViolationError(SellerGuardError):
    """A stored record does not open in its place: altered, moved or forged."""

    code = "integrity_violation"

    def __init__(self, aggregate_id: UUID, version: int, purpose: str) -> None:
        super().__init__(f"{purpose} {aggregate_id} v{version}")
        self.aggregate_id = aggregate_id
        self.version = version
        self.purpose = purpose


class History(NamedTuple, Generic[A]):
    """An aggregate as its events left it, and those events, oldest first."""

    aggregate: A
    events: list[Any]


class Ledger(Application[UUID]):
    """Every aggregate in one store, so there is one log and one global order.

    One application means one notification log for auditors and read models,
    and one ``save()`` can commit several aggregates atomically.
    """

    name = "sellerguard"
    snapshotting_intervals = dict.fromkeys(
        (SellerAccount, SubAccount, StaffAccount, BlockList, RecoveryCase, AuditTrail),
        SNAPSHOT_INTERVAL,
    )

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        histories: EventHistories | None = None,
        infrastructure: Callable[[Environment], InfrastructureFactory[Any]]
        | None = None,
    ) -> None:
        self._listeners: list[Callable[[int], None]] = []
        self._histories = histories
        self._infrastructure = infrastructure
        super().__init__(env)

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The store's factory: given (on a shared connection pool), or the
        library's from the environment."""
        if self._infrastructure is not None:
            return self._infrastructure(env)
        return super().construct_factory(env)

    def construct_env(
        self, name: str, env: Mapping[str, str] | None = None
    ) -> Environment:
        """Only the configuration given, never stray process variables.

        The library would merge ``os.environ`` (with ``SELLERGUARD_`` prefixed
        keys taking precedence); configuration is read in one place instead.
        """
        given = dict(env or {})
        # What the library would derive from the class (snapshots on).
        given.setdefault("IS_SNAPSHOTTING_ENABLED", "y")
        return Environment(name, given)

    def construct_snapshot_store(self) -> EventStore[UUID]:
        """Snapshots through the mapper's snapshot variant, when it has one.

        A sealing mapper binds each record to the store it lives in, so an
        event row copied into the snapshot table does not open there.
        """
        for_snapshots = getattr(self.mapper, "for_snapshots", None)
        mapper = for_snapshots() if for_snapshots else self.mapper
        recorder = self.factory.aggregate_recorder(purpose="snapshots")
        return self.factory.event_store(mapper=mapper, recorder=recorder)

    def opens_in_place(
        self,
        aggregate_id: UUID,
        version: int,
        topic: str,
        state: bytes,
        *,
        snapshot: bool = False,
    ) -> bool:
        """Whether a stored record decrypts in that place (verification, read-only).

        True when the store does not seal records in place (no such check).
        """
        store = self.snapshots if snapshot else self.events
        opens = getattr(store.mapper if store else None, "opens", None)
        return (
            True if opens is None else bool(opens(aggregate_id, version, topic, state))
        )

    def after_save(self, listener: Callable[[int], None]) -> None:
        """Call ``listener`` with the position of every commit this process makes."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        if recordings:
            position = max(r.notification.id for r in recordings)
            for listener in self._listeners:
                listener(position)

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots after a commit that has landed; failing to take one is no
        failure of the commit (a snapshot only makes loading cheaper, and
        another process may have taken the same one first)."""
        try:
            super()._take_snapshots(processing_event)
        except PersistenceError as error:
            log.warning("snapshot not taken: %s", type(error).__name__)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())
        transcoder.register(DateAsISO())
        for transcoding in VALUE_TRANSCODINGS:
            transcoder.register(transcoding)

    def last_position(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event of that aggregate is stored."""
        return aggregate_id in self.repository

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The ``kind`` at its latest version; AggregateNotFoundError if none."""
        return _of_kind(aggregate_id, self.repository.get(aggregate_id), kind)

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The ``kind`` at its latest version, or None if there is none."""
        try:
            return self.load(aggregate_id, kind)
        except AggregateNotFoundError:
            return None

    def created_before(
        self, aggregate_id: UUID | None, kind: type[A]
    ) -> Saved[A] | None:
        """What an earlier attempt of this very request created, if it landed
        (its answer was lost): found by the id the request gives it (derived
        from its Idempotency-Key, see ``Claim.resource_id``).

        None without such an id, or when nothing was created with it.
        """
        if aggregate_id is None:
            return None
        found = self.find(aggregate_id, kind)
        if found is None:
            return None
        return Saved(found, self.last_position())

    def save_new(self, aggregate: A) -> Saved[A]:
        """Save a new aggregate created with a request's id; when an earlier
        attempt of the request created it meanwhile (the same id, landed after
        :meth:`created_before` looked), that one is the answer."""
        try:
            recordings = self.save(aggregate)
        except IntegrityError:
            landed = self.created_before(aggregate.id, type(aggregate))
            if landed is None:
                raise
            return landed
        return Saved(aggregate, max((r.notification.id for r in recordings), default=0))

    def peek(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The ``kind`` to read, not to command: it may be the cached object.

        Cheaper than :meth:`find` (no copy); the caller must not change it.
        """
        try:
            found: object = self.repository.get(aggregate_id, deepcopy_from_cache=False)
            return _of_kind(aggregate_id, found, kind)
        except AggregateNotFoundError:
            return None

    def histories(
        self,
        aggregate_ids: Sequence[UUID],
        kind: type[A],
        up_to_version: int | None = None,
    ) -> list[History[A]]:
        """Each ``kind`` with every event of it (up to that version, if
        given), in the order asked for.

        One query of the store where it can (``EventHistories``), instead of a
        load per aggregate; ids of no ``kind`` are left out.
        """
        ids = list(dict.fromkeys(aggregate_ids))
        if self._histories is None:
            stored = [
                s
                for i in ids
                for s in self.recorder.select_events(i, lte=up_to_version)
            ]
        else:
            stored = list(self._histories.select(self.recorder, ids, up_to_version))
        events: dict[UUID | str, list[Any]] = {i: [] for i in ids}
        for record in stored:
            events[record.originator_id].append(self.mapper.to_domain_event(record))
        found = []
        for history in events.values():
            aggregate = None
            for event in history:
                aggregate = event.mutate(aggregate)
            if isinstance(aggregate, kind):
                found.append(History(aggregate, history))
        return found

    def update(
        self,
        aggregate_id: UUID,
        kind: type[A],
        command: Callable[[A], T],
        expected_version: int | None = None,
    ) -> Saved[T]:
        """Run a command on a fresh ``kind`` and save it, retrying on conflicts.

        The command must decide from the aggregate alone (slow work such as
        hashing happens before). With ``expected_version`` (a request's
        If-Match), a newer aggregate refuses the command.
        """

        def build(changes: Changes) -> T:
            aggregate = changes.load(aggregate_id, kind)
            if expected_version is not None and aggregate.version != expected_version:
                raise PreconditionFailedError(str(aggregate_id))
            return command(aggregate)

        return self.commit(build)

    def commit(self, build: Callable[[Changes], T]) -> Saved[T]:
        """Save what ``build`` changed, all in one commit, retrying on conflicts.

        ``build`` loads fresh aggregates through the :class:`Changes` it is
        given (and adds new ones), commands them and returns a result. A
        conflicting save spoils the aggregate objects, so after one ``build``
        runs again on fresh state. A conflict on a claim (a new index
        aggregate, see :meth:`Changes.claim`) that now exists is not retried:
        :class:`ClaimTakenError`. The position is 0 when nothing was recorded.

        The store settles a commit whose outcome a lost connection left
        unknown by reading it back, so a conflict here is never our own
        earlier attempt colliding with itself.
        """
        for attempt in range(SAVE_ATTEMPTS):
            changes = Changes(self)
            result = build(changes)
            changed = changes.changed()
            if not changed:
                return Saved(result, 0)
            try:
                recordings = self.save(*changed)
            except IntegrityError:
                # Either a claim is taken (final) or something else in the
                # commit changed meanwhile (reload and try again).
                for claim_id in changes.claims:
                    if self.exists(claim_id):
                        raise ClaimTakenError(claim_id) from None
                _pause(attempt)
                continue
            return Saved(
                result, max((r.notification.id for r in recordings), default=0)
            )
        raise ConcurrentUpdateError("commit")


class Saved(NamedTuple, Generic[T]):
    """What a command returned, and the log position its commit reached."""

    result: T
    position: int


class Changes:
    """The aggregates one commit saves: each it loads, finds or adds."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._seen: dict[UUID, Recorded] = {}
        self.claims: list[UUID] = []

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """A fresh ``kind`` to command; AggregateNotFoundError if none."""
        return self.add(self._ledger.load(aggregate_id, kind))

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """A fresh ``kind`` to command, or None if there is none."""
        found = self._ledger.find(aggregate_id, kind)
        return None if found is None else self.add(found)

    def add(self, aggregate: A) -> A:
        """Save this aggregate (new, or loaded elsewhere) with the commit."""
        self._seen[aggregate.id] = aggregate
        return aggregate

    def claim(self, index: A) -> A:
        """Save this new index aggregate with the commit; if another commit
        created it first, the commit fails with :class:`ClaimTakenError`."""
        self.claims.append(index.id)
        return self.add(index)

    def changed(self) -> list[Recorded]:
        """The aggregates with events to record."""
        return [a for a in self._seen.values() if a.pending_events]


def _of_kind(aggregate_id: UUID, aggregate: object, kind: type[A]) -> A:
    if not isinstance(aggregate, kind):
        raise AggregateNotFoundError(aggregate_id)
    return aggregate


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, RETRY_PAUSE * min(attempt + 1, 10)))  # noqa: S311
