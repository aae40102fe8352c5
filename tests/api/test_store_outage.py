"""A database that is down, or whose connections were cut, is answered 503
with Retry-After (never 500, never a false 409), /readyz tells the truth,
and service resumes without a restart (PostgreSQL through a TCP proxy)."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interface.app import create_app
from interface.composition import Services
from scripts.tcp_proxy import TcpProxy
from tests import proxied_store
from tests.api.helpers import bearer, register, token_of

pytestmark = pytest.mark.postgres

proxy = proxied_store.proxy
proxied_services = proxied_store.proxied_services


@pytest.fixture
def client(proxied_services: Services) -> FlaskClient:
    app: Flask = create_app(services=proxied_services)
    return app.test_client()


@pytest.fixture
def token(client: FlaskClient) -> str:
    register(client)
    return token_of(client)


def new_employee(client: FlaskClient, token: str, username: str):
    return client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "role": "finance_specialist",
            "password": "Bl0ssom-Tide!Harbor",
        },
    )


def until_ready(client: FlaskClient, within: float = 10.0) -> int:
    """Ask /readyz until it says ready (or ``within`` seconds pass)."""
    deadline = time.monotonic() + within
    while True:
        status = client.get("/readyz").status_code
        if status == 200 or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_requests_on_a_dead_database_are_503_with_retry_after(client, token, proxy):
    proxy.refuse()

    answers = [
        client.get("/api/v1/me", headers=bearer(token)),
        new_employee(client, token, "Emp.Down"),
        client.post(
            "/api/v1/sellers",
            json={
                "username": "Shop.Two",
                "email": "two@example.com",
                "password": "Corr3ct-Horse!Battery",
            },
        ),
    ]

    for answer in answers:
        assert answer.status_code == 503, answer.get_json()
        assert answer.get_json()["code"] == "service_unavailable"
        assert int(answer.headers["Retry-After"]) > 0


def test_readyz_is_503_while_the_database_refuses_and_200_when_it_is_back(
    client, token, proxy
):
    assert client.get("/readyz").status_code == 200
    proxy.refuse()

    down = client.get("/readyz")

    assert down.status_code == 503
    assert down.get_json()["failing"] == ["event_store"]
    proxy.start()
    assert until_ready(client) == 200
    # The first write after the outage succeeds: no dead connection is used.
    assert new_employee(client, token, "Emp.Back").status_code == 201


def test_connections_cut_under_the_pool_are_replaced_not_used(client, token, proxy):
    assert new_employee(client, token, "Emp.One").status_code == 201

    assert proxy.cut_all() > 0

    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/sub-accounts", headers=bearer(token)).status_code == 200
    assert new_employee(client, token, "Emp.Two").status_code == 201
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token)).get_json()
    assert sorted(item["username"] for item in listed["items"]) == [
        "Emp.One",
        "Emp.Two",
    ]


def test_a_commit_nobody_can_confirm_is_503_and_then_found_saved(
    client, token, proxy: TcpProxy
):
    cut = proxy.break_next_commit("after_commit", then_refuse=True)

    unknown = new_employee(client, token, "Emp.Unsure")

    assert cut.is_set()
    assert unknown.status_code == 503
    assert "may or may not" in unknown.get_json()["detail"]
    proxy.start()
    assert until_ready(client) == 200
    # It had landed: asking again for the same name is (truly) taken.
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token)).get_json()
    assert [item["username"] for item in listed["items"]] == ["Emp.Unsure"]
    assert new_employee(client, token, "Emp.Unsure").status_code == 409


def employee_with_key(client: FlaskClient, token: str, username: str):
    return client.post(
        "/api/v1/sub-accounts",
        headers={**bearer(token), "Idempotency-Key": f"key-of-{username}"},
        json={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "role": "finance_specialist",
            "password": "Bl0ssom-Tide!Harbor",
        },
    )


@pytest.mark.parametrize("fault", ["after_commit", "instead_of_commit"])
def test_a_retry_with_its_key_settles_a_commit_nobody_could_confirm(
    client, token, proxy: TcpProxy, clock, fault
):
    """The connection is cut at the COMMIT and the database then refuses, so
    neither the outcome nor the end of the attempt can be stored. Once the
    database is back, the retry with the same key answers the account that
    landed (or creates the one that did not), exactly once, never 409
    username_taken for the caller's own account."""
    # The ledger's commit (not the key's claim, committed before it).
    cut = proxy.break_next_commit(fault, then_refuse=True, after=b"_events")
    unknown = employee_with_key(client, token, "Emp.Unsure")
    assert cut.is_set()
    assert unknown.status_code == 503
    assert "may or may not" in unknown.get_json()["detail"]
    proxy.start()
    assert until_ready(client) == 200

    # The attempt could not be marked ended: a retry waits a few seconds.
    waiting = employee_with_key(client, token, "Emp.Unsure")
    clock.advance(seconds=6)
    retried = employee_with_key(client, token, "Emp.Unsure")

    assert waiting.status_code == 409
    assert waiting.get_json()["code"] == "idempotency_key_in_use"
    assert retried.status_code == 201, retried.get_json()
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token)).get_json()
    assert [(i["id"], i["username"]) for i in listed["items"]] == [
        (retried.get_json()["id"], "Emp.Unsure")
    ]
