"""Who works on the platform and which services call it, for platform admins.

Staff accounts and service keys are created at the command line and never
listed anywhere else: an admin who wants to know who can act on shops, or
which services hold keys, reads these lists. A read model keeps the ids in
the order they were created (a new projection catches up from position zero,
so a store made before it is listed whole); each entry is read from its
aggregate, so a role, a second step or a revocation shows as it is now.
Secrets (password hashes, TOTP secrets, key values and their hashes) are
never part of an entry, and every listing is recorded on the reader's trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from application.audit import Audit
from application.ledger import Ledger
from application.read_models import Change, Put, ReadModels, ViewStore
from domain.actor import Actor
from domain.service_key import ServiceKey
from domain.staff_account import StaffAccount

STAFF_ACCOUNTS = "staff_accounts"
SERVICE_KEYS = "service_keys"
ALL = "all"

T = TypeVar("T")


@dataclass(frozen=True)
class StaffMember:
    """A staff account as an admin sees it: who, what role, how protected."""

    id: UUID
    username: str
    role: str
    status: str
    two_step: bool
    created_at: datetime
    last_active_at: datetime | None


@dataclass(frozen=True)
class ServiceKeyEntry:
    """A service key as an admin sees it: never its value nor its hash."""

    id: UUID
    name: str
    scopes: list[str]
    created_at: datetime
    revoked: bool


@dataclass(frozen=True)
class Listed(Generic[T]):
    """One page of a list, newest first, and the position the next page
    starts before (None: no more)."""

    items: list[T]
    next: int | None


class PlatformDirectory:
    """The read model of staff accounts and service keys, by creation."""

    name = "platform_directory"
    views = (STAFF_ACCOUNTS, SERVICE_KEYS)
    topics = (StaffAccount.Created.TOPIC, ServiceKey.Created.TOPIC)

    def changes(self, event: Any, position: int) -> list[Change]:
        staff = isinstance(event, StaffAccount.Created)
        view = STAFF_ACCOUNTS if staff else SERVICE_KEYS
        return [Put(view, ALL, str(event.originator_id), {})]


class PlatformRoster:
    """Platform admins list staff and service keys; each listing is recorded."""

    def __init__(
        self, ledger: Ledger, views: ViewStore, read_models: ReadModels, audit: Audit
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.read_models = read_models
        self.audit = audit

    def staff(
        self, reader: Actor, limit: int, before: int | None = None
    ) -> Listed[StaffMember]:
        """Staff accounts, newest first."""
        self.audit.record_read(reader, "staff_list", _query(limit, before))
        ids, more = self._page(STAFF_ACCOUNTS, limit, before)
        found = (self.ledger.peek(UUID(i), StaffAccount) for i, _ in ids)
        members = [_member(a) for a in found if a is not None]
        return Listed(members, ids[-1][1] if more else None)

    def service_keys(
        self, reader: Actor, limit: int, before: int | None = None
    ) -> Listed[ServiceKeyEntry]:
        """Service keys, newest first, revoked ones included."""
        self.audit.record_read(reader, "service_key_list", _query(limit, before))
        ids, more = self._page(SERVICE_KEYS, limit, before)
        found = (self.ledger.peek(UUID(i), ServiceKey) for i, _ in ids)
        keys = [_key(k) for k in found if k is not None]
        return Listed(keys, ids[-1][1] if more else None)

    def _page(
        self, view: str, limit: int, before: int | None
    ) -> tuple[list[tuple[str, int]], bool]:
        self.read_models.ensure_current()
        rows = self.views.items(view, ALL, limit=limit + 1, before=before)
        kept = [(row.item_id, row.position) for row in rows[:limit]]
        return kept, len(rows) > limit and bool(kept)


def _member(account: StaffAccount) -> StaffMember:
    return StaffMember(
        id=account.id,
        username=account.username,
        role=account.role.value,
        status=account.status.value,
        two_step=account.has_second_step,
        created_at=account.created_on,
        last_active_at=account.last_active_at,
    )


def _key(key: ServiceKey) -> ServiceKeyEntry:
    return ServiceKeyEntry(
        id=key.id,
        name=key.name,
        scopes=list(key.scopes),
        created_at=key.created_on,
        revoked=key.revoked,
    )


def _query(limit: int, before: int | None) -> dict[str, str]:
    query = {"limit": str(limit)}
    if before is not None:
        query["cursor"] = str(before)
    return query
