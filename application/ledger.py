"""The one event-sourced application that holds every SellerGuard aggregate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder
from eventsourcing.utils import Environment

from application.transcodings import ActorAsDict, DateAsISO
from domain.seller_account import SellerAccount

SNAPSHOT_INTERVAL = 100
SAVE_ATTEMPTS = 8

T = TypeVar("T")


class ConcurrentUpdateError(RuntimeError):
    """Others kept changing the aggregate; the update was given up."""


class Ledger(Application[UUID]):
    """Every aggregate in one store, so there is one log and one global order.

    One application means one notification log for auditors and read models,
    and one ``save()`` can commit several aggregates atomically.
    """

    name = "sellerguard"
    snapshotting_intervals = {SellerAccount: SNAPSHOT_INTERVAL}

    def construct_env(
        self, name: str, env: Mapping[str, str] | None = None
    ) -> Environment:
        """Only the configuration given, never stray process variables.

        The library would merge ``os.environ`` (with ``SELLERGUARD_`` prefixed
        keys taking precedence); configuration is read in one place instead.
        """
        return Environment(name, dict(env or {}))

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

    def find(self, aggregate_id: UUID) -> Any | None:
        """The aggregate at its latest version, or None if there is none."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def update(self, aggregate_id: UUID, command: Callable[[Any], T]) -> tuple[T, int]:
        """Run a command on fresh state and save it, retrying on conflicts.

        A conflicting save spoils the aggregate object, so each attempt
        reloads it. The command must decide from the aggregate alone (slow
        work such as hashing happens before). Returns the command's result
        and the log position of the save (0 when nothing was recorded).
        """
        for _ in range(SAVE_ATTEMPTS):
            aggregate: Any = self.repository.get(aggregate_id)
            result = command(aggregate)
            try:
                recordings = self.save(aggregate)
            except IntegrityError:
                continue
            return result, max((r.notification.id for r in recordings), default=0)
        raise ConcurrentUpdateError(str(aggregate_id))
