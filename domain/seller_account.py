"""A shop's main account: the seller who owns the shop."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import uuid4

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.username import Username


class AccountStatus(StrEnum):
    """Where an account stands."""

    ACTIVE = "active"
    FROZEN = "frozen"
    DEACTIVATED = "deactivated"
    CLOSED = "closed"


class SellerAccountError(Exception):
    """Base of this module's errors; never raised directly."""


class SellerAccount(Recorded):
    """A seller's main account; it holds a password hash, never a password."""

    TOPIC = "sellerguard:SellerAccount"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:SellerAccount.Event"

    class Registered(Event, Recorded.Created):
        """A seller registered the account."""

        TOPIC = "sellerguard:SellerAccount.Registered"
        username: str
        email: str
        password_hash: str
        birth_date: date | None

    def __init__(
        self, username: str, email: str, password_hash: str, birth_date: date | None
    ) -> None:
        self.username = username
        self.email = email
        self.password_hash = password_hash
        self.birth_date = birth_date
        self._status = AccountStatus.ACTIVE.value
        self.two_step_enabled = False

    @classmethod
    def register(
        cls,
        username: Username,
        email: str,
        password_hash: str,
        birth_date: date | None,
        actor: Actor,
        at: datetime,
    ) -> SellerAccount:
        """Open a new seller account with an already hashed password."""
        return cls._create(
            cls.Registered,
            id=uuid4(),
            username=username.value,
            email=email,
            password_hash=password_hash,
            birth_date=birth_date,
            actor=actor,
            timestamp=at,
        )

    @property
    def status(self) -> AccountStatus:
        """Whether the account is active, frozen, deactivated or closed."""
        return AccountStatus(self._status)
