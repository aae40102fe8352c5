"""Commits of several aggregates at once: a taken name is told apart from any
other conflict, which is retried on fresh state (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from uuid import uuid4

import pytest

from application.ledger import Changes, ClaimTakenError
from application.login_names import UsernameTakenError
from domain.seller_account import SellerAccount
from domain.username import Username
from domain.username_index import UsernameIndex
from interface.composition import Services
from tests.application.store_faults import (
    VISITOR,
    create_employee,
    owner,
    seller,
    usernames,
)


def at_once(count: int, work: Callable[[int], str]) -> list[str]:
    """Run ``work(n)`` in ``count`` threads released together; their outcomes."""
    outcomes: list[str] = []
    start = threading.Barrier(count)

    def run(n: int) -> None:
        start.wait()
        outcomes.append(work(n))

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_twenty_sub_accounts_created_at_once_under_one_seller_all_exist(
    services: Services,
):
    shop = seller(services)

    def create(n: int) -> str:
        try:
            create_employee(services, shop, f"Emp.{n:02}")
        except UsernameTakenError:
            return "taken"
        return "created"

    outcomes = at_once(20, create)

    assert outcomes == ["created"] * 20
    assert usernames(services, shop) == [f"Emp.{n:02}" for n in range(20)]
    stored = services.ledger.load(shop.id, SellerAccount)
    assert len(stored.sub_account_ids) == 20


def test_a_name_wanted_twice_at_once_is_created_once_and_taken_once(
    services: Services,
):
    shop = seller(services)

    def create(n: int) -> str:
        # Five names, each asked for by two threads (in other letter cases).
        name = f"Emp.{n % 5}" if n < 5 else f"EMP.{n % 5}"
        try:
            create_employee(services, shop, name)
        except UsernameTakenError:
            return "taken"
        return "created"

    outcomes = at_once(10, create)

    assert sorted(outcomes) == ["created"] * 5 + ["taken"] * 5
    assert len(usernames(services, shop)) == 5
    assert {name.lower() for name in usernames(services, shop)} == {
        f"emp.{n}" for n in range(5)
    }


def test_a_name_of_a_seller_is_taken_for_a_sub_account(services: Services):
    shop = seller(services, "Shop.One")

    with pytest.raises(UsernameTakenError):
        create_employee(services, shop, "SHOP.ONE")

    assert usernames(services, shop) == []
    assert services.ledger.load(shop.id, SellerAccount).sub_account_ids == []


def test_a_commit_whose_claim_exists_fails_without_recording_anything(
    services: Services, clock
):
    shop = seller(services, "Shop.One")
    before = services.ledger.last_position()
    name = Username("Shop.One")
    namespace = services.sub_accounts.names.namespace
    actor = owner(shop)

    def claim_again(changes: Changes) -> None:
        changes.load(shop.id, SellerAccount).add_sub_account(
            uuid4(), actor, clock.now()
        )
        changes.claim(
            UsernameIndex.claim(
                name, namespace, uuid4(), "seller", VISITOR, clock.now()
            )
        )

    with pytest.raises(ClaimTakenError):
        services.ledger.commit(claim_again)

    assert services.ledger.last_position() == before


def test_a_commit_that_lost_a_race_on_another_aggregate_runs_again_on_fresh_state(
    services: Services, clock
):
    shop = seller(services)
    actor = owner(shop)
    runs: list[int] = []
    rival = uuid4()

    def build(changes: Changes) -> None:
        account = changes.load(shop.id, SellerAccount)
        runs.append(account.version)
        if len(runs) == 1:
            # Someone else changes the seller between our load and our save.
            services.ledger.update(
                shop.id,
                SellerAccount,
                lambda other: other.add_sub_account(rival, actor, clock.now()),
            )
        account.add_sub_account(uuid4(), actor, clock.now())

    services.ledger.commit(build)

    assert runs == [runs[0], runs[0] + 1]
    assert len(services.ledger.load(shop.id, SellerAccount).sub_account_ids) == 2
