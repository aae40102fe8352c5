"""The one event-sourced application that holds every SellerGuard aggregate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder
from eventsourcing.utils import Environment

from application.transcodings import ActorAsDict, DateAsISO
from domain.seller_account import SellerAccount

SNAPSHOT_INTERVAL = 100


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

    def get(self, aggregate_id: UUID) -> Any:
        """The aggregate at its latest version."""
        return self.repository.get(aggregate_id)
