"""A seller's employees: sub-accounts with marketplace roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.accounts import AccountView, LoginNames, account_view
from application.credentials import Credentials
from application.ledger import Changes
from application.ports import Clock
from application.principals import Principal
from domain.actor import Actor
from domain.password_policy import PasswordContext
from domain.roles import Role
from domain.seller_account import SellerAccount
from domain.sub_account import SubAccount, SubAccountNotFoundError


class SubAccounts:
    """The seller's management of their employees' accounts."""

    def __init__(
        self, names: LoginNames, credentials: Credentials, clock: Clock
    ) -> None:
        self.names = names
        self.ledger = names.ledger
        self.credentials = credentials
        self.clock = clock

    def create(
        self,
        seller: Principal,
        username: str,
        email: str,
        role: Role,
        password: str,
        actor: Actor,
    ) -> AccountView:
        """Create an employee's account; its name is claimed in the same commit."""
        name = self.names.free(username)
        password_hash = self.credentials.hash_new_password(
            password, PasswordContext(username, email)
        )
        at = self.clock.now()

        def build(changes: Changes) -> SubAccount:
            shop = changes.load(seller.id, SellerAccount)
            account = SubAccount.create(
                seller.id, name, email, role, password_hash, actor, at
            )
            shop.add_sub_account(account.id, actor, at)
            return account

        account, position = self.names.save_new(name, build, actor, at)
        return account_view(account, position)

    def list(self, seller: Principal) -> list[AccountView]:
        """The shop's sub-accounts, oldest first."""
        shop = self.ledger.load(seller.id, SellerAccount)
        return [
            account_view(self.ledger.load(sub_id, SubAccount))
            for sub_id in shop.sub_account_ids
        ]

    def view(self, seller: Principal, sub_account_id: UUID) -> AccountView:
        """One of the shop's sub-accounts; another shop's is not found."""
        return account_view(self._own(seller, sub_account_id))

    def change_role(
        self,
        seller: Principal,
        sub_account_id: UUID,
        role: Role,
        actor: Actor,
        if_version: int | None = None,
    ) -> AccountView:
        """Give a sub-account another role."""
        return self._update(
            seller,
            sub_account_id,
            if_version,
            lambda a, at: a.change_role(role, actor, at),
        )

    def deactivate(
        self,
        seller: Principal,
        sub_account_id: UUID,
        reason: str,
        actor: Actor,
        if_version: int | None = None,
    ) -> AccountView:
        """Stop a sub-account signing in; its sessions end at once."""
        return self._update(
            seller,
            sub_account_id,
            if_version,
            lambda a, at: a.deactivate(reason, actor, at),
        )

    def reactivate(
        self,
        seller: Principal,
        sub_account_id: UUID,
        actor: Actor,
        if_version: int | None = None,
    ) -> AccountView:
        """Let a sub-account sign in again."""
        return self._update(
            seller, sub_account_id, if_version, lambda a, at: a.reactivate(actor, at)
        )

    def flag_dormant(self, seller_id: UUID, actor: Actor) -> int:
        """Flag the shop's sub-accounts nobody signed in to for 30 days."""
        now = self.clock.now()
        shop = self.ledger.find(seller_id, SellerAccount)
        flagged = 0
        for sub_id in shop.sub_account_ids if shop else []:
            account = self.ledger.load(sub_id, SubAccount)
            if account.is_dormant(now):
                self.ledger.update(
                    sub_id, SubAccount, lambda a: a.flag_dormancy(actor, now)
                )
                flagged += 1
        return flagged

    def _own(self, seller: Principal, sub_account_id: UUID) -> SubAccount:
        account = self.ledger.find(sub_account_id, SubAccount)
        if account is None or account.seller_id != seller.id:
            raise SubAccountNotFoundError(str(sub_account_id))
        return account

    def _update(
        self,
        seller: Principal,
        sub_account_id: UUID,
        if_version: int | None,
        command: Callable[[SubAccount, datetime], None],
    ) -> AccountView:
        self._own(seller, sub_account_id)
        at = self.clock.now()

        def run(account: SubAccount) -> SubAccount:
            command(account, at)
            return account

        account, position = self.ledger.update(
            sub_account_id, SubAccount, run, if_version
        )
        return account_view(account, position)
