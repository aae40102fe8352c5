"""The inactivity sweep: runs the marketplace's policy over every store, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ledger import Changes, Ledger
from application.ports import Clock
from application.read_models import ReadModels
from application.store_activity import ActivityLedger, StoreActivityRecord
from domain.actor import Actor
from domain.inactivity import InactivityStage, closes_at, stage_at
from domain.seller_account import SellerAccount
from domain.sign_in import AccountStatus
from domain.sub_account import SubAccount

# Stores brought to a new stage are saved this many to a commit.
BATCH = 500
ACTION_OF_STAGE = {
    InactivityStage.INACTIVE: "store_inactive",
    InactivityStage.WARNED: "closure_warning",
    InactivityStage.CLOSED: "store_closed",
}


@dataclass(frozen=True)
class SweepAction:
    """What the policy did (or, in a rehearsal, would do) to one store."""

    store_id: UUID
    action: str
    last_activity_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class SweepResult:
    """One run of the sweep: when, how many stores it looked at, what it did."""

    at: datetime
    stores: int
    actions: list[SweepAction]
    rehearsal: bool


class InactivitySweep:
    """Alerts at 30 days, warns at 50, closes at 60; idempotent."""

    def __init__(
        self,
        ledger: Ledger,
        activity: ActivityLedger,
        read_models: ReadModels,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.activity = activity
        self.read_models = read_models
        self.clock = clock

    def run(self, now: datetime | None = None) -> SweepResult:
        """Apply the policy now; with ``now``, only rehearse it as of then."""
        self.read_models.catch_up()  # decide on every activity recorded so far
        at = now or self.clock.now()
        records = self.activity.every_store()
        due = [r for r in records if _due(r, at)]
        if now is not None:
            return SweepResult(at, len(records), self._rehearse(due, at), True)
        actions: list[SweepAction] = []
        for start in range(0, len(due), BATCH):
            actions.extend(self._apply(due[start : start + BATCH], at))
        return SweepResult(at, len(records), actions, rehearsal=False)

    def run_step(self) -> int:
        """One run, as a step of the log follower: how many stores it changed."""
        return len(self.run().actions)

    def _rehearse(
        self, due: Sequence[StoreActivityRecord], at: datetime
    ) -> list[SweepAction]:
        """What a run at ``at`` would do, writing nothing."""
        planned = []
        for record in due:
            seller = self.ledger.peek(record.store_id, SellerAccount)
            if seller is not None and seller.status is AccountStatus.ACTIVE:
                stage = stage_at(record.last_activity_at, at)
                planned.append(_action(seller.id, stage, record.last_activity_at))
        return planned

    def _apply(
        self, batch: Sequence[StoreActivityRecord], at: datetime
    ) -> list[SweepAction]:
        """One commit for the batch (inactive stores rarely conflict)."""

        def build(changes: Changes) -> list[SweepAction]:
            actions: list[SweepAction] = []
            for record in batch:
                action = self._decide(changes, record, at)
                if action is not None:
                    actions.append(action)
            return actions

        return self.ledger.commit(build).result

    def _decide(
        self, changes: Changes, record: StoreActivityRecord, at: datetime
    ) -> SweepAction | None:
        seller = changes.find(record.store_id, SellerAccount)
        if seller is None:
            return None
        actor = Actor.system()
        stage = seller.apply_inactivity_policy(record.last_activity_at, actor, at)
        if stage is None:
            return None
        if stage is InactivityStage.CLOSED:
            for sub_id in seller.sub_account_ids:
                account = changes.find(sub_id, SubAccount)
                if account is not None:
                    account.revoke_all_sessions("store_closed", actor, at)
        since = seller.inactivity_since or record.last_activity_at
        return _action(seller.id, stage, since)


def _due(record: StoreActivityRecord, at: datetime) -> bool:
    """Whether the store reaches a stage the policy has not recorded yet."""
    stage = stage_at(record.last_activity_at, at)
    if stage is InactivityStage.ACTIVE:
        return False
    if record.noticed_stage >= InactivityStage.CLOSED:
        return False  # closed for good
    return record.noticed_for != record.last_activity_at or record.noticed_stage < stage


def _action(store_id: UUID, stage: InactivityStage, since: datetime) -> SweepAction:
    return SweepAction(store_id, ACTION_OF_STAGE[stage], since, closes_at(since))
