"""Registration of sellers: a shop's main account."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from application.accounts import AccountView, account_view
from application.credentials import Credentials
from application.login_names import LoginNames
from application.ports import Clock
from domain.actor import Actor
from domain.password_policy import PasswordContext
from domain.seller_account import SellerAccount


class Sellers:
    """The registration of sellers."""

    def __init__(
        self, names: LoginNames, credentials: Credentials, clock: Clock
    ) -> None:
        self.names = names
        self.credentials = credentials
        self.clock = clock

    def register(
        self,
        username: str,
        email: str,
        password: str,
        birth_date: date | None,
        actor: Actor,
        account_id: UUID | None = None,
    ) -> AccountView:
        """Open a seller account; its login name is claimed in the same commit.

        ``account_id``: the id a retried request gives its account (derived
        from its Idempotency-Key); when an earlier attempt created it, that
        account is the answer, not ``username_taken``.
        """
        earlier = self.names.ledger.created_before(account_id, SellerAccount)
        if earlier is not None:
            return account_view(*earlier)
        name = self.names.free(username)
        password_hash = self.credentials.hash_new_password(
            password, PasswordContext(username, email, birth_date)
        )
        at = self.clock.now()
        account, position = self.names.save_new(
            name,
            lambda _: SellerAccount.register(
                name, email, password_hash, birth_date, actor, at, account_id
            ),
            actor,
            at,
        )
        return account_view(account, position)
