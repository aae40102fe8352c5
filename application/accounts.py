"""The owner's view of an account a person signs in to, and its login name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ledger import Ledger
from domain.sign_in import SignInAccount


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
