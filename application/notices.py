"""What the system mails about an event, to whom, with which link.

A notice names its recipient by role (the case's contact address, or the
account's registered address) and its link by kind; addresses and tokens are
filled in only when the mail is sent, so neither is ever stored with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.passkeys import (
    PasskeyAdded,
    PasskeyCloneSuspected,
    PasskeyRemoved,
    PasskeyRenamed,
)
from domain.payout_account import (
    PayoutChangeCancelled,
    PayoutChangeRequested,
    PayoutChangeTookEffect,
)
from domain.recovery_case import RecoveryCase
from domain.sign_in_events import TwoStepDisabled
from domain.sub_account import SubAccount

CONTACT = "contact"
REGISTERED = "registered"
UPLOAD = "upload"
RESET = "reset"
OBJECTION = "objection"
INVITATION = "invitation"

OBJECT_IF_NOT_YOU = (
    "If you did not ask for this, object with the link below: the shop stays "
    "frozen, any reset link stops working, and an agent looks at the case first."
)


@dataclass(frozen=True)
class Notice:
    """One mail to send: recipient role, subject, text and the kind of link."""

    recipient: str
    subject: str
    body: str
    link: str | None = None
    link_subject: str | None = None  # which invitation a link opens (not secret)


Notices = Callable[[Any], list[Notice]]


def recovery_notices(event: Any) -> list[Notice]:
    """The mails a recovery case's event causes."""
    if isinstance(event, RecoveryCase.Opened):
        return [
            Notice(
                CONTACT,
                "Upload documents to recover your shop",
                "We froze your shop to protect it while we help you. Upload "
                "documents that prove you own it with this link, meant for you "
                "alone:",
                UPLOAD,
            ),
            Notice(
                REGISTERED,
                "A recovery case about your shop was opened",
                "Someone asked our support team to recover your shop, and we "
                "froze it to protect it. " + OBJECT_IF_NOT_YOU,
                OBJECTION,
            ),
        ]
    if isinstance(event, RecoveryCase.DocumentReceived):
        return [
            Notice(CONTACT, "We received your document", "A second agent reviews it.")
        ]
    if isinstance(event, RecoveryCase.Decided):
        return _decision_notices(event.decision == "approve")
    if isinstance(event, RecoveryCase.Objected):
        return _objection_notices()
    if isinstance(event, RecoveryCase.Closed):
        return _closing_notices(event.outcome)
    return []


def _decision_notices(approved: bool) -> list[Notice]:
    if approved:
        return [
            Notice(
                CONTACT,
                "Your recovery was approved",
                "Set a new password for your shop with this link. It works "
                "once, for 24 hours:",
                RESET,
            ),
            Notice(
                REGISTERED,
                "The recovery of your shop was approved",
                "Our support team approved the recovery of your shop: a link to "
                "set a new password was sent to the address given in the case. "
                + OBJECT_IF_NOT_YOU,
                OBJECTION,
            ),
        ]
    return [
        Notice(
            CONTACT,
            "We need more documents",
            "The documents did not prove ownership yet. Upload more with this link:",
            UPLOAD,
        ),
        Notice(
            REGISTERED,
            "The recovery of your shop was not approved",
            "Our support team did not approve the recovery of your shop yet; it "
            "stays frozen. " + OBJECT_IF_NOT_YOU,
            OBJECTION,
        ),
    ]


def _objection_notices() -> list[Notice]:
    return [
        Notice(
            CONTACT,
            "Your recovery case is on hold",
            "The shop's registered owner objected to the recovery. Any reset "
            "link sent before no longer works; an agent will contact you.",
        ),
        Notice(
            REGISTERED,
            "We received your objection",
            "Your shop stays frozen and any reset link is void. An agent looks "
            "at the case first and decides again only on new evidence.",
        ),
    ]


def _closing_notices(outcome: str) -> list[Notice]:
    if outcome != "credentials_reset":
        return [
            Notice(
                REGISTERED,
                "Your shop is active again",
                "Support closed the recovery case as a false alarm and restored "
                "your shop.",
            )
        ]
    turn_on = (
        "Two-step verification was turned off by the recovery: turn it on "
        "again in your security settings now."
    )
    return [
        Notice(
            CONTACT,
            "Your shop is active again",
            "Your new password is set and every old session has ended. " + turn_on,
        ),
        Notice(
            REGISTERED,
            "The recovery of your shop is complete",
            "The password of your shop was reset through a recovery case and "
            "every old session ended. " + turn_on + " If this was not you, "
            "contact support at once; the case itself is closed:",
            OBJECTION,
        ),
    ]


PAYOUT_TOPICS = (
    PayoutChangeRequested.TOPIC,
    PayoutChangeCancelled.TOPIC,
    PayoutChangeTookEffect.TOPIC,
)


def payout_notices(event: Any) -> list[Notice]:
    """The mails to the registered address about where the shop's money goes."""
    if isinstance(event, PayoutChangeRequested):
        return [
            Notice(
                REGISTERED,
                "Your shop's payout account is about to change",
                "Someone signed in to your shop asked to pay its balance into "
                f"the account ending in {event.account_number[-4:]} from "
                f"{event.effective_at:%Y-%m-%d %H:%M} UTC. If this was not you, "
                "cancel the change in your seller centre and contact support.",
            )
        ]
    if isinstance(event, PayoutChangeCancelled):
        return [
            Notice(
                REGISTERED,
                "The change of your payout account was cancelled",
                "Payouts keep going to your current account.",
            )
        ]
    if isinstance(event, PayoutChangeTookEffect):
        return [
            Notice(
                REGISTERED,
                "Your shop's payout account changed",
                "Payouts now go to the account you chose.",
            )
        ]
    return []


