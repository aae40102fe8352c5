"""Where a shop's money goes: one payout account, changed only after a hold.

A thief who took over a shop profits only by sending its balance to their own
bank account, so every change waits out a hold (doubled right after the
credentials changed), the owner is told, and a freeze, a recovery or a
closure cancels it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.actor import Actor
from domain.aggregate import Recorded, shared_event
from domain.errors import SellerGuardError

CREDENTIALS_CHANGE_WINDOW = timedelta(days=7)
PAUSE_AFTER_RECOVERY = timedelta(hours=72)


class PayoutError(SellerGuardError):
    """Base of the payout account's errors; never raised directly."""


class PayoutChangePendingError(PayoutError):
    """A change of the payout account is already waiting out its hold."""

    code = "payout_change_pending"


class ShopNotFoundError(PayoutError):
    """No shop has that id."""

    code = "not_found"


class NoPendingPayoutChangeError(PayoutError):
    """There is no pending change of the payout account."""

    code = "not_found"


@dataclass(frozen=True)
class BankAccount:
    """A bank account money can be paid to."""

    holder_name: str
    bank_code: str
    account_number: str

    @property
    def last4(self) -> str:
        """The last four characters: all that is shown outside the finance view."""
        return self.account_number[-4:]


@shared_event
class PayoutChangeRequested(Recorded.Event):
    """The owner asked to be paid into another account, after a hold."""

    TOPIC = "sellerguard:PayoutChangeRequested"
    holder_name: str
    bank_code: str
    account_number: str
    effective_at: datetime
    hold_doubled: bool

    def apply(self, account: Any) -> None:
        account.payout_pending = {
            "holder_name": self.holder_name,
            "bank_code": self.bank_code,
            "account_number": self.account_number,
            "requested_at": self.timestamp,
            "effective_at": self.effective_at,
        }


@shared_event
class PayoutChangeCancelled(Recorded.Event):
    """A pending change was cancelled (owner, support, freeze, recovery, closure)."""

    TOPIC = "sellerguard:PayoutChangeCancelled"
    reason: str

    def apply(self, account: Any) -> None:
        account.payout_pending = None


@shared_event
class PayoutChangeTookEffect(Recorded.Event):
    """The hold ran out: payouts go to the new account from ``since``."""

    TOPIC = "sellerguard:PayoutChangeTookEffect"
    since: datetime

    def apply(self, account: Any) -> None:
        pending = account.payout_pending
        account.payout_current = {
            "holder_name": pending["holder_name"],
            "bank_code": pending["bank_code"],
            "account_number": pending["account_number"],
            "since": self.since,
        }
        account.payout_pending = None


class PayoutHolder(Recorded):
    """The payout account of a shop's main account (mixed into SellerAccount)."""

    # Accounts stored before payouts existed (and their snapshots) have none.
    @property
    def pending_payout(self) -> dict[str, Any] | None:
        """The change waiting out its hold, if any."""
        pending: dict[str, Any] | None = getattr(self, "payout_pending", None)
        return pending

    @property
    def current_payout(self) -> dict[str, Any] | None:
        """The account payouts go to now, if any."""
        current: dict[str, Any] | None = getattr(self, "payout_current", None)
        return current

    @property
    def credentials_changed_at(self) -> datetime | None:
        """When the password was last changed or reset, or two-step turned off."""
        moment: datetime | None = getattr(self, "last_credentials_change", None)
        return moment

    def payout_hold(self, hold: timedelta, at: datetime) -> timedelta:
        """The hold of a change asked for now: doubled right after credentials
        changed, when a thief who just took over would ask."""
        changed = self.credentials_changed_at
        recent = changed is not None and at - changed < CREDENTIALS_CHANGE_WINDOW
        return hold * 2 if recent else hold

    def request_payout_change(
        self, bank: BankAccount, hold: timedelta, actor: Actor, at: datetime
    ) -> None:
        """Ask to be paid into ``bank`` once the hold has run out."""
        self.settle_payout(actor, at)
        if self.pending_payout is not None:
            raise PayoutChangePendingError(str(self.id))
        held = self.payout_hold(hold, at)
        self._record(
            PayoutChangeRequested,
            actor,
            at,
            holder_name=bank.holder_name,
            bank_code=bank.bank_code,
            account_number=bank.account_number,
            effective_at=at + held,
            hold_doubled=held != hold,
        )

    def cancel_payout_change(self, reason: str, actor: Actor, at: datetime) -> None:
        """Cancel the pending change; NoPendingPayoutChangeError if none."""
        self.settle_payout(actor, at)
        if self.pending_payout is None:
            raise NoPendingPayoutChangeError(str(self.id))
        self._record(PayoutChangeCancelled, actor, at, reason=reason)

    def cancel_any_payout_change(self, reason: str, actor: Actor, at: datetime) -> None:
        """Cancel a change that has not taken effect yet, if there is one."""
        pending = self.pending_payout
        if pending is not None and pending["effective_at"] > at:
            self._record(PayoutChangeCancelled, actor, at, reason=reason)

    def payout_due(self, at: datetime) -> bool:
        """Whether a pending change's hold has run out but it is not recorded yet."""
        pending = self.pending_payout
        return pending is not None and pending["effective_at"] <= at

    def settle_payout(self, actor: Actor, at: datetime) -> None:
        """Record that a pending change took effect, once its hold ran out."""
        pending = self.pending_payout
        if pending is not None and pending["effective_at"] <= at:
            self._record(
                PayoutChangeTookEffect, actor, at, since=pending["effective_at"]
            )

    def payout_block(self, at: datetime) -> str | None:
        """Why payouts must not go out now, or None when they may."""
        reasons = (
            (self._state() == "closed", "account_closed"),
            (getattr(self, "open_case_id", None) is not None, "recovery_open"),
            (self._state() == "frozen", "account_frozen"),
            (self._recently_recovered(at), "recovery_reset"),
            (self.current_payout is None, "no_payout_account"),
        )
        return next((reason for blocked, reason in reasons if blocked), None)

    def _recently_recovered(self, at: datetime) -> bool:
        recovered: datetime | None = getattr(self, "recovered_at", None)
        return recovered is not None and at - recovered < PAUSE_AFTER_RECOVERY

    def _state(self) -> str:
        return str(getattr(self, "_status", ""))
