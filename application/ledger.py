"""The one event-sourced application that holds every SellerGuard aggregate."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import Environment

from application.transcodings import ActorAsDict, DateAsISO
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


class ConcurrentUpdateError(SellerGuardError):
    """Others kept changing the same thing at once; try again."""

    code = "concurrent_update"


class PreconditionFailedError(SellerGuardError):
    """The resource changed since the version the request names (If-Match)."""

    code = "precondition_failed"


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

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._listeners: list[Callable[[int], None]] = []
        super().__init__(env)

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

    def after_save(self, listener: Callable[[int], None]) -> None:
        """Call ``listener`` with the position of every commit this process makes."""
        self._listeners.append(listener)

    def _notify(self, recordings: list[Any]) -> None:
        if recordings:
            position = max(r.notification.id for r in recordings)
            for listener in self._listeners:
                listener(position)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(ActorAsDict())
        transcoder.register(DateAsISO())

    def last_position(self) -> int:
        """The position of the newest event in the log (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def exists(self, aggregate_id: UUID) -> bool:
        """Whether any event of that aggregate is stored."""
        return aggregate_id in self.repository

    def load(self, aggregate_id: UUID) -> Any:
        """The aggregate at its latest version; AggregateNotFoundError if none."""
        return self.repository.get(aggregate_id)

    def peek(self, aggregate_id: UUID) -> Any | None:
        """The aggregate to read, not to command: it may be the cached object.

        Cheaper than :meth:`find` (no copy); the caller must not change it.
        """
        try:
            return self.repository.get(aggregate_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None

    def find(self, aggregate_id: UUID) -> Any | None:
        """The aggregate at its latest version, or None if there is none."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def update(
        self,
        aggregate_id: UUID,
        command: Callable[[Any], T],
        expected_version: int | None = None,
    ) -> tuple[T, int]:
        """Run a command on fresh state and save it, retrying on conflicts.

        A conflicting save spoils the aggregate object, so each attempt
        reloads it. The command must decide from the aggregate alone (slow
        work such as hashing happens before). With ``expected_version`` (a
        request's If-Match), a newer aggregate refuses the command. Returns
        the command's result and the log position of the save (0 when
        nothing was recorded).
        """
        for attempt in range(SAVE_ATTEMPTS):
            aggregate: Any = self.repository.get(aggregate_id)
            if expected_version is not None and aggregate.version != expected_version:
                raise PreconditionFailedError(str(aggregate_id))
            result = command(aggregate)
            try:
                recordings = self.save(aggregate)
            except IntegrityError:
                _pause(attempt)
                continue
            return result, max((r.notification.id for r in recordings), default=0)
        raise ConcurrentUpdateError(str(aggregate_id))

    def commit(self, build: Callable[[], Sequence[Any]]) -> int:
        """Save what ``build`` changed, all in one commit, retrying on conflicts.

        ``build`` loads fresh aggregates, commands them and returns them; it
        runs again after a conflicting save. Returns the commit's position.
        """
        for attempt in range(SAVE_ATTEMPTS):
            changed = build()
            try:
                recordings = self.save(*changed)
            except IntegrityError:
                _pause(attempt)
                continue
            return max((r.notification.id for r in recordings), default=0)
        raise ConcurrentUpdateError("commit")


def _pause(attempt: int) -> None:
    time.sleep(random.uniform(0, RETRY_PAUSE * min(attempt + 1, 10)))  # noqa: S311
