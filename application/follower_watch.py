"""How far each follower of the log is behind, for metrics, readiness and heartbeats.

Read from the stores, not from this process's memory, so every worker tells
the same story whichever of them leads the log follower. Positions are log
positions: on PostgreSQL they can skip numbers (rolled-back transactions), so
a lag is "positions behind", an upper bound of the events still to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from application.audit_index import AuditIndexer
from application.ledger import Ledger
from application.merkle_log import MerkleLog
from application.outbox import OutboxDispatcher
from application.ports import Clock
from application.read_models import ReadModels
from application.readiness import NotReadyError, ReadinessCheck

TREE = "tree"


@dataclass(frozen=True, slots=True)
class LogState:
    """The log's head and where each follower of it stands."""

    head: int
    positions: dict[str, int]  # follower name -> last position applied
    checkpoint_age: float | None  # seconds since the newest signed checkpoint
    unsigned: int  # positions after the newest checkpoint
    outbox_backlog: int  # mails noted and not yet sent

    def lag(self, name: str) -> int:
        """How many positions that follower is behind the head."""
        return max(self.head - self.positions[name], 0)

    def lagging(self, max_lag: int) -> dict[str, int]:
        """The followers more than ``max_lag`` positions behind, and by how much."""
        return {
            name: self.lag(name)
            for name in sorted(self.positions)
            if self.lag(name) > max_lag
        }


class FollowerWatch:
    """Reads the followers' positions, the newest checkpoint and the outbox."""

    def __init__(
        self,
        ledger: Ledger,
        read_models: ReadModels,
        indexer: AuditIndexer,
        integrity: MerkleLog,
        outbox: OutboxDispatcher,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.read_models = read_models
        self.indexer = indexer
        self.integrity = integrity
        self.outbox = outbox
        self.clock = clock

    def positions(self) -> dict[str, int]:
        """Each read model's, the audit index's and the tree's last position."""
        store = self.read_models.store
        found = {p.name: store.position(p.name) for p in self.read_models.projections}
        found[self.indexer.name] = self.indexer.position()
        leaf = self.integrity.store.last_leaf()
        found[TREE] = leaf[1] if leaf else 0
        return found

    def lagging(self, max_lag: int) -> dict[str, int]:
        """The followers more than ``max_lag`` positions behind (cheap: no outbox)."""
        positions = self.positions()
        head = self.ledger.last_position()
        return {
            name: head - position
            for name, position in sorted(positions.items())
            if head - position > max_lag
        }

    def heartbeat(self) -> dict[str, Any]:
        """The log's head and each follower's position, for the heartbeat line."""
        positions = self.positions()
        return {"head": self.ledger.last_position(), "positions": positions}

    def state(self) -> LogState:
        """Everything at once (the head is read last: lags are never negative)."""
        positions = self.positions()
        checkpoint = self.integrity.checkpoint()
        backlog = self.outbox.backlog()
        head = self.ledger.last_position()
        age = None
        if checkpoint is not None:
            age = (self.clock.now() - checkpoint.signed_at).total_seconds()
        return LogState(
            head=head,
            positions=positions,
            checkpoint_age=age,
            unsigned=max(head - (checkpoint.position if checkpoint else 0), 0),
            outbox_backlog=backlog,
        )


def lag_check(watch: FollowerWatch, max_lag: int) -> ReadinessCheck:
    """Readiness: no follower of the log more than ``max_lag`` positions behind.

    Read models, the audit index and the tree fall behind while the process
    leading the log follower is down or stuck: reads go stale and nothing
    new is signed.
    """

    def probe(seconds: float) -> None:
        try:
            lagging = watch.lagging(max_lag)
        except Exception:  # an unreachable store is the store check's to report
            return
        if lagging:
            behind = ", ".join(f"{name} {lag}" for name, lag in lagging.items())
            msg = (
                f"positions behind the log: {behind} "
                f"(more than SELLERGUARD_READY_MAX_LAG={max_lag})"
            )
            raise NotReadyError(msg)

    return ReadinessCheck("log_follower_lag", probe, needs="event_store")
