"""How far each follower of the log is behind, for metrics, readiness and heartbeats.

Read from the stores, not from this process's memory, so every worker tells
the same story whichever of them leads the log follower. Positions are log
positions: on PostgreSQL they can skip numbers (rolled-back transactions), so
a lag is "positions behind", an upper bound of the events still to apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from application.audit_index import AuditIndexer
from application.ledger import Ledger
from application.merkle_log import MerkleLog
from application.outbox import OutboxDispatcher
from application.ports import Clock
from application.read_models import ProjectionRunner

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
        read_models: ProjectionRunner,
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
