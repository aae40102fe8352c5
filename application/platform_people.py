"""Accounts created by operators: staff members and other services' keys."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

from application.credentials import Credentials
from application.login_names import LoginNames
from application.ports import Clock
from application.principals import BearerToken
from domain.actor import Actor
from domain.password_policy import PasswordContext
from domain.roles import StaffRole
from domain.service_key import ServiceKey
from domain.staff_account import StaffAccount


@dataclass(frozen=True)
class NewServiceKey:
    """A created key: its id, and its secret value, shown this once."""

    id: UUID
    value: str


class PlatformPeople:
    """What operators do from the command line."""

    def __init__(
        self, names: LoginNames, credentials: Credentials, clock: Clock
    ) -> None:
        self.names = names
        self.ledger = names.ledger
        self.credentials = credentials
        self.clock = clock

    def create_staff(
        self, username: str, email: str, role: StaffRole, password: str, actor: Actor
    ) -> UUID:
        """Create a staff account; privileged once its two-step is on."""
        name = self.names.free(username)
        password_hash = self.credentials.hash_new_password(
            password, PasswordContext(username, email)
        )
        at = self.clock.now()
        account = self.names.save_new(
            name,
            lambda _: StaffAccount.create(name, email, role, password_hash, actor, at),
            actor,
            at,
        ).result
        return account.id

    def create_service_key(
        self, name: str, scopes: list[str], actor: Actor
    ) -> NewServiceKey:
        """Create a key for another service; only its hash is kept."""
        token = BearerToken.mint_service_key(uuid4())
        key = ServiceKey.create(
            token.owner_id, name, scopes, token.hash, actor, self.clock.now()
        )
        self.ledger.save(key)
        return NewServiceKey(key.id, token.value)
