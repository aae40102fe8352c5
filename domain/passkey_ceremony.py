"""A WebAuthn ceremony's challenge: issued once, answered once, for 5 minutes.

Each ceremony is an aggregate of its own in the one store, so any worker can
finish a ceremony another began, and spending it is a new version that only
one concurrent answer can record.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

CEREMONY_LIFETIME = timedelta(minutes=5)


class CeremonyPurpose(StrEnum):
    """What the signed challenge is for."""

    REGISTRATION = "registration"
    SIGN_IN = "sign_in"
    REAUTHENTICATION = "reauthentication"  # a signed-in person's step-up


class CeremonyError(SellerGuardError):
    """Base of the ceremonies' errors; never raised directly."""


class CeremonyNotLiveError(CeremonyError):
    """The challenge is unknown, spent, expired, for another purpose or of
    another account."""

    code = "passkey_rejected"


class PasskeyCeremony(Recorded):
    """One challenge a browser is asked to sign with a passkey."""

    TOPIC = "sellerguard:PasskeyCeremony"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:PasskeyCeremony.Event"

    class Started(Event, Recorded.Created):
        """A challenge was issued; ``account_id`` is None when the person is
        not yet known (a passwordless sign-in without a username)."""

        TOPIC = "sellerguard:PasskeyCeremony.Started"
        purpose: str
        account_id: UUID | None
        challenge: str
        expires_at: datetime

    class Spent(Event):
        """The challenge was answered (well or not): it never counts again."""

        TOPIC = "sellerguard:PasskeyCeremony.Spent"
        outcome: str

        def apply(self, ceremony: PasskeyCeremony) -> None:
            ceremony.spent = True

    def __init__(
        self,
        purpose: str,
        account_id: UUID | None,
        challenge: str,
        expires_at: datetime,
    ) -> None:
        self.purpose = purpose
        self.account_id = account_id
        self.challenge = challenge
        self.expires_at = expires_at
        self.spent = False

    @classmethod
    def start(
        cls,
        purpose: CeremonyPurpose,
        account_id: UUID | None,
        challenge: str,
        actor: Actor,
        at: datetime,
    ) -> PasskeyCeremony:
        """Issue a challenge (base64url) for a purpose, valid 5 minutes."""
        return cls._create(
            cls.Started,
            id=uuid4(),
            purpose=purpose.value,
            account_id=account_id,
            challenge=challenge,
            expires_at=at + CEREMONY_LIFETIME,
            actor=actor,
            timestamp=at,
        )

    def is_live(self, at: datetime) -> bool:
        """Whether the challenge may still be answered."""
        return not self.spent and at < self.expires_at

    def spend(
        self,
        purpose: CeremonyPurpose,
        account_id: UUID | None,
        actor: Actor,
        at: datetime,
    ) -> str:
        """Answer the challenge once; returns it. CeremonyNotLiveError when it
        is spent, expired, for another purpose, or (given ``account_id``)
        issued to another account."""
        if (
            not self.is_live(at)
            or self.purpose != purpose.value
            or (account_id is not None and self.account_id != account_id)
        ):
            raise CeremonyNotLiveError(str(self.id))
        self._record(self.Spent, actor, at, outcome="answered")
        return self.challenge
