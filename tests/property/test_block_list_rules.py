"""Over any sequence of blocks, unblocks, overrides, lapses and links, the
marketplace's caps hold and the check agrees with the aggregate."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.principals import principal_of
from domain.actor import Actor, ActorKind
from domain.block_list import (
    MAX_ACTIVE_BLOCKS,
    MAX_BLOCKS_PER_DAY,
    BlockList,
    BlockReason,
    BuyerAction,
    Duration,
    Scope,
    block_list_id,
)
from domain.buyer_identity import BuyerIdentity, buyer_identity_id
from domain.errors import SellerGuardError
from domain.seller_account import SellerAccount
from domain.username import Username

BUYERS = [f"buyer{n}" for n in range(14)]
SYSTEM = Actor(ActorKind.SYSTEM, "property-test")

blocking = st.tuples(
    st.just("block"),
    st.sampled_from(BUYERS),
    st.sampled_from(list(Scope)),
    st.sampled_from(list(Duration)),
)
steps = st.lists(
    st.one_of(
        blocking,
        blocking,  # twice as likely: enough blocks in a day to meet the cap
        st.tuples(st.just("unblock"), st.sampled_from(BUYERS)),
        st.tuples(st.just("override"), st.sampled_from(BUYERS)),
        st.tuples(st.just("link"), st.sampled_from(BUYERS), st.sampled_from(BUYERS)),
        st.tuples(st.just("wait"), st.sampled_from([1, 6, 24, 24 * 45, 24 * 91])),
    ),
    max_size=60,
)


def linked_to(services, buyer):
    identity = services.ledger.find(buyer_identity_id(buyer), BuyerIdentity)
    return identity.linked if identity else []


def expected_blocked(services, blocks, buyer, now):
    if blocks is None:
        return False
    if blocks.is_blocked(buyer, now):
        return True
    return any(
        b.buyer in linked_to(services, buyer) and b.scope == Scope.LINKED_IDS
        for b in blocks.active(now)
    )


def run(services, clock, seller, step):
    kind, *args = step
    block_lists = services.block_lists
    try:
        if kind == "block":
            buyer, scope, duration = args
            block_lists.block(
                seller, buyer, BlockReason.OTHER, scope, duration, "", SYSTEM
            )
        elif kind == "unblock":
            block_lists.unblock(seller, args[0], SYSTEM)
        elif kind == "override":
            block_lists.override(seller.id, args[0], "appeal", SYSTEM)
        elif kind == "link" and args[0] != args[1]:
            block_lists.link(args[0], [args[1]], SYSTEM)
        elif kind == "wait":
            clock.advance(hours=args[0])
    except SellerGuardError:
        pass  # a refusal; the invariants below must hold all the same


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=steps)
def test_caps_hold_and_the_check_agrees_with_the_aggregate(services, clock, steps):
    # Each example gets a shop of its own (buyer links carry over, and the
    # expectation reads them too), starting on a day of its own.
    clock.advance(days=400)
    account = SellerAccount.register(
        Username("Prop.Shop"), "p@example.com", "x", None, SYSTEM, clock.now()
    )
    services.ledger.save(account)
    seller = principal_of(account, None)
    for step in steps:
        run(services, clock, seller, step)
        blocks = services.ledger.find(block_list_id(seller.id), BlockList)
        if blocks is None:
            continue
        now = clock.now()
        assert len(blocks.active(now)) <= MAX_ACTIVE_BLOCKS
        made_on = [
            e.timestamp.date()
            for e in services.ledger.events.get(blocks.id)
            if isinstance(e, BlockList.BuyerBlocked)
        ]
        assert made_on.count(now.date()) <= MAX_BLOCKS_PER_DAY
        for buyer in BUYERS:
            answer = services.block_lists.check(
                seller.id, buyer, BuyerAction.PLACE_ORDER
            )
            assert answer.blocked == expected_blocked(services, blocks, buyer, now), (
                buyer,
                step,
            )
            assert answer.allowed is not answer.blocked
