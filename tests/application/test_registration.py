"""Registering sellers through the application, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date

import pytest

from application.credentials import PasswordRejectedError
from application.login_names import UsernameTakenError
from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from interface.composition import Services

STRONG = "Corr3ct-Horse!Battery"
VISITOR = Actor(ActorKind.ANONYMOUS, None, "req-0001", "203.0.113.7")


def registered_topics(services: Services) -> list[str]:
    notifications = services.ledger.recorder.select_notifications(start=1, limit=10_000)
    return [n.topic for n in notifications]


def test_a_registered_seller_is_stored_with_its_details(services: Services, clock):
    view = services.sellers.register(
        "Shop.One", "owner@example.com", STRONG, date(1990, 3, 15), VISITOR
    )

    account = services.ledger.repository.get(view.id)
    assert isinstance(account, SellerAccount)
    assert (account.username, account.email) == ("Shop.One", "owner@example.com")
    assert account.birth_date == date(1990, 3, 15)
    assert account.created_on == clock.now()
    assert view.status == "active"
    assert view.version == 1


def test_the_password_is_stored_only_as_an_argon2id_hash(services: Services):
    view = services.sellers.register(
        "Shop.One", "owner@example.com", STRONG, None, VISITOR
    )

    stored = services.ledger.repository.get(view.id).password_hash
    assert stored.startswith("$argon2id$")
    assert STRONG not in stored
    assert services.sellers.credentials.hasher.verify(stored, STRONG)


def test_the_registration_event_records_actor_request_and_ip(services: Services):
    view = services.sellers.register(
        "Shop.One", "owner@example.com", STRONG, None, VISITOR
    )

    (event,) = services.ledger.events.get(view.id)
    assert event.actor == VISITOR


def test_the_same_username_in_other_letter_case_is_taken(services: Services):
    services.sellers.register("Shop.One", "owner@example.com", STRONG, None, VISITOR)

    with pytest.raises(UsernameTakenError):
        services.sellers.register(
            "SHOP.one", "other@example.com", STRONG, None, VISITOR
        )

    assert (
        registered_topics(services).count("sellerguard:SellerAccount.Registered") == 1
    )


def test_a_refused_password_lists_every_violation_and_stores_nothing(
    services: Services,
):
    with pytest.raises(PasswordRejectedError) as refused:
        services.sellers.register(
            "Shop.One", "owner@example.com", "abcd1234", None, VISITOR
        )

    assert {v.code for v in refused.value.violations} == {
        "missing_uppercase",
        "missing_symbol",
        "sequential_characters",
        "keyboard_sequence",
        "common_password",
    }
    assert services.ledger.last_position() == 0


def test_a_password_of_200_characters_is_kept_whole(services: Services):
    long_password = ("Tr0ub4dor&3-" * 17)[:200]

    view = services.sellers.register(
        "Shop.One", "owner@example.com", long_password, None, VISITOR
    )

    stored = services.ledger.repository.get(view.id).password_hash
    hasher = services.sellers.credentials.hasher
    assert hasher.verify(stored, long_password)
    assert not hasher.verify(stored, long_password[:128])
    assert not hasher.verify(stored, long_password.lower())


def test_ten_threads_registering_one_name_create_exactly_one_account(
    services: Services,
):
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def register(n: int) -> None:
        start.wait()
        try:
            services.sellers.register(
                f"Race.{'Shop' if n % 2 else 'SHOP'}",
                f"owner{n}@example.com",
                STRONG,
                None,
                VISITOR,
            )
            outcomes.append("created")
        except UsernameTakenError:
            outcomes.append("taken")

    threads = [threading.Thread(target=register, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + ["taken"] * 9
    topics = registered_topics(services)
    assert topics.count("sellerguard:SellerAccount.Registered") == 1
    assert topics.count("sellerguard:UsernameIndex.Claimed") == 1
