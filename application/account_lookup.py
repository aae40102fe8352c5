"""Finding an account by its login name or e-mail address, for staff.

A support agent on the phone with a locked-out owner has a name or an
address, never an id. Names are found through the unique-name index (any
letter case, as sign-in matches them); addresses through a read model keyed
by a keyed hash of the address, so the database holds no address in clear
and cannot be searched without the key. Every lookup is recorded on the
looker's trail (the question, never the answer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.audit import Audit
from application.login_names import LoginNames
from application.read_models import Change, Put, ReadModels, ViewStore
from domain.actor import Actor
from domain.seller_account import SellerAccount
from domain.sign_in import SignInAccount
from domain.staff_account import StaffAccount
from domain.sub_account import SubAccount

ACCOUNTS_BY_EMAIL = "accounts_by_email"
MAX_MATCHES = 500


@dataclass(frozen=True)
class AccountSummary:
    """An account as staff find it: who, what kind, in what state."""

    id: UUID
    kind: str
    username: str
    email: str
    status: str
    seller_id: UUID | None
    created_at: datetime


def summary_of(account: SignInAccount) -> AccountSummary:
    """What staff see of an account they looked up."""
    return AccountSummary(
        id=account.id,
        kind=account.principal_kind,
        username=account.username,
        email=account.email,
        status=account.status.value,
        seller_id=account.employer_id or account.id,
        created_at=account.created_on,
    )


def normalised_email(email: str) -> str:
    """Addresses match whatever their letter case (as mail systems treat them)."""
    return email.strip().lower()


class AccountDirectory:
    """The read model of accounts by e-mail address (keyed hash, never in clear)."""

    name = "account_directory"
    views = (ACCOUNTS_BY_EMAIL,)
    topics = (
        SellerAccount.Registered.TOPIC,
        SubAccount.Created.TOPIC,
        StaffAccount.Created.TOPIC,
    )

    def __init__(self, email_key: Callable[[str], str]) -> None:
        self.email_key = email_key

    def changes(self, event: Any, position: int) -> list[Change]:
        key = self.email_key(normalised_email(event.email))
        return [Put(ACCOUNTS_BY_EMAIL, key, str(event.originator_id), {})]


class AccountLookup:
    """Staff find accounts by exact name or address; each look is recorded."""

    def __init__(
        self,
        names: LoginNames,
        views: ViewStore,
        read_models: ReadModels,
        directory: AccountDirectory,
        audit: Audit,
    ) -> None:
        self.names = names
        self.ledger = names.ledger
        self.views = views
        self.read_models = read_models
        self.directory = directory
        self.audit = audit

    def by_username(
        self, reader: Actor, username: str, *, staff_too: bool = False
    ) -> list[AccountSummary]:
        """The account with this login name (any letter case), if there is one.

        Staff accounts only for ``staff_too`` (auditors): agents help shops.
        """
        self.audit.record_read(reader, "account_lookup", {"username": username})
        account = self.names.account_named(username)
        return _shown([] if account is None else [account], staff_too)

    def by_email(
        self, reader: Actor, email: str, *, staff_too: bool = False
    ) -> list[AccountSummary]:
        """Every account registered with this address (any letter case)."""
        self.audit.record_read(reader, "account_lookup", {"email": email})
        self.read_models.ensure_current()
        key = self.directory.email_key(normalised_email(email))
        items = self.views.items(ACCOUNTS_BY_EMAIL, key, limit=MAX_MATCHES)
        found = (self.ledger.find(UUID(i.item_id), SignInAccount) for i in items)
        return _shown([a for a in found if a is not None], staff_too)


def _shown(accounts: list[SignInAccount], staff_too: bool) -> list[AccountSummary]:
    kept = [a for a in accounts if staff_too or not isinstance(a, StaffAccount)]
    return sorted(map(summary_of, kept), key=lambda a: (a.created_at, str(a.id)))
