"""Read models of sign-in security: each person's login history, each shop's alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any
from uuid import UUID

from application.read_models import Change, Put
from application.timestamps import rfc3339
from domain import guessing_events as guessing
from domain import sign_in_events as events
from domain.block_list import BlockList
from domain.passkeys import (
    PasskeyAdded,
    PasskeyCloneSuspected,
    PasskeyRemoved,
    PasskeyRenamed,
    PasskeySignInRefused,
)
from domain.payout_account import (
    PayoutChangeCancelled,
    PayoutChangeRequested,
    PayoutChangeTookEffect,
)
from domain.recovery_codes import RecoveryCodesRegenerated
from domain.risk_signal import RiskSignal
from domain.seller_account import SellerAccount
from domain.sub_account import SubAccount

LOGINS = "logins"
ALERTS = "alerts"


def _stamp(event: Any) -> str:
    return rfc3339(event.timestamp)


class LoginHistory:
    """Every sign-in attempt on an account: succeeded, failed, locked out, or
    stopped at the second step."""

    name = "login_history"
    views = (LOGINS,)
    topics = (
        events.LoginSucceeded.TOPIC,
        events.LoginFailed.TOPIC,
        events.LoginLockedOut.TOPIC,
        guessing.SecondStepFailed.TOPIC,
        PasskeySignInRefused.TOPIC,
        PasskeyCloneSuspected.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        outcome = {
            events.LoginSucceeded: "succeeded",
            events.LoginFailed: "failed",
            events.LoginLockedOut: "locked",
            guessing.SecondStepFailed: "second_step_failed",
            PasskeySignInRefused: "failed",
            PasskeyCloneSuspected: "failed",
        }[type(event)]
        return [
            Put(
                LOGINS,
                str(event.originator_id),
                str(position),
                {
                    "at": _stamp(event),
                    "outcome": outcome,
                    "ip": event.ip,
                    "user_agent": event.user_agent,
                    "device_id": event.device_id,
                    "new_device": bool(getattr(event, "new_device", False)),
                },
            )
        ]


class Alerts:
    """What a shop's owner is told about: new devices, lockouts, changes.

    Alerts name sub-accounts by their login name (which never changes), read
    through ``usernames``; an id stands in only where no name is known.
    """

    name = "alerts"
    views = (ALERTS,)

    def __init__(
        self, usernames: Callable[[UUID], str | None] = lambda _: None
    ) -> None:
        self.usernames = usernames

    topics = (
        events.LoginSucceeded.TOPIC,
        events.LoginFailed.TOPIC,
        guessing.PasswordGuessingThrottled.TOPIC,
        guessing.SecondStepFailed.TOPIC,
        guessing.SessionCheckFailed.TOPIC,
        events.PasswordChanged.TOPIC,
        events.TwoStepEnabled.TOPIC,
        events.TwoStepDisabled.TOPIC,
        RecoveryCodesRegenerated.TOPIC,
        PayoutChangeRequested.TOPIC,
        PayoutChangeCancelled.TOPIC,
        PayoutChangeTookEffect.TOPIC,
        SellerAccount.Frozen.TOPIC,
        SellerAccount.Unfrozen.TOPIC,
        SubAccount.Created.TOPIC,
        SubAccount.RoleChanged.TOPIC,
        SubAccount.Deactivated.TOPIC,
        SubAccount.DormancyFlagged.TOPIC,
        SubAccount.InvitationAccepted.TOPIC,
        SellerAccount.SubAccountPolicySet.TOPIC,
        BlockList.BlockOverridden.TOPIC,
        SellerAccount.BlockingAccessRevoked.TOPIC,
        SellerAccount.BlockingAccessGranted.TOPIC,
        RiskSignal.Received.TOPIC,
        SellerAccount.InactivityNoticed.TOPIC,
        SellerAccount.StoreClosed.TOPIC,
        PasskeyAdded.TOPIC,
        PasskeyRenamed.TOPIC,
        PasskeyRemoved.TOPIC,
        PasskeyCloneSuspected.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        alert = (
            _sub_account_alert(event, self._name_of(event.originator_id))
            if isinstance(event, SubAccount.Event)
            else _alert_for(event)
        )
        if alert is None:
            return []
        kind, severity, detail = alert
        # A sub-account's events are its seller's to know about.
        shop = getattr(event, "seller_id", None) or event.originator_id
        return [
            Put(
                ALERTS,
                str(shop),
                str(position),
                {
                    "at": _stamp(event),
                    "kind": kind,
                    "severity": severity,
                    "detail": detail,
                },
            )
        ]

    def _name_of(self, account_id: UUID) -> str:
        return self.usernames(account_id) or str(account_id)


def _alert_for(event: Any) -> tuple[str, str, str] | None:
    if isinstance(event, events.LoginSucceeded):
        if not event.new_device:
            return None
        return (
            "new_device_login",
            "warning",
            f"A new device signed in from {event.ip}.",
        )
    if isinstance(event, events.LoginFailed):
        if event.locked_until is None:
            return None
        return (
            "login_locked",
            "warning",
            f"Repeated wrong passwords from {event.ip}: that address is locked "
            f"out until {rfc3339(event.locked_until)}.",
        )
    guessed = _guessing_alert(event)
    if guessed is not None:
        return guessed
    if isinstance(event, RiskSignal.Received):
        return _risk_alert(event)
    if isinstance(event, PayoutChangeRequested):
        return (
            "payout_change_requested",
            "high",
            "Payouts are to go to the account ending in "
            f"{event.account_number[-4:]} from {rfc3339(event.effective_at)}: "
            "if this was not you, cancel the change now.",
        )
    if isinstance(event, PayoutChangeCancelled):
        return (
            "payout_change_cancelled",
            "info",
            f"The change of the payout account was cancelled ({event.reason}).",
        )
    if isinstance(event, PayoutChangeTookEffect):
        return (
            "payout_change_effective",
            "warning",
            "Payouts now go to the new account.",
        )
    if isinstance(event, events.TwoStepDisabled) and event.reason == "recovery_reset":
        return (
            "two_step_disabled",
            "warning",
            "Two-step verification was turned off by the recovery of your "
            "account: turn it on again now.",
        )
    if isinstance(event, BlockList.BlockOverridden):
        return (
            "block_overridden",
            "warning",
            f"The platform lifted your block of {event.buyer}: {event.reason}",
        )
    if isinstance(event, SellerAccount.BlockingAccessRevoked):
        return (
            "blocking_access_revoked",
            "critical",
            f"The platform revoked your right to block buyers: {event.reason}",
        )
    if isinstance(event, SellerAccount.BlockingAccessGranted):
        return (
            "blocking_access_granted",
            "info",
            f"The platform restored your right to block buyers: {event.reason}",
        )
    if isinstance(event, SellerAccount.SubAccountPolicySet):
        now = "now" if event.sub_accounts_require_two_step else "no longer"
        return (
            "sub_account_policy_changed",
            "info",
            f"Two-step verification is {now} required of every sub-account.",
        )
    if isinstance(event, SellerAccount.InactivityNoticed | SellerAccount.StoreClosed):
        return _inactivity_alert(event)
    passkey = _passkey_alert(event)
    if passkey is not None:
        return passkey
    return FIXED_ALERTS.get(type(event))


def _guessing_alert(event: Any) -> tuple[str, str, str] | None:
    if isinstance(event, guessing.PasswordGuessingThrottled):
        return (
            "password_guessing",
            "high",
            "Many wrong passwords were tried on your account from several "
            "addresses: sign-ins from devices you have not used before are "
            f"refused until {rfc3339(event.until)}. Your known devices still "
            "get in. Consider changing your password.",
        )
    if isinstance(event, guessing.SecondStepFailed) and event.alert:
        return (
            "second_step_failed",
            "high",
            f"Someone entered your password from {event.ip} but failed the "
            "second step: they know your password. Change it now.",
        )
    if isinstance(event, guessing.SessionCheckFailed) and event.revoked:
        return (
            "session_guessing",
            "high",
            "Five wrong passwords or codes in a row were entered in one of your "
            "sessions; that session was ended. If it was not you, change your "
            "password and review your sessions.",
        )
    return None


def _passkey_alert(event: Any) -> tuple[str, str, str] | None:
    if isinstance(event, PasskeyAdded):
        return (
            "passkey_added",
            "warning",
            f'The passkey "{event.name}" was added: it can sign in to the account.',
        )
    if isinstance(event, PasskeyRenamed):
        return ("passkey_renamed", "info", f'A passkey was renamed "{event.name}".')
    if isinstance(event, PasskeyRemoved):
        by = (
            "by the recovery of the account" if event.reason == "recovery_reset" else ""
        )
        return (
            "passkey_removed",
            "warning",
            f'The passkey "{event.name}" was removed{" " + by if by else ""}; '
            "other sessions ended.",
        )
    if isinstance(event, PasskeyCloneSuspected):
        return (
            "passkey_clone_suspected",
            "critical",
            f'A sign-in from {event.ip} with the passkey "{event.name}" was '
            "refused: its signature counter went backwards, as when the key "
            "was copied. Remove that passkey and register a new one.",
        )
    return None


def _inactivity_alert(event: Any) -> tuple[str, str, str]:
    if isinstance(event, SellerAccount.StoreClosed):
        return (
            "store_closed",
            "critical",
            "Nobody signed in to or worked in the store for 60 days: under the "
            "marketplace's inactivity policy it is now closed for good.",
        )
    closing = event.closes_at.astimezone(UTC).strftime("%Y-%m-%d")
    days = int(event.stage)
    return (
        "store_inactive",
        "warning" if days < 50 else "critical",
        f"Nobody has signed in to or worked in the store for {days} days. It will "
        f"be closed for good on {closing} unless you or a sub-account signs in "
        "before then.",
    )


def _sub_account_alert(event: Any, username: str) -> tuple[str, str, str] | None:
    who = f"Sub-account {username}"
    if isinstance(event, SubAccount.Created):
        return (
            "sub_account_created",
            "info",
            f"Sub-account {event.username} was created as {event.role}.",
        )
    if isinstance(event, SubAccount.RoleChanged):
        return (
            "sub_account_role_changed",
            "info",
            f"{who} changed role from {event.previous_role} to {event.role}.",
        )
    if isinstance(event, SubAccount.Deactivated):
        return ("sub_account_deactivated", "info", f"{who} was deactivated.")
    if isinstance(event, SubAccount.InvitationAccepted):
        return (
            "sub_account_joined",
            "info",
            f"{who} accepted the invitation and chose a password.",
        )
    if isinstance(event, SubAccount.DormancyFlagged):
        return (
            "sub_account_dormant",
            "warning",
            f"{who} has not signed in for 30 days: review whether it is still needed.",
        )
    return None


RISK_ALERTS = {
    "order": ("risk_order_flagged", "order", "cancel it without penalty, or keep it"),
    "refund": (
        "risk_refund_flagged",
        "refund",
        "reject it without penalty, or accept it",
    ),
}


def _risk_alert(event: Any) -> tuple[str, str, str] | None:
    """Flagged orders and refunds wait for the shop; other flags only inform."""
    if event.verdict != "high_risk":
        return None
    what = event.category.replace("_", " ")
    if event.subject_kind in RISK_ALERTS:
        kind, noun, choice = RISK_ALERTS[event.subject_kind]
        return (
            kind,
            "warning",
            f"The platform flagged {noun} {event.subject_id} as a risk "
            f"({what}): {choice} in the Security Center.",
        )
    return (
        "risk_activity_flagged",
        "warning",
        f"The platform flagged a {event.subject_kind.replace('_', ' ')} "
        f"({event.subject_id}) as a risk ({what}).",
    )


FIXED_ALERTS: dict[type, tuple[str, str, str]] = {
    events.PasswordChanged: ("password_changed", "info", "The password was changed."),
    events.TwoStepEnabled: (
        "two_step_enabled",
        "info",
        "Two-step verification was turned on.",
    ),
    events.TwoStepDisabled: (
        "two_step_disabled",
        "warning",
        "Two-step verification was turned off.",
    ),
    SellerAccount.Frozen: (
        "account_frozen",
        "critical",
        "The account was frozen; every session ended.",
    ),
    SellerAccount.Unfrozen: ("account_restored", "info", "The account was restored."),
    RecoveryCodesRegenerated: (
        "recovery_codes_regenerated",
        "info",
        "New recovery codes were issued; the old ones no longer work.",
    ),
}
