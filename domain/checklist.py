"""The daily inspection's checklist: each item judged ok, warn or fail, in words.

The items are the marketplace's daily and monthly checks. Each judgement is a
pure function of :class:`Facts` gathered by the application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from domain.inactivity import CLOSURE_NEAR, closes_at, inactive_days

INACTIVITY_HEADS_UP = 20  # days: a warning ten days before a store is inactive
FEW_RECOVERY_CODES = 2
LONG_DORMANT = timedelta(days=90)
RECENT_RECOVERY = timedelta(days=30)
STALE_RISK_ITEM = timedelta(hours=72)
NEAR_BLOCK_CAP = 90


class Status(StrEnum):
    """An item's verdict; ordered ok < warn < fail by :func:`severity`."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


def severity(status: Status) -> int:
    """0 for ok, 1 for warn, 2 for fail: how to sort worst first."""
    return (Status.OK, Status.WARN, Status.FAIL).index(status)


@dataclass(frozen=True)
class Check:
    """One checklist item's verdict and a sentence a seller understands."""

    item: str
    status: Status
    detail: str


@dataclass(frozen=True)
class Employee:
    """What the checklist needs to know about one active sub-account."""

    username: str
    role: str
    two_step_enabled: bool
    last_sign_in_at: datetime


@dataclass(frozen=True)
class SignInCounts:
    """Sign-in outcomes of the owner and every sub-account over the last 7 days."""

    failed: int = 0
    locked: int = 0
    second_step_failed: int = 0
    new_devices: int = 0


@dataclass(frozen=True)
class Facts:
    """Everything the checklist reads about one store, as of ``now``."""

    now: datetime
    status: str
    last_activity_at: datetime
    owner_two_step: bool
    recovery_codes_left: int
    employees: list[Employee]
    sign_ins: SignInCounts
    open_recovery_case: bool
    recovered_at: datetime | None
    blocking_access: bool
    active_blocks: int
    blocks_remaining_today: int
    payout_pending: str | None = None  # a sentence about the pending change
    # Asked for within days of a password or two-step change: a takeover's mark.
    payout_pending_suspicious: bool = False
    risk_items_open: list[datetime] = field(default_factory=list)
    owner_passkeys: int = 0  # a passkey is a (phishing-proof) second step too


def store_status(f: Facts) -> Check:
    if f.status == "closed":
        return _fail("store_status", "The store is closed for inactivity, for good.")
    if f.status == "frozen":
        return _fail(
            "store_status",
            "The store is frozen: nobody can sign in until support restores it.",
        )
    closing = closes_at(f.last_activity_at)
    if closing - f.now <= CLOSURE_NEAR:
        return _warn(
            "store_status",
            f"The store closes for inactivity on {_day(closing)}: sign in before "
            "then to keep it.",
        )
    return _ok("store_status", "The store is open.")


def inactivity(f: Facts) -> Check:
    days = inactive_days(f.last_activity_at, f.now)
    last = _day(f.last_activity_at)
    since = f"The last sign-in or operation was {days} days ago ({last})"
    if f.status == "closed" or days >= 30:
        return _fail(
            "inactivity",
            f"{since}: the store counts as inactive and is closed 60 days after it.",
        )
    if days >= INACTIVITY_HEADS_UP:
        return _warn(
            "inactivity",
            f"{since}: after 30 days the store counts as inactive. Sign in to reset.",
        )
    return _ok("inactivity", f"{since}.")


def owner_two_step(f: Facts) -> Check:
    if not f.owner_two_step and f.owner_passkeys:
        return _ok(
            "owner_two_step",
            "A passkey is the main account's second step, and it cannot be phished.",
        )
    if not f.owner_two_step:
        return _fail(
            "owner_two_step",
            "Two-step verification is off for the main account: turn it on, so a "
            "stolen password is not enough to take the store.",
        )
    if f.recovery_codes_left <= FEW_RECOVERY_CODES:
        return _warn(
            "owner_two_step",
            f"Two-step verification is on, but only {f.recovery_codes_left} recovery "
            "codes are left: make new ones.",
        )
    return _ok("owner_two_step", "Two-step verification is on for the main account.")


def sub_accounts_two_step(f: Facts) -> Check:
    without = [e for e in f.employees if not e.two_step_enabled]
    if not without:
        return _ok(
            "sub_accounts_two_step",
            f"All {len(f.employees)} active sub-accounts use two-step verification.",
        )
    names = _names(without)
    admins = [e for e in without if e.role == "main_administrator"]
    if admins:
        return _fail(
            "sub_accounts_two_step",
            f"Administrators without two-step verification: {_names(admins)}. "
            "They can do almost anything in the store; require it.",
        )
    return _warn(
        "sub_accounts_two_step",
        f"{len(without)} sub-accounts sign in without two-step verification: {names}.",
    )


