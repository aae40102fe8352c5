"""Busy aggregates are snapshotted every 100 events and load back the same."""

from __future__ import annotations

from domain.actor import Actor, ActorKind
from domain.aggregate import Recorded
from domain.block_list import BlockReason, Duration, Scope, block_list_id
from domain.roles import Role
from domain.seller_account import SellerAccount
from domain.sign_in import Attempt
from tests.api.helpers import PASSWORD

ACTOR = Actor(ActorKind.SYSTEM, "test")
ATTEMPT = Attempt("198.51.100.10", "agent", "laptop")


def without_snapshots(services, aggregate_id):
    events = list(services.ledger.events.get(aggregate_id))
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def snapshot_versions(services, aggregate_id):
    return [s.originator_version for s in services.ledger.snapshots.get(aggregate_id)]


def test_a_busy_seller_account_loads_the_same_from_its_snapshot(services, clock):
    seller = services.sellers.register(
        "Busy.Shop", "b@example.com", PASSWORD, None, ACTOR
    )
    for _ in range(60):  # each sign-in and sign-out records two events or more
        grant = services.sign_in.login("Busy.Shop", PASSWORD, ATTEMPT, ACTOR)
        services.sign_in.logout(grant.principal, ACTOR)
        clock.advance(minutes=1)

    assert 100 in snapshot_versions(services, seller.id)
    services.ledger.repository.cache.clear()
    assert vars(services.ledger.load(seller.id, SellerAccount)) == vars(
        without_snapshots(services, seller.id)
    )


def test_a_busy_block_list_and_sub_account_load_the_same(services, clock):
    seller = services.sellers.register(
        "Busy.Shop", "b@example.com", PASSWORD, None, ACTOR
    )
    principal = services.sign_in.login("Busy.Shop", PASSWORD, ATTEMPT, ACTOR).principal
    sub = services.sub_accounts.create(
        principal,
        "Busy.Clerk",
        "c@example.com",
        Role.FINANCE_SPECIALIST,
        PASSWORD,
        ACTOR,
    )
    roles = [Role.MARKETING_SPECIALIST, Role.FINANCE_SPECIALIST]
    for n in range(101):
        services.sub_accounts.change_role(principal, sub.id, roles[n % 2], ACTOR)
    for n in range(55):
        services.block_lists.block(
            principal,
            f"buyer{n}",
            BlockReason.OTHER,
            Scope.THIS_ID,
            Duration.DAYS_90,
            "",
            ACTOR,
        )
        services.block_lists.unblock(principal, f"buyer{n}", ACTOR)
        clock.advance(hours=3)
    blocks_id = block_list_id(seller.id)

    services.ledger.repository.cache.clear()
    for aggregate_id in (sub.id, blocks_id):
        assert 100 in snapshot_versions(services, aggregate_id)
        assert vars(services.ledger.load(aggregate_id, Recorded)) == vars(
            without_snapshots(services, aggregate_id)
        )
