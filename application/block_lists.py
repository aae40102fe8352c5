"""Shops' buyer block lists, and the fast check other services ask at checkout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from application.accounts import username_of
from application.ledger import Changes, Ledger
from application.ports import Clock
from application.principals import Principal
from application.read_models import Change, Delete, Put, ViewStore
from domain.actor import Actor
from domain.block_list import (
    MAX_ACTIVE_BLOCKS,
    MAX_BLOCKS_PER_DAY,
    AlreadyBlockedError,
    Block,
    BlockList,
    BlockReason,
    BuyerAction,
    Duration,
    NotBlockedError,
    Scope,
    block_list_id,
)
from domain.buyer_identity import BuyerIdentity, buyer_identity_id, others_to_link
from domain.errors import SellerGuardError
from domain.seller_account import SellerAccount

CHECK_STALENESS = 0.05  # seconds
BLOCKS = "blocks"
BUYER_LINKS = "buyer_links"


class BlockingAccessRevokedError(SellerGuardError):
    """The platform has revoked this shop's right to block buyers."""

    code = "blocking_access_revoked"


class ShopNotFoundError(SellerGuardError):
    """No shop has that id."""

    code = "not_found"


@dataclass(frozen=True)
class BlockEntry:
    """One block as the shop sees it, with the name of who made it."""

    buyer: str
    reason: str
    scope: str
    duration: str
    blocked_at: datetime
    expires_at: datetime | None
    blocked_by: str | None
    blocked_by_username: str | None
    note: str


@dataclass(frozen=True)
class BlockListView:
    """A shop's block list with what is left of its limits."""

    items: list[BlockEntry]
    active_count: int
    remaining_today: int
    limits: dict[str, int]


@dataclass(frozen=True)
class CheckResult:
    """Whether a buyer may do something in a shop, and whether they are blocked."""

    allowed: bool
    blocked: bool


