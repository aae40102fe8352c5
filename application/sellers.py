"""Use cases of a seller's main account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.credentials import Credentials
from application.ledger import Ledger
from application.ports import Clock
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from domain.password_policy import PasswordContext
from domain.seller_account import SellerAccount
from domain.username import Username
from domain.username_index import UsernameIndex


class SellerError(SellerGuardError):
    """Base of the seller use cases' errors; never raised directly."""


class UsernameTakenError(SellerError):
    """Another account already has this login name, in any letter case."""

    code = "username_taken"


@dataclass(frozen=True)
class AccountView:
    """What an account looks like to its owner."""

    id: UUID
    kind: str
    username: str
    email: str
    status: str
    two_step_enabled: bool
    role: str | None
    seller_id: UUID | None
    created_at: datetime
    version: int
    position: int = 0


def account_view(account: Any, position: int = 0) -> AccountView:
    """The owner's view of an account a person signs in to."""
    return AccountView(
        id=account.id,
        kind=account.principal_kind,
        username=account.username,
        email=account.email,
        status=account.status.value,
        two_step_enabled=account.two_step_enabled,
        role=getattr(account, "role", None),
        seller_id=getattr(account, "seller_id", account.id),
        created_at=account.created_on,
        version=account.version,
        position=position,
    )


class Sellers:
    """Registration of sellers and the use cases of their main account."""

    def __init__(
        self,
        ledger: Ledger,
        credentials: Credentials,
        clock: Clock,
        index_namespace: UUID,
    ) -> None:
        self.ledger = ledger
        self.credentials = credentials
        self.clock = clock
        self.index_namespace = index_namespace

    def register(
        self,
        username: str,
        email: str,
        password: str,
        birth_date: date | None,
        actor: Actor,
    ) -> AccountView:
        """Open a seller account; its login name is claimed in the same commit."""
        name = Username(username)
        if self.ledger.exists(name.index_id(self.index_namespace)):
            raise UsernameTakenError(username)
        password_hash = self.credentials.hash_new_password(
            password, PasswordContext(username, email, birth_date)
        )
        at = self.clock.now()
        account = SellerAccount.register(
            name, email, password_hash, birth_date, actor, at
        )
        claim = UsernameIndex.claim(
            name,
            self.index_namespace,
            account.id,
            ActorKind.SELLER.value,
            actor,
            at,
        )
        try:
            recordings = self.ledger.save(account, claim)
        except IntegrityError:
            # Someone claimed the name between our check and our commit.
            raise UsernameTakenError(username) from None
        position = max(r.notification.id for r in recordings)
        return account_view(account, position)
