"""A shop's block list: the marketplace's caps, lapsing, lifting."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.block_list import (
    MAX_ACTIVE_BLOCKS,
    MAX_BLOCKS_PER_DAY,
    AlreadyBlockedError,
    BlockLimitError,
    BlockList,
    BlockReason,
    DailyBlockLimitError,
    Duration,
    NotBlockedError,
    Scope,
)
from tests.domain.builders import NOON, OWNER, recorded

NINETY_DAYS = timedelta(days=90)


@pytest.fixture
def block_list() -> BlockList:
    blocks = BlockList.start(uuid4(), OWNER, NOON)
    blocks.collect_events()
    return blocks


def block(blocks: BlockList, buyer: str, at=NOON, duration=Duration.DAYS_90):
    return blocks.block(
        buyer, BlockReason.FAKE_REVIEW, Scope.THIS_ID, duration, "", OWNER, at
    )


def test_a_block_is_in_force_at_once(block_list):
    made = block(block_list, "buyer1")

    assert block_list.is_blocked("buyer1", NOON)
    assert made.expires_at == NOON + NINETY_DAYS
    assert recorded(block_list) == ["BuyerBlocked"]


def test_the_eleventh_block_of_a_day_is_refused(block_list):
    for n in range(MAX_BLOCKS_PER_DAY):
        block(block_list, f"buyer{n}")

    with pytest.raises(DailyBlockLimitError):
        block(block_list, "buyer10")


def test_the_daily_cap_starts_again_at_midnight_utc(block_list):
    for n in range(MAX_BLOCKS_PER_DAY):
        block(block_list, f"buyer{n}")

    block(block_list, "buyer10", at=NOON + timedelta(hours=12))

    assert block_list.blocks_on((NOON + timedelta(hours=12)).date()) == 1


def test_the_hundred_and_first_block_in_force_is_refused(block_list):
    for n in range(MAX_ACTIVE_BLOCKS):
        block(block_list, f"buyer{n}", at=NOON + timedelta(days=n // 10))

    with pytest.raises(BlockLimitError):
        block(block_list, "one-too-many", at=NOON + timedelta(days=10))


def test_a_buyer_already_blocked_is_not_blocked_twice(block_list):
    block(block_list, "buyer1")

    with pytest.raises(AlreadyBlockedError):
        block(block_list, "buyer1", at=NOON + timedelta(hours=1))


def test_a_ninety_day_block_lapses_exactly_when_it_expires(block_list):
    block(block_list, "buyer1")

    assert block_list.is_blocked("buyer1", NOON + NINETY_DAYS - timedelta(seconds=1))
    assert not block_list.is_blocked("buyer1", NOON + NINETY_DAYS)
    assert block_list.active(NOON + NINETY_DAYS) == []


def test_a_lapsed_block_frees_its_place_and_the_buyer_can_be_blocked_again(block_list):
    block(block_list, "buyer1")

    block(block_list, "buyer1", at=NOON + NINETY_DAYS)

    assert [b.buyer for b in block_list.active(NOON + NINETY_DAYS)] == ["buyer1"]


def test_a_permanent_block_never_lapses(block_list):
    block(block_list, "buyer1", duration=Duration.PERMANENT)

    assert block_list.is_blocked("buyer1", NOON + timedelta(days=3650))


def test_unblocking_lifts_the_block(block_list):
    block(block_list, "buyer1")
    block_list.collect_events()

    block_list.unblock("buyer1", OWNER, NOON)

    assert not block_list.is_blocked("buyer1", NOON)
    assert recorded(block_list) == ["BuyerUnblocked"]


def test_a_buyer_who_is_not_blocked_cannot_be_unblocked_or_overridden(block_list):
    with pytest.raises(NotBlockedError):
        block_list.unblock("buyer1", OWNER, NOON)
    with pytest.raises(NotBlockedError):
        block_list.override("buyer1", "mistake", OWNER, NOON)


def test_unblocking_does_not_give_back_todays_quota(block_list):
    for n in range(MAX_BLOCKS_PER_DAY):
        block(block_list, f"buyer{n}")
    block_list.unblock("buyer0", OWNER, NOON)

    with pytest.raises(DailyBlockLimitError):
        block(block_list, "buyer0")
