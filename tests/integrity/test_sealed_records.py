"""Attacks by someone who can write the store but holds no key, through the API.

Each attack edits the real SQLite file or PostgreSQL table with SQL alone,
then a freshly started server (no cache) is asked: it answers
``503 integrity_violation`` and never the state the attacker wanted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from application.ledger import IntegrityViolationError
from domain.roles import StaffRole
from domain.seller_account import SellerAccount
from infrastructure.keys import cipher_keys, random_key, rotate
from interface.app import create_app
from interface.composition import build_services
from tests.api.helpers import NEW_PASSWORD, PASSWORD, bearer, login, register, token_of
from tests.api.principals import enable_staff_two_step, staff_token
from tests.integrity.raw_store import RawStore

ATTACKER_PASSWORD = "Att4cker-Owns!Everything"


@pytest.fixture
def raw(settings: Any) -> Iterator[RawStore]:
    store = RawStore(settings)
    yield store
    store.close()


@pytest.fixture
def restart(settings: Any, clock: Any) -> Iterator[Any]:
    """Start the server again over the same store: nothing cached in memory."""
    opened: list[Any] = []

    def start() -> FlaskClient:
        services = build_services(settings, clock)
        opened.append(services)
        return create_app(services=services).test_client()

    yield start
    for services in opened:
        services.close()


def change_password(client: FlaskClient, username: str, old: str, new: str) -> None:
    token = token_of(client, username=username, password=old)
    response = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": old, "new_password": new},
    )
    assert response.status_code == 204, response.get_json()


def assert_integrity_violation(response: Any) -> None:
    assert response.status_code == 503, response.get_json()
    assert response.content_type == "application/problem+json"
    assert response.get_json()["code"] == "integrity_violation"


def test_another_accounts_password_change_copied_to_the_victim_never_signs_in(
    client, services, raw, restart, caplog
):
    victim = register(client, "Victim.Shop")["id"]
    attacker = register(client, "Attacker.Shop")["id"]
    change_password(client, "Attacker.Shop", PASSWORD, ATTACKER_PASSWORD)
    _, topic, state = raw.last("events", attacker, "PasswordChanged")
    next_version = raw.last("events", victim)[0] + 1

    raw.insert("events", victim, next_version, topic, state)

    caplog.set_level(logging.CRITICAL)
    for api in (client, restart()):  # the running server and a restarted one
        assert_integrity_violation(
            login(api, username="Victim.Shop", password=ATTACKER_PASSWORD)
        )
        assert_integrity_violation(
            login(api, username="Victim.Shop", password=PASSWORD)
        )
    assert any(
        r.levelno == logging.CRITICAL and "integrity violation" in r.getMessage()
        for r in caplog.records
    )
    with pytest.raises(IntegrityViolationError):
        services.ledger.load(UUID(victim), SellerAccount)


def test_an_old_snapshot_moved_to_the_current_version_does_not_turn_two_step_off(
    client, services, clock, raw, restart
):
    victim = register(client, "Victim.Shop")["id"]
    ledger = services.ledger
    victim_id = UUID(victim)
    ledger.take_snapshot(victim_id)  # two-step still off here
    enable_staff_two_step(client, token_of(client, username="Victim.Shop"), clock)
    ledger.take_snapshot(victim_id)
    old_version, old_topic, old_state = raw.records("snapshots", victim)[0]
    current = raw.records("snapshots", victim)[-1][0]
    assert current > old_version
    assert login(restart(), username="Victim.Shop").status_code == 202  # challenged

    raw.overwrite("snapshots", victim, current, old_topic, old_state)

    api = restart()
    assert_integrity_violation(login(api, username="Victim.Shop"))
    auditor = bearer(staff_token(api, build_services_of(api), clock, StaffRole.AUDITOR))
    assert_integrity_violation(
        api.get(f"/api/v1/audit/aggregates/{victim}/state", headers=auditor)
    )


def test_an_event_copied_over_another_aggregates_event_is_refused(client, raw, restart):
    victim = register(client, "Victim.Shop")["id"]
    attacker = register(client, "Attacker.Shop")["id"]
    change_password(client, "Victim.Shop", PASSWORD, NEW_PASSWORD)
    change_password(client, "Attacker.Shop", PASSWORD, ATTACKER_PASSWORD)
    version, topic, state = raw.last("events", attacker, "PasswordChanged")
    victim_version, victim_topic, _ = raw.last("events", victim, "PasswordChanged")
    assert (version, topic) == (victim_version, victim_topic)

    raw.overwrite("events", victim, version, topic, state)

    api = restart()
    assert_integrity_violation(
        login(api, username="Victim.Shop", password=ATTACKER_PASSWORD)
    )
    assert_integrity_violation(
        login(api, username="Victim.Shop", password=NEW_PASSWORD)
    )


def test_an_event_row_copied_into_the_snapshot_table_is_not_a_snapshot(
    client, services, raw, restart
):
    victim = register(client, "Victim.Shop")["id"]
    change_password(client, "Victim.Shop", PASSWORD, NEW_PASSWORD)
    version, topic, state = raw.last("events", victim)

    raw.insert("snapshots", victim, version, topic, state)

    assert_integrity_violation(
        login(restart(), username="Victim.Shop", password=NEW_PASSWORD)
    )


def test_records_sealed_under_a_rotated_key_and_the_old_one_both_load(
    client, settings, restart
):
    register(client, "Old.Key.Shop")
    rotate(settings.secret_key_file, random_key)
    assert len(cipher_keys(settings)) == 2

    api = restart()
    register(api, "New.Key.Shop")
    change_password(api, "Old.Key.Shop", PASSWORD, NEW_PASSWORD)

    again = restart()
    assert (
        login(again, username="Old.Key.Shop", password=NEW_PASSWORD).status_code == 201
    )
    assert login(again, username="New.Key.Shop").status_code == 201


def build_services_of(api: FlaskClient) -> Any:
    return api.application.extensions["sellerguard"]
