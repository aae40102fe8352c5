"""The owner's view of an account a person signs in to, and its login name."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ledger import Ledger
from domain.sign_in import SignInAccount

logger = logging.getLogger(__name__)

NAME_CACHE_SIZE = 100_000


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
    return usernames_of(ledger, [str(account_id)]).get(str(account_id))


def usernames_of(ledger: Ledger, account_ids: Iterable[str]) -> dict[str, str | None]:
    """The login name of each id (``None`` where it is no person's account).

    A login name is set when the account is created and never changes, so
    the accounts' first events say it: one query of the store for them all.
    """
    ids: dict[str, UUID | None] = {}
    for account_id in account_ids:
        try:
            ids[account_id] = UUID(account_id)
        except ValueError:  # not an id: a service, the system
            ids[account_id] = None
    uuids = [i for i in ids.values() if i is not None]
    created = ledger.histories(uuids, SignInAccount, up_to_version=1)
    names = {h.aggregate.id: h.aggregate.username for h in created}
    return {a: None if i is None else names.get(i) for a, i in ids.items()}


class KnownNames:
    """Login names by account id, each looked up in the store once.

    A page of the history names the same people again and again, and up to
    500 different ones: the ids not known yet are looked up together
    (:func:`usernames_of`, one query), then kept, since a login name never
    changes and an id that is no account never becomes one. Where a record
    does not open, each id is tried alone, and those that fail stay unknown
    (``None``) and are asked again next time: a name is never worth an error.
    """

    def __init__(self, ledger: Ledger, size: int = NAME_CACHE_SIZE) -> None:
        self.ledger = ledger
        self.size = size
        self._names: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def of(self, account_ids: Iterable[str]) -> dict[str, str | None]:
        """The login name of each id (``None`` where it is no known account)."""
        wanted = set(account_ids)
        known = {i: self._names[i] for i in wanted if i in self._names}
        missing = wanted - known.keys()
        if missing:
            found = self._look_up(missing)
            self._keep(found)
            known |= found
        return {i: known.get(i) for i in wanted}

    def _look_up(self, account_ids: set[str]) -> dict[str, str | None]:
        try:
            return usernames_of(self.ledger, account_ids)
        except Exception:
            found: dict[str, str | None] = {}
            for account_id in account_ids:
                try:
                    found |= usernames_of(self.ledger, [account_id])
                except Exception as error:
                    logger.warning(
                        "no login name for %s: its record does not open (%s)",
                        account_id,
                        type(error).__name__,
                    )
            return found

    def _keep(self, found: dict[str, str | None]) -> None:
        with self._lock:
            if len(self._names) + len(found) > self.size:
                self._names.clear()
            self._names.update(found)
