"""A shop's buyer block list, with the marketplace's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

MAX_ACTIVE_BLOCKS = 100
MAX_BLOCKS_PER_DAY = 10
BLOCK_LIST_NAMESPACE = uuid5(NAMESPACE_URL, "https://sellerguard.dev/block-list")


class BlockReason(StrEnum):
    """Why a seller blocks a buyer."""

    MALICIOUS_REFUND = "malicious_refund"
    FAKE_REVIEW = "fake_review"
    ABUSIVE_MESSAGES = "abusive_messages"
    FRAUDULENT_ORDER = "fraudulent_order"
    SUSPECTED_SCAM = "suspected_scam"
    OTHER = "other"


class Scope(StrEnum):
    """The named buyer only, or every buyer identity linked to it too."""

    THIS_ID = "this_id"
    LINKED_IDS = "linked_ids"


class Duration(StrEnum):
    """How long a block lasts."""

    DAYS_90 = "90d"
    PERMANENT = "permanent"

    def expiry_from(self, at: datetime) -> datetime | None:
        """When a block made at ``at`` lapses by itself (never, if permanent)."""
        return at + timedelta(days=90) if self is Duration.DAYS_90 else None


class BuyerAction(StrEnum):
    """What a buyer may try to do in a shop; only ordering is refused by a block."""

    PLACE_ORDER = "place_order"
    MESSAGE = "message"
    REVIEW = "review"
    AFTER_SALES = "after_sales"


class BlockListError(SellerGuardError):
    """Base of the block list's errors; never raised directly."""


class AlreadyBlockedError(BlockListError):
    """This buyer is already blocked."""

    code = "already_blocked"


class BlockLimitError(BlockListError):
    """The shop already blocks 100 buyers; unblock one first."""

    code = "block_limit_reached"


class DailyBlockLimitError(BlockListError):
    """The shop has blocked 10 buyers today (UTC); try again tomorrow."""

    code = "daily_block_limit_reached"


class NotBlockedError(BlockListError):
    """This buyer is not on the block list."""

    code = "not_found"


@dataclass(frozen=True)
class Block:
    """One block, as the list shows it."""

    buyer: str
    reason: str
    scope: str
    duration: str
    blocked_at: datetime
    expires_at: datetime | None
    blocked_by: str | None
    note: str

    def active_at(self, at: datetime) -> bool:
        """A block lapses exactly when it expires."""
        return self.expires_at is None or at < self.expires_at


def block_list_id(seller_id: UUID) -> UUID:
    """Each shop has one block list, with an id derived from the shop's."""
    return uuid5(BLOCK_LIST_NAMESPACE, str(seller_id))