def dormant_sub_accounts(f: Facts) -> Check:
    dormant = [e for e in f.employees if f.now - e.last_sign_in_at >= timedelta(30)]
    if not dormant:
        return _ok("dormant_sub_accounts", "Every active sub-account signed in lately.")
    stale = [
        e
        for e in dormant
        if f.now - e.last_sign_in_at >= LONG_DORMANT or e.role == "main_administrator"
    ]
    if stale:
        return _fail(
            "dormant_sub_accounts",
            f"Unused for a long time or with full powers: {_names(stale)}. "
            "Deactivate the accounts of people who left.",
        )
    return _warn(
        "dormant_sub_accounts",
        f"No sign-in for 30 days: {_names(dormant)}. Review whether they are needed.",
    )


def sign_in_risk(f: Facts) -> Check:
    s = f.sign_ins
    if s.locked or s.second_step_failed:
        return _fail(
            "sign_in_risk",
            f"In the last 7 days: {s.locked} sign-ins refused after repeated wrong "
            f"passwords and {s.second_step_failed} wrong second-step codes after a "
            "right password. Someone may know a password: change it.",
        )
    if s.failed or s.new_devices:
        return _warn(
            "sign_in_risk",
            f"In the last 7 days: {s.failed} wrong passwords and {s.new_devices} "
            "sign-ins from new devices. Check the login history.",
        )
    return _ok(
        "sign_in_risk",
        "No wrong passwords, lockouts or new devices in the last 7 days.",
    )


def recovery(f: Facts) -> Check:
    if f.open_recovery_case:
        return _fail(
            "recovery",
            "A recovery case about the account is open: the store stays frozen "
            "until support decides it.",
        )
    if f.recovered_at is not None and f.now - f.recovered_at < RECENT_RECOVERY:
        return _warn(
            "recovery",
            f"A recovery case ended on {_day(f.recovered_at)}: review sub-accounts, "
            "devices and the payout account.",
        )
    return _ok("recovery", "No recovery case is open.")


def payout_account(f: Facts) -> Check:
    if f.payout_pending is not None and f.payout_pending_suspicious:
        return _fail(
            "payout_account",
            f"{f.payout_pending} It was asked for soon after the password or "
            "two-step changed: if you did not ask for it, cancel it now.",
        )
    if f.payout_pending is not None:
        return _warn("payout_account", f.payout_pending)
    return _ok("payout_account", "No change of the payout account is pending.")


def security_center(f: Facts) -> Check:
    count = len(f.risk_items_open)
    if not count:
        return _ok("security_center", "No risky order or refund waits for you.")
    stale = [at for at in f.risk_items_open if f.now - at >= STALE_RISK_ITEM]
    if stale:
        return _fail(
            "security_center",
            f"{len(stale)} risky orders or refunds have waited over 3 days for your "
            "decision in the Security Center.",
        )
    return _warn(
        "security_center",
        f"{count} risky orders or refunds wait for your decision in the Security "
        "Center.",
    )


def block_list(f: Facts) -> Check:
    left = f.blocks_remaining_today
    counts = f"{f.active_blocks} buyers blocked, {left} blocks left today"
    if not f.blocking_access:
        return _fail(
            "block_list", "The platform revoked the store's right to block buyers."
        )
    if f.blocks_remaining_today == 0 or f.active_blocks >= NEAR_BLOCK_CAP:
        return _warn(
            "block_list", f"{counts}: close to the limits (100 active, 10 a day)."
        )
    return _ok("block_list", f"{counts}.")


ITEMS: tuple[Callable[[Facts], Check], ...] = (
    store_status,
    inactivity,
    owner_two_step,
    sub_accounts_two_step,
    dormant_sub_accounts,
    sign_in_risk,
    recovery,
    payout_account,
    security_center,
    block_list,
)


def checklist(facts: Facts) -> list[Check]:
    """Every item of the daily inspection, in the contract's order."""
    return [judge(facts) for judge in ITEMS]


def _ok(item: str, detail: str) -> Check:
    return Check(item, Status.OK, detail)


def _warn(item: str, detail: str) -> Check:
    return Check(item, Status.WARN, detail)


def _fail(item: str, detail: str) -> Check:
    return Check(item, Status.FAIL, detail)


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _names(employees: list[Employee]) -> str:
    return ", ".join(sorted(e.username for e in employees))
