"""A seller's employees: sub-accounts with marketplace roles."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from application.accounts import AccountView, account_view
from application.credentials import Credentials
from application.invitations import InvitationLinks, invite
from application.ledger import Changes
from application.login_names import LoginNames
from application.ports import Clock
from application.principals import Principal
from domain.actor import Actor, ActorKind
from domain.password_policy import PasswordContext
from domain.roles import Role
from domain.seller_account import SellerAccount
from domain.sub_account import SubAccount, SubAccountNotFoundError

RESET_BY_OWNER = "reset_by_owner"


class SubAccounts:
    """The seller's management of their employees' accounts."""

    def __init__(
        self,
        names: LoginNames,
        credentials: Credentials,
        clock: Clock,
        links: InvitationLinks,
    ) -> None:
        self.names = names
        self.ledger = names.ledger
        self.credentials = credentials
        self.clock = clock
        self.links = links

    def create(
        self,
        seller: Principal,
        username: str,
        email: str,
        role: Role,
        password: str | None,
        actor: Actor,
        account_id: UUID | None = None,
    ) -> AccountView:
        """Create an employee's account; its name is claimed in the same commit.

        Without a password the employee is invited: a one-time link (72
        hours) to set their own is mailed to their address. ``account_id``:
        as in :meth:`Sellers.register` (a retry finds what it created).
        """
        earlier = self.names.ledger.created_before(account_id, SubAccount)
        if earlier is not None and earlier.result.employer_id == seller.id:
            return account_view(*earlier)
        name = self.names.free(username)
        password_hash = (
            self.credentials.hash_new_password(
                password, PasswordContext(username, email)
            )
            if password is not None
            else self.credentials.hasher.hash(secrets.token_urlsafe(32))
        )
        at = self.clock.now()

        def build(changes: Changes) -> SubAccount:
            shop = changes.load(seller.id, SellerAccount)
            account = SubAccount.create(
                seller.id, name, email, role, password_hash, actor, at, account_id
            )
            if password is None:
                invite(account, self.links, "created", actor, at)
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

    def resend_invitation(
        self, seller: Principal, sub_account_id: UUID, actor: Actor
    ) -> AccountView:
        """Mail a new link; the one sent before stops working."""
        return self._update(
            seller,
            sub_account_id,
            None,
            lambda a, at: invite(a, self.links, "resent", actor, at),
        )

    def revoke_invitation(
        self, seller: Principal, sub_account_id: UUID, actor: Actor
    ) -> AccountView:
        """Withdraw the waiting invitation; its link stops working."""
        return self._update(
            seller, sub_account_id, None, lambda a, at: a.revoke_invitation(actor, at)
        )

    def reset_password(
        self, seller: Principal, sub_account_id: UUID, actor: Actor
    ) -> AccountView:
        """The employee sets a new password with a new invitation; until then
        the old one no longer signs in, and every session ends now."""
        return self._update(
            seller,
            sub_account_id,
            None,
            lambda a, at: invite(a, self.links, "password_reset", actor, at),
        )

    def reset_two_step(
        self, seller: Principal, sub_account_id: UUID, actor: Actor
    ) -> AccountView:
        """Clear the employee's two-step and passkeys (a lost phone); every
        session ends and the employee is told by mail."""
        return self._update(
            seller,
            sub_account_id,
            None,
            lambda a, at: a.clear_second_step(RESET_BY_OWNER, actor, at),
        )

    def set_policies(
        self, seller: Principal, require_two_step: bool, actor: Actor
    ) -> bool:
        """Require (or not) two-step verification of the shop's employees."""
        at = self.clock.now()
        self.ledger.update(
            seller.id,
            SellerAccount,
            lambda shop: shop.set_sub_account_policy(require_two_step, actor, at),
        )
        return require_two_step

    def policies(self, seller: Principal) -> bool:
        """Whether the shop requires two-step verification of its employees."""
        return self.ledger.load(seller.id, SellerAccount).sub_accounts_require_two_step

    def two_step_missing(self, principal: Principal) -> bool:
        """An employee without two-step in a shop that requires it."""
        if principal.kind is not ActorKind.SUB_ACCOUNT or principal.two_step_enabled:
            return False
        shop = (
            self.ledger.peek(principal.seller_id, SellerAccount)
            if (principal.seller_id)
            else None
        )
        return shop is not None and shop.sub_accounts_require_two_step

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
        command: Callable[[SubAccount, datetime], object],
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