class BlockList(Recorded):
    """The buyers one shop refuses orders from."""

    TOPIC = "sellerguard:BlockList"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:BlockList.Event"

    class Started(Event, Recorded.Created):
        """The shop's block list came into being with its first block."""

        TOPIC = "sellerguard:BlockList.Started"
        seller_id: UUID

    class BuyerBlocked(Event):
        """The shop blocked a buyer.

        ``request_id``: the id of the request (its Idempotency-Key's claim)
        that made the block, so that request's retry knows the block as its
        own (None without a key, and in events recorded before version 2).
        """

        TOPIC = "sellerguard:BlockList.BuyerBlocked"
        class_version = 2
        seller_id: UUID
        buyer: str
        reason: str
        scope: str
        duration: str
        expires_at: datetime | None
        note: str
        request_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["request_id"] = None

        def apply(self, blocks: BlockList) -> None:
            # Lapsed blocks have left the list; forget them as the list changes.
            blocks.entries = {
                buyer: entry
                for buyer, entry in blocks.entries.items()
                if entry["expires_at"] is None or entry["expires_at"] > self.timestamp
            }
            blocks.entries[self.buyer] = {
                "reason": self.reason,
                "scope": self.scope,
                "duration": self.duration,
                "blocked_at": self.timestamp,
                "expires_at": self.expires_at,
                "blocked_by": self.actor.id,
                "note": self.note,
                "request_id": self.request_id,
            }
            blocks.blocked_on.append(self.timestamp)
            blocks.blocked_on = blocks.blocked_on[-MAX_BLOCKS_PER_DAY:]

    class BuyerUnblocked(Event):
        """The shop lifted a block."""

        TOPIC = "sellerguard:BlockList.BuyerUnblocked"
        seller_id: UUID
        buyer: str

        def apply(self, blocks: BlockList) -> None:
            blocks.entries.pop(self.buyer, None)

    class BlockOverridden(Event):
        """The platform lifted a block; the shop is told why."""

        TOPIC = "sellerguard:BlockList.BlockOverridden"
        seller_id: UUID
        buyer: str
        reason: str

        def apply(self, blocks: BlockList) -> None:
            blocks.entries.pop(self.buyer, None)

    def __init__(self, seller_id: UUID) -> None:
        self.seller_id = seller_id
        self.entries: dict[str, dict[str, Any]] = {}
        # When the latest blocks were made: enough to count today's.
        self.blocked_on: list[datetime] = []

    @classmethod
    def start(cls, seller_id: UUID, actor: Actor, at: datetime) -> BlockList:
        """The shop's empty block list."""
        return cls._create(
            cls.Started,
            id=block_list_id(seller_id),
            seller_id=seller_id,
            actor=actor,
            timestamp=at,
        )

    def active(self, at: datetime) -> list[Block]:
        """The blocks in force at ``at``: lapsed ones have left the list."""
        blocks = [_shown(buyer, entry) for buyer, entry in self.entries.items()]
        return [b for b in blocks if b.active_at(at)]

    def blocks_on(self, day: date) -> int:
        """How many blocks the shop made on that UTC day."""
        return sum(1 for moment in self.blocked_on if moment.date() == day)

    def is_blocked(self, buyer: str, at: datetime) -> bool:
        """Whether a block of exactly this buyer is in force."""
        entry = self.entries.get(buyer)
        return entry is not None and _shown(buyer, entry).active_at(at)

    def made_by(
        self, buyer: str, request_id: UUID | None, at: datetime
    ) -> Block | None:
        """The block of this buyer in force, if that request made it (an
        earlier attempt of it whose answer was lost); None for a block made
        by another request, or without a request id."""
        entry = self.entries.get(buyer)
        if request_id is None or entry is None or not self.is_blocked(buyer, at):
            return None
        # Entries kept in snapshots taken before version 2 have no request id.
        return _shown(buyer, entry) if entry.get("request_id") == request_id else None

    def block(
        self,
        buyer: str,
        reason: BlockReason,
        scope: Scope,
        duration: Duration,
        note: str,
        actor: Actor,
        at: datetime,
        request_id: UUID | None = None,
    ) -> Block:
        """Block a buyer, within the marketplace's limits (``request_id``:
        see :class:`BuyerBlocked`)."""
        if self.is_blocked(buyer, at):
            raise AlreadyBlockedError(buyer)
        if len(self.active(at)) >= MAX_ACTIVE_BLOCKS:
            raise BlockLimitError(str(self.seller_id))
        if self.blocks_on(at.date()) >= MAX_BLOCKS_PER_DAY:
            raise DailyBlockLimitError(str(self.seller_id))
        self._record(
            self.BuyerBlocked,
            actor,
            at,
            seller_id=self.seller_id,
            buyer=buyer,
            reason=reason.value,
            scope=scope.value,
            duration=duration.value,
            expires_at=duration.expiry_from(at),
            note=note,
            request_id=request_id,
        )
        return _shown(buyer, self.entries[buyer])

    def unblock(self, buyer: str, actor: Actor, at: datetime) -> None:
        """Lift a block in force."""
        if not self.is_blocked(buyer, at):
            raise NotBlockedError(buyer)
        self._record(
            self.BuyerUnblocked, actor, at, seller_id=self.seller_id, buyer=buyer
        )

    def override(self, buyer: str, reason: str, actor: Actor, at: datetime) -> None:
        """The platform lifts a block in force."""
        if not self.is_blocked(buyer, at):
            raise NotBlockedError(buyer)
        self._record(
            self.BlockOverridden,
            actor,
            at,
            seller_id=self.seller_id,
            buyer=buyer,
            reason=reason,
        )


def _shown(buyer: str, entry: dict[str, Any]) -> Block:
    """The block an entry holds, as the list shows it (without the request
    that made it)."""
    return Block(buyer, **{k: v for k, v in entry.items() if k != "request_id"})
