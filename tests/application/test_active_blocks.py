"""Each process's index of blocks answers the check as the read model would.

The index loads the block-lookup read model with its position, then follows
the log from there; blocks made, lifted and linked by another process reach
it when it refreshes. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from application.block_lists import BLOCKS, ActiveBlocks, BlockLookup
from application.principals import Principal
from domain.actor import Actor, ActorKind
from domain.block_list import BlockReason, BuyerAction, Duration, Scope
from domain.sign_in import Attempt
from infrastructure.settings import Settings
from interface.composition import Services, build_services
from tests.conftest import FakeClock

OPERATOR = Actor(ActorKind.SYSTEM, "test")
PASSWORD = "Corr3ct-Horse!Battery"


@pytest.fixture
def other(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    """A second process on the same store."""
    services = build_services(settings, clock)
    yield services
    services.close()


def shop_of(services: Services, name: str) -> Principal:
    services.sellers.register(name, "s@example.com", PASSWORD, None, OPERATOR)
    attempt = Attempt("127.0.0.1", "test", "test")
    return services.sign_in.login(name, PASSWORD, attempt, OPERATOR).principal


def block(services: Services, shop: Principal, buyer: str, scope: Scope) -> None:
    services.block_lists.block(
        shop, buyer, BlockReason.OTHER, scope, Duration.DAYS_90, "", OPERATOR
    )


def fresh_index(services: Services) -> ActiveBlocks:
    return ActiveBlocks(services.ledger, services.views, staleness=0.0)


def test_another_processs_blocks_links_and_lifts_reach_the_index(
    services: Services, other: Services
):
    index = fresh_index(services)
    shop = shop_of(other, "Shop.One")
    now = services.clock.now()
    assert index.blocked(str(shop.seller_id), "Main_Id", now) is False

    block(other, shop, "Main_Id", Scope.LINKED_IDS)
    block(other, shop, "Solo_Id", Scope.THIS_ID)
    other.block_lists.link("Main_Id", ["Alt_Id"], OPERATOR)
    other.block_lists.link("Solo_Id", ["Solo_Alt"], OPERATOR)

    seller = str(shop.seller_id)
    assert index.blocked(seller, "Main_Id", now) is True
    assert index.blocked(seller, "Alt_Id", now) is True
    assert index.blocked(seller, "Solo_Id", now) is True
    assert index.blocked(seller, "Solo_Alt", now) is False  # this id only
    assert index.blocked("another shop", "Main_Id", now) is False

    other.block_lists.unblock(shop, "Main_Id", OPERATOR)
    assert index.blocked(seller, "Main_Id", now) is False
    assert index.blocked(seller, "Alt_Id", now) is False


def test_a_block_lapses_in_the_index_exactly_at_its_expiry(
    services: Services, clock: FakeClock
):
    shop = shop_of(services, "Shop.One")
    block(services, shop, "Buyer_One", Scope.THIS_ID)
    seller = str(shop.seller_id)
    index = fresh_index(services)

    expiry = clock.now() + timedelta(days=90)
    assert index.blocked(seller, "Buyer_One", expiry - timedelta(microseconds=1))
    assert not index.blocked(seller, "Buyer_One", expiry)


@pytest.mark.parametrize("caught_up", ["none", "half", "all"])
def test_an_index_loaded_from_the_read_model_at_any_position_agrees(
    services: Services, other: Services, caught_up: str
):
    shop = shop_of(other, "Shop.One")
    block(other, shop, "A", Scope.LINKED_IDS)
    block(other, shop, "B", Scope.THIS_ID)
    half = other.ledger.last_position()
    other.block_lists.unblock(shop, "A", OPERATOR)
    block(other, shop, "C", Scope.LINKED_IDS)
    other.block_lists.link("C", ["C2"], OPERATOR)
    if caught_up == "half":
        other.read_models.catch_up(until=half)
    elif caught_up == "all":
        other.read_models.catch_up()
    position, items = services.views.snapshot(BlockLookup.name, BlockLookup.views)
    assert position == {"none": 0, "half": half}.get(
        caught_up, other.ledger.last_position()
    )
    assert ("A" in {i.item_id for v, _, i in items if v == BLOCKS}) is (
        caught_up == "half"
    )

    index = fresh_index(services)

    now = services.clock.now()
    seller = str(shop.seller_id)
    answers = {b: index.blocked(seller, b, now) for b in ("A", "B", "C", "C2", "D")}
    assert answers == {"A": False, "B": True, "C": True, "C2": True, "D": False}


def test_this_processs_own_block_is_checked_at_once(services: Services):
    shop = shop_of(services, "Shop.One")
    assert services.block_lists.check(
        shop.seller_id, "Buyer_One", BuyerAction.PLACE_ORDER
    ).allowed

    block(services, shop, "Buyer_One", Scope.THIS_ID)

    result = services.block_lists.check(
        shop.seller_id, "Buyer_One", BuyerAction.PLACE_ORDER
    )
    assert (result.allowed, result.blocked) == (False, True)
