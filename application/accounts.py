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
    try:
        found = ledger.peek(UUID(str(account_id)), SignInAccount)
    except ValueError:  # not an id: a service, the system
        return None
    return None if found is None else found.username


class KnownNames:
    """Login names by account id, each looked up in the store once.

    A page of the history names the same few people again and again; since
    a login name never changes (and an id that is no account never becomes
    one), each id is looked up with :func:`username_of` the first time it
    is asked for only. A record that does not open leaves the name unknown
    (``None``) and is asked again next time: a name is never worth an error.
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
        for account_id in wanted - known.keys():
            known[account_id] = self._look_up(account_id)
        return known

    def _look_up(self, account_id: str) -> str | None:
        try:
            name = username_of(self.ledger, account_id)
        except Exception as error:
            logger.warning(
                "no login name for %s: its record does not open (%s)",
                account_id,
                type(error).__name__,
            )
            return None
        with self._lock:
            if len(self._names) >= self.size:
                self._names.clear()
            self._names[account_id] = name
        return name