PASSKEY_TOPICS = (
    PasskeyAdded.TOPIC,
    PasskeyRenamed.TOPIC,
    PasskeyRemoved.TOPIC,
    PasskeyCloneSuspected.TOPIC,
)
NOT_YOU = (
    "If this was not you, someone is signed in to your account: change your "
    "password, remove passkeys you do not know and contact support."
)


def passkey_notices(event: Any) -> list[Notice]:
    """The mails to the registered address about the account's passkeys."""
    if isinstance(event, PasskeyAdded):
        return [
            Notice(
                REGISTERED,
                "A passkey was added to your account",
                f'The passkey "{event.name}" can now sign in to your account. '
                + NOT_YOU,
            )
        ]
    if isinstance(event, PasskeyRenamed):
        return [
            Notice(
                REGISTERED,
                "A passkey of your account was renamed",
                f'One of your passkeys is now called "{event.name}". ' + NOT_YOU,
            )
        ]
    if isinstance(event, PasskeyRemoved) and event.reason == "reset_by_owner":
        return [
            Notice(
                REGISTERED,
                "A passkey of yours was removed",
                "The shop's owner reset your two-step verification: the passkey "
                f'"{event.name}" no longer signs in and your sessions ended. '
                "Register a passkey again after you sign in. If you did not ask "
                "for this, tell the owner.",
            )
        ]
    if isinstance(event, PasskeyRemoved) and event.reason == "recovery_reset":
        return [
            Notice(
                REGISTERED,
                "A passkey was removed from your account",
                f'The recovery of your account removed the passkey "{event.name}"; '
                "register your passkeys again once you are signed in.",
            )
        ]
    if isinstance(event, PasskeyRemoved):
        return [
            Notice(
                REGISTERED,
                "A passkey was removed from your account",
                f'The passkey "{event.name}" no longer signs in to your '
                "account, and your other sessions ended. " + NOT_YOU,
            )
        ]
    if isinstance(event, PasskeyCloneSuspected):
        return [
            Notice(
                REGISTERED,
                "A copy of one of your passkeys may be in use",
                f'A sign-in with your passkey "{event.name}" was refused: its '
                "counter went backwards, as when the key was copied. Remove that "
                "passkey, register a new one and contact support.",
            )
        ]
    return []


INVITATION_TOPICS = (SubAccount.Invited.TOPIC, TwoStepDisabled.TOPIC)
NOT_FROM_THE_SHOP = (
    "Besides the shop's name, nothing the shop wrote is ever put in this mail, "
    "and we never ask for a password or a code by mail. If you do not work for "
    "{shop}, ignore it: the link expires unused."
)
INVITED_BECAUSE = {
    "created": (
        "You are invited to the seller centre of {name}",
        "The owner of {shop} created an account for you{as_role}. " + NOT_FROM_THE_SHOP,
        "Choose your password with this link, meant for you alone. It works "
        "once, for 72 hours:",
    ),
    "resent": (
        "Your invitation to the seller centre of {name}",
        "The owner of {shop} sent you a new invitation{as_role}; any link sent "
        "before no longer works. " + NOT_FROM_THE_SHOP,
        "Choose your password with this link, meant for you alone. It works "
        "once, for 72 hours:",
    ),
    "password_reset": (
        "Choose a new password for the seller centre of {name}",
        "The owner of {shop} reset your password: your old one no longer signs in "
        "and your sessions ended. " + NOT_FROM_THE_SHOP,
        "Choose a new one with this link. It works once, for 72 hours:",
    ),
}


@dataclass(frozen=True)
class Invitation:
    """What a mail to an employee may name: the shop's login name and the role.

    Nothing the inviter typed freely (the employee's name and address, a
    note) goes in: a shop could otherwise dress its mail as the platform's.
    A login name is short ASCII with no spaces, slashes or look-alike letters.
    """

    shop: str | None
    role: str | None


def invitation_notices(invitation_of: Callable[[Any], Invitation]) -> Notices:
    """The mails to an employee about their invitation or a reset by the
    owner, naming the shop and the role (``invitation_of`` finds them)."""

    def notices(event: Any) -> list[Notice]:
        if isinstance(event, SubAccount.Invited):
            words = _invitation_words(invitation_of(event))
            subject, lead, ask = (
                text.format(**words)
                for text in INVITED_BECAUSE.get(event.reason, INVITED_BECAUSE["resent"])
            )
            body = f"{lead}\n\n{ask}"
            return [Notice(REGISTERED, subject, body, INVITATION, event.invitation_id)]
        if isinstance(event, TwoStepDisabled) and event.reason == "reset_by_owner":
            words = _invitation_words(invitation_of(event))
            return [
                Notice(
                    REGISTERED,
                    "Your two-step verification for {name} was reset".format(**words),
                    "The owner of {shop} reset your two-step verification and your "
                    "sessions ended. Set it up again with your authenticator app "
                    "after you sign in. If you did not ask for this, tell the "
                    "owner.".format(**words),
                )
            ]
        return []

    return notices


def _invitation_words(invitation: Invitation) -> dict[str, str]:
    """The words the mail's sentences are made of (never free text)."""
    role = invitation.role
    shop = invitation.shop
    return {
        "shop": f'the shop "{shop}"' if shop else "the shop",
        "name": f'"{shop}"' if shop else "your employer",
        "as_role": f" as {role.replace('_', ' ')}" if role else "",
    }
