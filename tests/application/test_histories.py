"""Several aggregates read back with all their events in one query of the store."""

from __future__ import annotations

from uuid import uuid4

import pytest

from application.accounts import usernames_of
from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from domain.sign_in import Attempt
from tests.api.helpers import PASSWORD

ACTOR = Actor(ActorKind.SYSTEM, "test")
ATTEMPT = Attempt("198.51.100.10", "agent", "laptop")


@pytest.fixture
def sellers(services):
    made = [
        services.sellers.register(
            f"Shop.{n}", f"s{n}@example.com", PASSWORD, None, ACTOR
        )
        for n in range(3)
    ]
    services.sign_in.login("Shop.1", PASSWORD, ATTEMPT, ACTOR)
    return [seller.id for seller in made]


def test_each_aggregate_comes_back_as_loading_it_alone_would(services, sellers):
    histories = services.ledger.histories(sellers[::-1], SellerAccount)

    assert [h.aggregate.id for h in histories] == sellers[::-1]
    for history in histories:
        alone = services.ledger.load(history.aggregate.id, SellerAccount)
        assert vars(history.aggregate) == vars(alone)
        assert [e.originator_version for e in history.events] == list(
            range(1, alone.version + 1)
        )


def test_ids_of_nothing_or_of_another_kind_are_left_out(services, sellers):
    histories = services.ledger.histories([uuid4(), sellers[0]], SellerAccount)

    assert [h.aggregate.id for h in histories] == [sellers[0]]


def test_the_store_is_asked_once_not_once_per_aggregate(services, sellers, monkeypatch):
    def one_at_a_time(*args, **kwargs):
        raise AssertionError("read one aggregate at a time")

    monkeypatch.setattr(services.ledger.recorder, "select_events", one_at_a_time)

    assert len(services.ledger.histories(sellers, SellerAccount)) == 3


def test_up_to_a_version_each_comes_back_as_it_stood_then(services, sellers):
    histories = services.ledger.histories(sellers, SellerAccount, up_to_version=1)

    assert [h.aggregate.id for h in histories] == sellers
    assert {h.aggregate.version for h in histories} == {1}
    assert [h.aggregate.username for h in histories] == ["Shop.0", "Shop.1", "Shop.2"]
    # Shop.1 signed in since; its first event alone is read.
    assert services.ledger.load(sellers[1], SellerAccount).version > 1


def test_names_of_many_accounts_are_read_in_one_query(services, sellers, monkeypatch):
    def one_at_a_time(*args, **kwargs):
        raise AssertionError("read one aggregate at a time")

    monkeypatch.setattr(services.ledger.recorder, "select_events", one_at_a_time)
    monkeypatch.setattr(services.ledger.repository, "get", one_at_a_time)
    ids = [str(i) for i in sellers]

    names = usernames_of(services.ledger, [*ids, str(uuid4()), "cli:root"])

    assert [names[i] for i in ids] == ["Shop.0", "Shop.1", "Shop.2"]
    assert list(names.values())[3:] == [None, None]
