"""What every account has in common: a unique login name and the owner's view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from application.ledger import Changes, ClaimTakenError, Ledger, Saved
from domain.actor import Actor
from domain.errors import SellerGuardError
from domain.sign_in import SignInAccount
from domain.username import Username
from domain.username_index import UsernameIndex

N = TypeVar("N", bound=SignInAccount)


class UsernameTakenError(SellerGuardError):
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
    last_active_at: datetime | None = None
    recovery_codes_left: int | None = None


def account_view(account: SignInAccount, position: int = 0) -> AccountView:
    """The owner's view of an account a person signs in to."""
    role = account.role
    return AccountView(
        id=account.id,
        kind=account.principal_kind,
        username=account.username,
        email=account.email,
        status=account.status.value,
        two_step_enabled=account.two_step_enabled,
        role=None if role is None else str(role),
        seller_id=account.employer_id or account.id,
        created_at=account.created_on,
        version=account.version,
        position=position,
        last_active_at=account.last_active_at,
        recovery_codes_left=(
            len(account.recovery_code_hashes) if account.two_step_enabled else None
        ),
    )


def username_of(ledger: Ledger, account_id: UUID | str | None) -> str | None:
    """The login name of a person's account (names never change), or None."""
    try:
        found = ledger.peek(UUID(str(account_id)), SignInAccount)
    except ValueError:  # not an id: a service, the system
        return None
    return None if found is None else found.username


class LoginNames:
    """Login names are unique across every kind of account, in any letter case."""

    def __init__(self, ledger: Ledger, namespace: UUID) -> None:
        self.ledger = ledger
        self.namespace = namespace

    def free(self, username: str) -> Username:
        """The name, if nobody has it yet (checked again when saving)."""
        name = Username(username)
        if self.ledger.exists(name.index_id(self.namespace)):
            raise UsernameTakenError(username)
        return name

    def account_named(self, username: str) -> SignInAccount | None:
        """The account that has this login name, if any."""
        try:
            index_id = Username(username).index_id(self.namespace)
        except SellerGuardError:
            return None
        index = self.ledger.find(index_id, UsernameIndex)
        if index is None:
            return None
        return self.ledger.find(index.account_id, SignInAccount)

    def save_new(
        self,
        name: Username,
        build: Callable[[Changes], N],
        actor: Actor,
        at: datetime,
    ) -> Saved[N]:
        """Save a new account with its name's claim, all in one commit.

        ``build`` makes the new account (and commands what else the commit
        changes, loaded through the :class:`Changes` it is given). Only a
        claim that exists is ``username_taken``; any other conflict (the
        seller's own aggregate changed by a concurrent commit) runs ``build``
        again on fresh state.
        """

        def run(changes: Changes) -> N:
            account = changes.add(build(changes))
            changes.claim(
                UsernameIndex.claim(
                    name, self.namespace, account.id, account.principal_kind, actor, at
                )
            )
            return account

        try:
            return self.ledger.commit(run)
        except ClaimTakenError:
            raise UsernameTakenError(name.value) from None