class BlockLookup:
    """The read model the check answers from: blocks in force and buyer links."""

    name = "block_lookup"
    views = (BLOCKS, BUYER_LINKS)
    topics = (
        BlockList.BuyerBlocked.TOPIC,
        BlockList.BuyerUnblocked.TOPIC,
        BlockList.BlockOverridden.TOPIC,
        BuyerIdentity.Linked.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        if isinstance(event, BuyerIdentity.Linked):
            return [Put(BUYER_LINKS, event.buyer, other, {}) for other in event.linked]
        shop = str(event.seller_id)
        if isinstance(event, BlockList.BuyerBlocked):
            expires = event.expires_at
            return [
                Put(
                    BLOCKS,
                    shop,
                    event.buyer,
                    {
                        "scope": event.scope,
                        "expires_at": None if expires is None else expires.isoformat(),
                    },
                )
            ]
        return [Delete(BLOCKS, shop, event.buyer)]


class ActiveBlocks:
    """This process's index of the blocks and buyer links, for the check.

    Loaded once from the block-lookup read model (its items and position,
    read together), then kept current by reading the log's block and link
    events after that position and applying the same changes the read model
    applies. It answers as of at most ``staleness`` ago, and at once after
    this process's own writes; so a check costs no query at all between
    refreshes, and one (the log's head) per refresh when nothing changed.
    """

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        staleness: float = CHECK_STALENESS,
        page_size: int = 500,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.staleness = staleness
        self.page_size = page_size
        self._lookup = BlockLookup()
        # shop -> buyer -> (scope, expires_at); buyer -> the usernames linked.
        self._blocks: dict[str, dict[str, tuple[str, datetime | None]]] = {}
        self._links: dict[str, dict[str, None]] = {}
        self._position: int | None = None  # None until loaded
        self._confirmed_at = float("-inf")
        self._own_write = 0  # the newest position this process committed
        self._lock = threading.Lock()
        ledger.after_save(self._written)

    def blocked(self, shop: str, buyer: str, now: datetime) -> bool:
        """Whether a block in force in the shop covers the buyer or a linked id."""
        self.refresh()
        blocks = self._blocks.get(shop)
        if not blocks:
            return False
        if _in_force(blocks.get(buyer), now, linked=False):
            return True
        # A copy taken in one step (no Python code runs inside tuple()), so a
        # refresh in another thread adding a link cannot break the iteration.
        linked = tuple(self._links.get(buyer, ()))
        return any(_in_force(blocks.get(other), now, linked=True) for other in linked)

    def refresh(self) -> None:
        """Catch up with the log unless confirmed current within ``staleness``."""
        started = time.monotonic()
        if started - self._confirmed_at < self.staleness:
            return
        with self._lock:
            if self._confirmed_at > started:
                return  # another thread refreshed while this one waited
            if self._position is None:
                self._load()
            self._follow(max(self.ledger.last_position(), self._own_write))
            if (self._position or 0) >= self._own_write:
                # Not when a write of ours landed after the head was read.
                self._confirmed_at = time.monotonic()

    def _written(self, position: int) -> None:
        self._own_write = max(self._own_write, position)
        self._confirmed_at = float("-inf")

    def _load(self) -> None:
        position, items = self.views.snapshot(self._lookup.name, self._lookup.views)
        for view, key, item in items:
            self._apply(Put(view, key, item.item_id, item.data))
        self._position = position

    def _follow(self, head: int) -> None:
        start = self._position or 0
        recorder = self.ledger.recorder
        to_domain_event = self.ledger.mapper.to_domain_event
        while start < head:
            page = recorder.select_notifications(
                start=start,
                limit=self.page_size,
                stop=head,
                topics=self._lookup.topics,
                inclusive_of_start=False,
            )
            for notification in page:
                event = to_domain_event(notification)
                for change in self._lookup.changes(event, notification.id):
                    self._apply(change)
            # A short page covers everything up to the head (see ReadModels).
            start = page[-1].id if len(page) >= self.page_size else head
            self._position = start

    def _apply(self, change: Change) -> None:
        if change.view == BUYER_LINKS:
            if isinstance(change, Put):
                self._links.setdefault(change.key, {})[change.item_id] = None
            return
        if isinstance(change, Delete):
            shop = self._blocks.get(change.key)
            if shop is not None:
                shop.pop(change.item_id, None)
            return
        expires = change.data["expires_at"]
        self._blocks.setdefault(change.key, {})[change.item_id] = (
            change.data["scope"],
            None if expires is None else datetime.fromisoformat(expires),
        )


def _in_force(
    block: tuple[str, datetime | None] | None, now: datetime, *, linked: bool
) -> bool:
    if block is None or (linked and block[0] != Scope.LINKED_IDS):
        return False
    return block[1] is None or now < block[1]


class BlockLists:
    """Blocking buyers within the marketplace's limits, and checking blocks."""

    def __init__(
        self,
        ledger: Ledger,
        active: ActiveBlocks,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.active = active
        self.clock = clock

    def view(self, principal: Principal) -> BlockListView:
        """The blocks in force in the caller's shop, newest first."""
        now = self.clock.now()
        shop = self._shop(principal)
        blocks = self.ledger.find(block_list_id(shop), BlockList)
        active = blocks.active(now) if blocks else []
        made_today = blocks.blocks_on(now.date()) if blocks else 0
        return BlockListView(
            # Newest first; among equal times, the later-made first.
            items=[self._entry(b) for b in sorted(active, key=lambda b: b.blocked_at)][
                ::-1
            ],
            active_count=len(active),
            remaining_today=max(0, MAX_BLOCKS_PER_DAY - made_today),
            limits={"max_active": MAX_ACTIVE_BLOCKS, "max_per_day": MAX_BLOCKS_PER_DAY},
        )

    def block(
        self,
        principal: Principal,
        buyer: str,
        reason: BlockReason,
        scope: Scope,
        duration: Duration,
        note: str,
        actor: Actor,
        request_id: UUID | None = None,
    ) -> BlockEntry:
        """Block a buyer; the limits hold under any concurrency.

        ``request_id``: the id a retried request gives the block again
        (derived from its Idempotency-Key); the block its earlier attempt
        made (the answer lost) is answered as made now, as it was then,
        rather than ``already_blocked``.
        """
        shop = self._shop(principal)
        seller = self.ledger.load(shop, SellerAccount)
        if not seller.blocking_access:
            raise BlockingAccessRevokedError(str(shop))
        now = self.clock.now()

        def build(changes: Changes) -> Block:
            blocks = changes.find(block_list_id(shop), BlockList) or changes.add(
                BlockList.start(shop, actor, now)
            )
            return blocks.block(
                buyer, reason, scope, duration, note, actor, now, request_id
            )

        try:
            return self._entry(self.ledger.commit(build).result)
        except AlreadyBlockedError:
            made = self._made_by(shop, buyer, request_id, now)
            if made is None:
                raise
            return self._entry(made)

    def _made_by(
        self, shop: UUID, buyer: str, request_id: UUID | None, now: datetime
    ) -> Block | None:
        """The block in force that this request made in an earlier attempt."""
        if request_id is None:
            return None
        blocks = self.ledger.find(block_list_id(shop), BlockList)
        return blocks.made_by(buyer, request_id, now) if blocks else None

    def _entry(self, block: Block) -> BlockEntry:
        return BlockEntry(
            **{f.name: getattr(block, f.name) for f in fields(Block)},
            blocked_by_username=username_of(self.ledger, block.blocked_by),
        )

    def unblock(self, principal: Principal, buyer: str, actor: Actor) -> None:
        """Lift one of the shop's blocks."""
        self._lift(
            self._shop(principal), buyer, lambda b, at: b.unblock(buyer, actor, at)
        )

    def override(self, seller_id: UUID, buyer: str, reason: str, actor: Actor) -> None:
        """The platform lifts a shop's block; the shop is alerted."""
        self._lift(seller_id, buyer, lambda b, at: b.override(buyer, reason, actor, at))

    def shop_name(self, seller_id: UUID) -> str:
        """The login name of a shop the platform is about to act on, so the
        person acting sees which shop an id stands for before confirming."""
        seller = self.ledger.peek(seller_id, SellerAccount)
        if seller is None:
            raise ShopNotFoundError(str(seller_id))
        return seller.username

    def block_in_force(self, seller_id: UUID, buyer: str) -> BlockEntry:
        """A shop's block of exactly this buyer, as it stands before the
        platform lifts it."""
        blocks = self.ledger.peek(block_list_id(seller_id), BlockList)
        now = self.clock.now()
        found = [b for b in blocks.active(now) if b.buyer == buyer] if blocks else []
        if not found:
            raise NotBlockedError(buyer)
        return self._entry(found[0])

    def set_blocking_access(
        self, seller_id: UUID, granted: bool, reason: str, actor: Actor
    ) -> None:
        """Grant or revoke a shop's right to block buyers."""
        if self.ledger.find(seller_id, SellerAccount) is None:
            raise ShopNotFoundError(str(seller_id))
        now = self.clock.now()
        self.ledger.update(
            seller_id,
            SellerAccount,
            lambda s: s.set_blocking_access(granted, reason, actor, now),
        )

    def link(self, buyer: str, others: list[str], actor: Actor) -> None:
        """Record that these buyer usernames are one person, both ways."""
        usernames = [buyer, *others_to_link(buyer, others)]
        now = self.clock.now()

        def build(changes: Changes) -> None:
            for name in usernames:
                identity = changes.find(
                    buyer_identity_id(name), BuyerIdentity
                ) or changes.add(BuyerIdentity.note(name, actor, now))
                identity.link([n for n in usernames if n != name], actor, now)

        self.ledger.commit(build)

    def check(self, seller_id: UUID, buyer: str, action: BuyerAction) -> CheckResult:
        """May this buyer do this in that shop? Only ordering is refused.

        Answers from this process's index of the blocks, as of at most
        ``CHECK_STALENESS`` ago: a block takes effect at checkout within that
        (at once when this process recorded it).
        """
        blocked = self.active.blocked(str(seller_id), buyer, self.clock.now())
        return CheckResult(
            allowed=not (blocked and action is BuyerAction.PLACE_ORDER), blocked=blocked
        )

    def _lift(
        self, shop: UUID, buyer: str, command: Callable[[BlockList, datetime], None]
    ) -> None:
        blocks_id = block_list_id(shop)
        if self.ledger.find(blocks_id, BlockList) is None:
            raise NotBlockedError(buyer)
        now = self.clock.now()
        self.ledger.update(blocks_id, BlockList, lambda blocks: command(blocks, now))

    @staticmethod
    def _shop(principal: Principal) -> UUID:
        if principal.seller_id is None:
            raise ShopNotFoundError(str(principal.id))
        return principal.seller_id
