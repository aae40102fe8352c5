"""The payout account: held changes, cancellations, and the finance service's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from application.ledger import Ledger
from application.ports import Clock
from domain.actor import Actor
from domain.payout_account import (
    CREDENTIALS_CHANGE_WINDOW,
    BankAccount,
    ShopNotFoundError,
)
from domain.seller_account import SellerAccount
from domain.sign_in import AccountFrozenError, AccountStatus


@dataclass(frozen=True)
class OwnerPayoutView:
    """What the owner sees: only the last four digits of any account number."""

    current: dict[str, Any] | None
    pending: dict[str, Any] | None
    payouts_allowed: bool


@dataclass(frozen=True)
class ServicePayoutView:
    """What the finance service sees: the full current account, and whether
    money may go out now (and if not, why)."""

    current: dict[str, Any] | None
    payouts_allowed: bool
    reason: str | None


def _masked(entry: dict[str, Any] | None, *times: str) -> dict[str, Any] | None:
    if entry is None:
        return None
    shown = {
        "holder_name": entry["holder_name"],
        "bank_code": entry["bank_code"],
        "account_last4": str(entry["account_number"])[-4:],
    }
    return shown | {name: entry[name] for name in times}


class Payouts:
    """The use cases of the payout account."""

    def __init__(self, ledger: Ledger, clock: Clock, hold: timedelta) -> None:
        self.ledger = ledger
        self.clock = clock
        self.hold = hold

    def owner_view(self, seller_id: UUID) -> OwnerPayoutView:
        """The owner's payout account: current, pending, and whether paid out."""
        shop, now = self._settled(seller_id), self.clock.now()
        return OwnerPayoutView(
            _masked(shop.current_payout, "since"),
            _masked(shop.pending_payout, "requested_at", "effective_at"),
            shop.payout_block(now) is None,
        )

    def service_view(self, seller_id: UUID) -> ServicePayoutView:
        """The finance service's view, with the full account number."""
        shop, now = self._settled(seller_id), self.clock.now()
        current = shop.current_payout
        block = shop.payout_block(now)
        return ServicePayoutView(
            None if current is None else dict(current), block is None, block
        )

    def change_pending(self, seller_id: UUID) -> bool:
        """Whether a change of the payout account is waiting out its hold now."""
        return self._waiting(seller_id) is not None

    def pending_change(self, seller_id: UUID) -> tuple[str, bool] | None:
        """A sentence about the pending change, and whether its hold was doubled
        (asked for soon after the credentials changed, as a thief would)."""
        pending = self._waiting(seller_id)
        if pending is None:
            return None
        sentence = (
            f"Payouts will go to the account ending {pending['account_last4']} "
            f"from {pending['effective_at']:%Y-%m-%d %H:%M} UTC unless you cancel "
            "the change."
        )
        return sentence, bool(pending["hold_doubled"])

    def _waiting(self, seller_id: UUID) -> dict[str, Any] | None:
        shop = self.ledger.peek(seller_id, SellerAccount)
        pending = None if shop is None else shop.pending_payout
        if pending is None or pending["effective_at"] <= self.clock.now():
            return None
        changed = None if shop is None else shop.credentials_changed_at
        doubled = (
            changed is not None
            and pending["requested_at"] - changed < CREDENTIALS_CHANGE_WINDOW
        )
        return {
            "account_last4": str(pending["account_number"])[-4:],
            "effective_at": pending["effective_at"],
            "hold_doubled": doubled,
        }

    def request_change(
        self,
        seller_id: UUID,
        holder_name: str,
        bank_code: str,
        account_number: str,
        actor: Actor,
    ) -> OwnerPayoutView:
        """Ask for payouts into another account; it takes effect after the hold."""
        bank = BankAccount(holder_name, bank_code, account_number)
        now = self.clock.now()

        def run(shop: SellerAccount) -> None:
            if shop.status is not AccountStatus.ACTIVE:
                raise AccountFrozenError(str(seller_id))
            shop.request_payout_change(bank, self.hold, actor, now)

        self.ledger.update(seller_id, SellerAccount, run)
        return self.owner_view(seller_id)

    def cancel_change(self, seller_id: UUID, reason: str, actor: Actor) -> datetime:
        """Cancel the pending change (by the owner or a support agent)."""
        self._shop(seller_id)
        now = self.clock.now()
        self.ledger.update(
            seller_id,
            SellerAccount,
            lambda shop: shop.cancel_payout_change(reason, actor, now),
        )
        return now

    def _settled(self, seller_id: UUID) -> SellerAccount:
        """The shop, with a change whose hold ran out recorded as effective."""
        shop, now = self._shop(seller_id), self.clock.now()
        if not shop.payout_due(now):
            return shop

        def run(fresh: SellerAccount) -> SellerAccount:
            fresh.settle_payout(Actor.system(), now)
            return fresh

        return self.ledger.update(seller_id, SellerAccount, run).result

    def _shop(self, seller_id: UUID) -> SellerAccount:
        shop = self.ledger.find(seller_id, SellerAccount)
        if shop is None:
            raise ShopNotFoundError(str(seller_id))
        return shop
