"""Login names: unique across every kind of account, in any letter case."""

from __future__ import annotations

from collections.abc import Callable
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
        """The account that has this login name, if any: to read, not to command.

        It may be the ledger's cached object (no copy: copying an account with
        its device tokens was a quarter of a sign-in's CPU); commands go
        through ``Ledger.update``, which loads a copy of its own.
        """
        try:
            index_id = Username(username).index_id(self.namespace)
        except SellerGuardError:
            return None
        index = self.ledger.peek(index_id, UsernameIndex)
        if index is None:
            return None
        return self.ledger.peek(index.account_id, SignInAccount)

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
        again on fresh state. A claim that exists for this very account (an
        earlier attempt of the request landed meanwhile) is no conflict: that
        account is the answer.
        """
        built: list[N] = []

        def run(changes: Changes) -> N:
            account = changes.add(build(changes))
            built.append(account)
            changes.claim(
                UsernameIndex.claim(
                    name, self.namespace, account.id, account.principal_kind, actor, at
                )
            )
            return account

        try:
            return self.ledger.commit(run)
        except ClaimTakenError as taken:
            index = self.ledger.find(taken.claim_id, UsernameIndex)
            mine = built[-1]
            if index is not None and index.account_id == mine.id:
                landed = self.ledger.created_before(mine.id, type(mine))
                if landed is not None:
                    return landed
            raise UsernameTakenError(name.value) from None
