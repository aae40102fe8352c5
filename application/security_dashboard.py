"""The Security Center dashboard: what was stopped, what waits, how safe the shop is."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from application.ledger import Ledger
from application.ports import Clock
from application.read_models import ReadModels, ViewStore
from application.security_center_views import INTERCEPTED, OPEN, RISK_ITEMS, item_key
from application.security_views import LOGINS
from application.timestamps import rfc3339
from domain.block_list import BlockList, block_list_id
from domain.risk_signal import Category
from domain.seller_account import SellerAccount
from domain.sign_in import AccountStatus
from domain.sub_account import DORMANT_AFTER, SubAccount

PERIODS = (7, 30, 90)
RECENT = timedelta(days=7)
# A dashboard reads at most this many items of one view (the newest).
MAX_ITEMS = 20000
MAX_LOGINS = 1000


@dataclass(frozen=True)
class Period:
    """Whole UTC days ending today: ``days`` of them, today included."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, now: datetime, days: int) -> Period:
        first = now.astimezone(UTC).date() - timedelta(days=days - 1)
        return cls(datetime.combine(first, time(), tzinfo=UTC), now.astimezone(UTC))

    def dates(self) -> list[date]:
        """Every UTC date of the period, oldest first."""
        first, last = self.start.date(), self.end.date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


class SecurityDashboard:
    """Counts for one shop over 7, 30 or 90 days, read from the read models."""

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        read_models: ReadModels,
        clock: Clock,
        payouts: Any = None,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.read_models = read_models
        self.clock = clock
        self.payouts = payouts

    def dashboard(self, seller_id: UUID, days: int) -> dict[str, Any]:
        """The shop's dashboard over the last ``days`` UTC days."""
        self.read_models.ensure_current()
        now = self.clock.now()
        period = Period.ending(now, days)
        shop = str(seller_id)
        return {
            "period": {"from": period.start, "to": period.end},
            "intercepted": self._intercepted(shop, period),
            "open_risk_orders": self._count(RISK_ITEMS, item_key(shop, "order", OPEN)),
            "open_risk_refunds": self._count(
                RISK_ITEMS, item_key(shop, "refund", OPEN)
            ),
            "account": self.account_summary(seller_id, now),
        }

    def _intercepted(self, shop: str, period: Period) -> dict[str, Any]:
        first, last = period.dates()[0].isoformat(), period.end.date().isoformat()
        by_day: Counter[str] = Counter()
        by_category: Counter[str] = Counter()
        for item in self.views.items(INTERCEPTED, shop, limit=MAX_ITEMS):
            day = str(item.data["occurred_at"])[:10]
            if first <= day <= last:
                by_day[day] += 1
                by_category[str(item.data["category"])] += 1
        return {
            "total": sum(by_day.values()),
            "by_category": {c.value: by_category[c.value] for c in Category},
            "by_day": [
                {"date": d.isoformat(), "count": by_day[d.isoformat()]}
                for d in period.dates()
            ],
        }

    def _count(self, view: str, key: str) -> int:
        return len(self.views.items(view, key, limit=MAX_ITEMS))

    def account_summary(self, seller_id: UUID, now: datetime) -> dict[str, Any]:
        """Two-step, dormant employees, sign-in risk, blocks, recovery, payout."""
        owner = self.ledger.load(seller_id, SellerAccount)
        subs = [self.ledger.load(i, SubAccount) for i in owner.sub_account_ids]
        active = [s for s in subs if s.status is AccountStatus.ACTIVE]
        failed, new_devices = self._sign_in_risk([owner, *subs], now - RECENT)
        blocks = self.ledger.find(block_list_id(seller_id), BlockList)
        return {
            "two_step_enabled": owner.has_second_step,
            "sub_accounts_without_two_step": sum(
                1 for s in active if not s.has_second_step
            ),
            "dormant_sub_accounts": sum(
                1
                for s in active
                if now - (s.last_login_at or s.created_on) >= DORMANT_AFTER
            ),
            "failed_sign_ins_7d": failed,
            "new_devices_7d": new_devices,
            "active_blocks": len(blocks.active(now)) if blocks else 0,
            "open_recovery_case": owner.open_case_id is not None,
            "payout_change_pending": self._payout_change_pending(seller_id),
        }

    def _sign_in_risk(self, accounts: list[Any], since: datetime) -> tuple[int, int]:
        failed = new_devices = 0
        floor = rfc3339(since)
        for account in accounts:
            for item in self.views.items(LOGINS, str(account.id), limit=MAX_LOGINS):
                if str(item.data["at"]) < floor:
                    continue
                if item.data["outcome"] != "succeeded":
                    failed += 1
                elif item.data.get("new_device"):
                    new_devices += 1
        return failed, new_devices

    def _payout_change_pending(self, seller_id: UUID) -> bool:
        # Payout accounts arrive with issue 14; until then nothing can be pending.
        if self.payouts is None:
            return False
        return bool(self.payouts.change_pending(seller_id))
