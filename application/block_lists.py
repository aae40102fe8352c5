"""Shops' buyer block lists, and the fast check other services ask at checkout."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ledger import Changes, Ledger
from application.ports import Clock
from application.principals import Principal
from application.read_models import Change, Delete, ProjectionRunner, Put, ViewStore
from domain.actor import Actor
from domain.block_list import (
    MAX_ACTIVE_BLOCKS,
    MAX_BLOCKS_PER_DAY,
    Block,
    BlockList,
    BlockReason,
    BuyerAction,
    Duration,
    NotBlockedError,
    Scope,
    block_list_id,
)
from domain.buyer_identity import BuyerIdentity, buyer_identity_id
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
class BlockListView:
    """A shop's block list with what is left of its limits."""

    items: list[Block]
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


class BlockLists:
    """Blocking buyers within the marketplace's limits, and checking blocks."""

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        read_models: ProjectionRunner,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.read_models = read_models
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
            items=sorted(active, key=lambda b: b.blocked_at)[::-1],
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
    ) -> Block:
        """Block a buyer; the limits hold under any concurrency."""
        shop = self._shop(principal)
        seller = self.ledger.load(shop, SellerAccount)
        if not seller.blocking_access:
            raise BlockingAccessRevokedError(str(shop))
        now = self.clock.now()

        def build(changes: Changes) -> Block:
            blocks = changes.find(block_list_id(shop), BlockList) or changes.add(
                BlockList.start(shop, actor, now)
            )
            return blocks.block(buyer, reason, scope, duration, note, actor, now)

        return self.ledger.commit(build).result

    def unblock(self, principal: Principal, buyer: str, actor: Actor) -> None:
        """Lift one of the shop's blocks."""
        self._lift(
            self._shop(principal), buyer, lambda b, at: b.unblock(buyer, actor, at)
        )

    def override(self, seller_id: UUID, buyer: str, reason: str, actor: Actor) -> None:
        """The platform lifts a shop's block; the shop is alerted."""
        self._lift(seller_id, buyer, lambda b, at: b.override(buyer, reason, actor, at))

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
        now = self.clock.now()

        def build(changes: Changes) -> None:
            usernames = dict.fromkeys([buyer, *others])
            for name in usernames:
                identity = changes.find(
                    buyer_identity_id(name), BuyerIdentity
                ) or changes.add(BuyerIdentity.note(name, actor, now))
                identity.link([n for n in usernames if n != name], actor, now)

        self.ledger.commit(build)

    def check(self, seller_id: UUID, buyer: str, action: BuyerAction) -> CheckResult:
        """May this buyer do this in that shop? Only ordering is refused.

        Answers from the block-lookup read model as of at most
        ``CHECK_STALENESS`` ago: a block takes effect at checkout within that.
        """
        self.read_models.ensure_current(max_staleness=CHECK_STALENESS)
        blocked = self._blocked(str(seller_id), buyer, self.clock.now())
        return CheckResult(
            allowed=not (blocked and action is BuyerAction.PLACE_ORDER), blocked=blocked
        )

    def _blocked(self, shop: str, buyer: str, now: datetime) -> bool:
        if self._in_force(self.views.get(BLOCKS, shop, buyer), now):
            return True
        links = self.views.items(BUYER_LINKS, buyer, limit=1000)
        return any(
            self._in_force(self.views.get(BLOCKS, shop, link.item_id), now, linked=True)
            for link in links
        )

    @staticmethod
    def _in_force(item: Any, now: datetime, *, linked: bool = False) -> bool:
        if item is None or (linked and item.data["scope"] != Scope.LINKED_IDS):
            return False
        expires = item.data["expires_at"]
        return expires is None or now < datetime.fromisoformat(expires)

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
