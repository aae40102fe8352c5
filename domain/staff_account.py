"""The platform's own people: support agents, auditors, platform admins."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from domain.actor import Actor
from domain.roles import StaffRole
from domain.sign_in import SignInAccount
from domain.username import Username


class StaffAccount(SignInAccount):
    """A platform staff member; privileged only once two-step is on."""

    TOPIC = "sellerguard:StaffAccount"
    principal_kind = "staff"

    class Event(SignInAccount.Event):
        TOPIC = "sellerguard:StaffAccount.Event"

    class Created(Event, SignInAccount.Created):
        """An operator created the staff account from the command line."""

        TOPIC = "sellerguard:StaffAccount.Created"
        username: str
        email: str
        role: str
        password_hash: str

    def __init__(
        self, username: str, email: str, role: str, password_hash: str
    ) -> None:
        self.username = username
        self.email = email
        self._role = role
        self._init_sign_in(password_hash)

    @classmethod
    def create(
        cls,
        username: Username,
        email: str,
        role: StaffRole,
        password_hash: str,
        actor: Actor,
        at: datetime,
    ) -> StaffAccount:
        """Create a staff account."""
        return cls._create(
            cls.Created,
            id=uuid4(),
            username=username.value,
            email=email,
            role=role.value,
            password_hash=password_hash,
            actor=actor,
            timestamp=at,
        )

    @property
    def role(self) -> StaffRole:
        """What the staff member does on the platform."""
        return StaffRole(self._role)
