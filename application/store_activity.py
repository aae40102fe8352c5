"""Activity as the inactivity policy counts it, kept per store by following the log.

What counts: a successful sign-in of the seller or of any of its sub-accounts,
the store's registration, and every event recorded with the seller or one of
its sub-accounts as the actor (their operations: blocks, role and password
changes, two-step changes, and the use of a session, noted at most every five
minutes). Failed or locked-out sign-ins, unanswered second steps, and what
staff, services or the system do never count: a stranger guessing passwords
must not keep a store alive, nor a closure notice revive it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ledger import Ledger
from application.read_models import Change, Put, ViewStore
from domain.actor import ActorKind
from domain.seller_account import SellerAccount
from domain.sign_in import SignInAccount
from domain.sign_in_events import LoginSucceeded
from domain.sub_account import SubAccount

ACTIVITY = "store_activity"
# Two keyed lists of the one view: the newest activity of every store, and
# what the policy last recorded about it (kept apart, so that a notice can
# never hide an activity that came after it).
LATEST = "latest"
NOTICES = "notices"
PAGE = 2000
DIRECTORY_SIZE = 100_000
NOTICE_EVENTS = (SellerAccount.InactivityNoticed, SellerAccount.StoreClosed)
COUNTED_ACTORS = (ActorKind.SELLER.value, ActorKind.SUB_ACCOUNT.value)


@dataclass(frozen=True)
class StoreActivityRecord:
    """A store's newest activity, and the policy's last record about it."""

    store_id: UUID
    last_activity_at: datetime
    noticed_stage: int
    noticed_for: datetime | None


class StoreDirectory:
    """Which store an account belongs to (a sub-account's never changes)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._stores: dict[UUID, UUID | None] = {}

    def learn(self, account_id: UUID, store_id: UUID) -> None:
        """Remember an account's store as its created event names it.

        Following the log, every new account is learnt this way, so the
        directory loads an account only after a restart (or once forgotten):
        one load per new account was a quarter of the follower's time on
        PostgreSQL.
        """
        if len(self._stores) >= DIRECTORY_SIZE:
            self._stores.clear()
        self._stores[account_id] = store_id

    def store_of(self, account_id: UUID) -> UUID | None:
        """The seller id of a seller or sub-account; None for anything else."""
        if account_id not in self._stores:
            if len(self._stores) >= DIRECTORY_SIZE:
                self._stores.clear()  # bounded memory; lookups are cheap to redo
            account = self.ledger.peek(account_id, SignInAccount)
            store = None
            if isinstance(account, SellerAccount):
                store = account.id
            elif isinstance(account, SubAccount):
                store = account.seller_id
            self._stores[account_id] = store
        return self._stores[account_id]


class StoreActivity:
    """The projection: each store's newest activity, and the policy's notices."""

    name = "store_activity"
    views = (ACTIVITY,)
    topics: tuple[str, ...] = ()  # an operation may be any event

    def __init__(
        self,
        store_of: Callable[[UUID], UUID | None],
        learn: Callable[[UUID, UUID], None] | None = None,
    ) -> None:
        self.store_of = store_of
        self.learn = learn

    def changes(self, event: Any, position: int) -> list[Change]:
        if self.learn is not None:
            if isinstance(event, SellerAccount.Registered):
                self.learn(event.originator_id, event.originator_id)
            elif isinstance(event, SubAccount.Created):
                self.learn(event.originator_id, event.seller_id)
        if isinstance(
            event, SellerAccount.InactivityNoticed | SellerAccount.StoreClosed
        ):
            return [_notice(event)]
        account_id = _active_account(event)
        store = None if account_id is None else self.store_of(account_id)
        if store is None:
            return []
        data = {
            "at": event.timestamp.isoformat(),
            "by": str(account_id),
            "what": type(event).__qualname__,
        }
        return [Put(ACTIVITY, LATEST, str(store), data)]


def _active_account(event: Any) -> UUID | None:
    """Whose activity the event is, or None when it is nobody's."""
    if isinstance(event, LoginSucceeded | SellerAccount.Registered):
        return UUID(str(event.originator_id))
    actor = getattr(event, "actor", None)
    if actor is None or actor.id is None or actor.kind.value not in COUNTED_ACTORS:
        return None
    try:
        return UUID(actor.id)
    except ValueError:
        return None


def _notice(event: Any) -> Put:
    closed = isinstance(event, SellerAccount.StoreClosed)
    data = {
        "for": event.last_activity_at.isoformat(),
        "stage": 60 if closed else int(event.stage),
    }
    return Put(ACTIVITY, NOTICES, str(event.originator_id), data)


class ActivityLedger:
    """Reads the activity view: one store's record, or every store's."""

    def __init__(self, views: ViewStore) -> None:
        self.views = views

    def of(self, store_id: UUID) -> StoreActivityRecord | None:
        """The store's record, or None when nothing of it was seen yet."""
        latest = self.views.get(ACTIVITY, LATEST, str(store_id))
        if latest is None:
            return None
        notice = self.views.get(ACTIVITY, NOTICES, str(store_id))
        return _record(store_id, latest.data, None if notice is None else notice.data)

    def every_store(self) -> list[StoreActivityRecord]:
        """Every store seen so far (in pages, so a large view stays cheap)."""
        notices = {item.item_id: item.data for item in self._all(NOTICES)}
        return [
            _record(UUID(item.item_id), item.data, notices.get(item.item_id))
            for item in self._all(LATEST)
        ]

    def _all(self, key: str) -> list[Any]:
        found: list[Any] = []
        before = None
        while True:
            page = self.views.items(ACTIVITY, key, limit=PAGE, before=before)
            found.extend(page)
            if len(page) < PAGE:
                return found
            before = page[-1].position


def _record(
    store_id: UUID, latest: dict[str, Any], notice: dict[str, Any] | None
) -> StoreActivityRecord:
    noticed_for = None if notice is None else datetime.fromisoformat(notice["for"])
    return StoreActivityRecord(
        store_id=store_id,
        last_activity_at=datetime.fromisoformat(latest["at"]),
        noticed_stage=0 if notice is None else int(notice["stage"]),
        noticed_for=noticed_for,
    )
