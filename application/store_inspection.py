"""The daily inspection of a store: the checklist, read from aggregates and views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

from application.ledger import Ledger
from application.ports import Clock
from application.read_models import ReadModels, ViewStore
from application.security_center_views import OPEN, RISK_ITEMS, item_key
from application.security_views import LOGINS
from application.store_activity import ActivityLedger
from application.timestamps import parse_rfc3339, rfc3339
from domain.block_list import MAX_BLOCKS_PER_DAY, BlockList, block_list_id
from domain.checklist import Check, Employee, Facts, SignInCounts, checklist, severity
from domain.errors import SellerGuardError
from domain.inactivity import closes_at, inactive_days
from domain.seller_account import SellerAccount
from domain.sign_in import AccountStatus
from domain.sub_account import SubAccount

RECENT = timedelta(days=7)
MAX_LOGINS = 500  # the newest sign-ins of one account the inspection reads
MAX_RISK_ITEMS = 1000


class StoreNotFoundError(SellerGuardError):
    """No store has that id."""

    code = "not_found"


class PayoutChanges(Protocol):
    """What the inspection asks of payout accounts (issue 14)."""

    def pending_change(self, seller_id: UUID) -> tuple[str, bool] | None:
        """A sentence about the pending change and whether it is suspicious."""
        ...


@dataclass(frozen=True)
class StoreState:
    """The store as the inspection's header shows it."""

    id: UUID
    username: str
    status: str
    last_activity_at: datetime
    inactive_days: int
    closes_at: datetime | None


@dataclass(frozen=True)
class Inspection:
    """One store's checklist, as of ``generated_at``."""

    store: StoreState
    checks: list[Check]
    generated_at: datetime

    @property
    def worst(self) -> int:
        """The worst verdict's severity (0 ok, 1 warn, 2 fail)."""
        return max(severity(c.status) for c in self.checks)

    def sort_key(self) -> tuple[int, int, int, str]:
        """Worst first: by worst verdict, then fails, then warns, then name."""
        fails = sum(1 for c in self.checks if severity(c.status) == 2)
        warns = sum(1 for c in self.checks if severity(c.status) == 1)
        return (-self.worst, -fails, -warns, self.store.username.lower())


class StoreInspection:
    """The daily checklist of one store, or of several."""

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        read_models: ReadModels,
        activity: ActivityLedger,
        clock: Clock,
        payouts: PayoutChanges | None = None,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.read_models = read_models
        self.activity = activity
        self.clock = clock
        self.payouts = payouts

    def inspect(self, store_id: UUID, *, current: bool = True) -> Inspection:
        """The store's checklist now; StoreNotFoundError when there is no store."""
        if current:
            self.read_models.ensure_current()
        owner = self.ledger.peek(store_id, SellerAccount)
        if owner is None:
            raise StoreNotFoundError(str(store_id))
        now = self.clock.now()
        facts = self._facts(owner, now)
        return Inspection(_state(owner, facts), checklist(facts), now)

    def inspect_many(self, store_ids: list[UUID]) -> list[Inspection]:
        """Several stores' checklists, worst first."""
        self.read_models.ensure_current()
        found = []
        for store_id in store_ids:
            try:
                found.append(self.inspect(store_id, current=False))
            except StoreNotFoundError:
                continue
        return sorted(found, key=Inspection.sort_key)

    def every_store(self) -> list[UUID]:
        """The id of every store, for operators."""
        self.read_models.ensure_current()
        return [record.store_id for record in self.activity.every_store()]

    def _facts(self, owner: SellerAccount, now: datetime) -> Facts:
        subs = [self.ledger.peek(i, SubAccount) for i in owner.sub_account_ids]
        active = [s for s in subs if s is not None and s.status is AccountStatus.ACTIVE]
        blocks = self.ledger.peek(block_list_id(owner.id), BlockList)
        record = self.activity.of(owner.id)
        last = max(
            m
            for m in (
                None if record is None else record.last_activity_at,
                owner.last_login_at,
                owner.created_on,
            )
            if m is not None
        )
        return Facts(
            now=now,
            status=owner.status.value,
            last_activity_at=last,
            owner_two_step=owner.two_step_enabled,
            owner_passkeys=len(owner.passkeys),
            recovery_codes_left=len(owner.recovery_code_hashes),
            employees=[_employee(s) for s in active],
            sign_ins=self._sign_ins([owner.id, *(s.id for s in active)], now),
            open_recovery_case=owner.open_case_id is not None,
            recovered_at=owner.recovered_at,
            blocking_access=owner.blocking_access,
            active_blocks=len(blocks.active(now)) if blocks else 0,
            blocks_remaining_today=max(
                0, MAX_BLOCKS_PER_DAY - (blocks.blocks_on(now.date()) if blocks else 0)
            ),
            **self._payout(owner.id),
            risk_items_open=self._open_risk_items(owner.id),
        )

    def _payout(self, store_id: UUID) -> dict[str, Any]:
        pending = (
            None if self.payouts is None else self.payouts.pending_change(store_id)
        )
        if pending is None:
            return {}
        return {"payout_pending": pending[0], "payout_pending_suspicious": pending[1]}

    def _sign_ins(self, account_ids: list[UUID], now: datetime) -> SignInCounts:
        floor = rfc3339(now - RECENT)
        counts = {"failed": 0, "locked": 0, "second_step_failed": 0, "new_devices": 0}
        for account_id in account_ids:
            for item in self.views.items(LOGINS, str(account_id), limit=MAX_LOGINS):
                if str(item.data["at"]) < floor:
                    break  # newest first: the rest is older still
                outcome = str(item.data["outcome"])
                if outcome == "succeeded":
                    counts["new_devices"] += bool(item.data.get("new_device"))
                elif outcome in counts:
                    counts[outcome] += 1
        return SignInCounts(**counts)

    def _open_risk_items(self, store_id: UUID) -> list[datetime]:
        flagged = []
        for kind in ("order", "refund"):
            key = item_key(str(store_id), kind, OPEN)
            for item in self.views.items(RISK_ITEMS, key, limit=MAX_RISK_ITEMS):
                flagged.append(_moment(item.data.get("flagged_at")))
        return [m for m in flagged if m is not None]


def _employee(account: SubAccount) -> Employee:
    return Employee(
        username=account.username,
        role=account.role.value,
        two_step_enabled=account.has_second_step,
        last_sign_in_at=account.last_login_at or account.created_on,
    )


def _state(owner: SellerAccount, facts: Facts) -> StoreState:
    closing = owner.status is AccountStatus.ACTIVE  # the policy skips the others
    return StoreState(
        id=owner.id,
        username=owner.username,
        status=owner.status.value,
        last_activity_at=facts.last_activity_at,
        inactive_days=inactive_days(facts.last_activity_at, facts.now),
        closes_at=closes_at(facts.last_activity_at) if closing else None,
    )


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    return parse_rfc3339(str(value))
