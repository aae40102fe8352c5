"""Recent sign-in for sensitive operations, two-step changes, client addresses."""

from __future__ import annotations

import dataclasses
import ipaddress

import pytest

from domain.roles import Role
from infrastructure.totp import Totp
from interface.app import create_app
from tests.api.helpers import PASSWORD, bearer, login, register, token_of

TOTP = Totp()
STEP_UP = 'Bearer error="insufficient_user_authentication", max_age=300'
CLERK = {
    "username": "Clerk.One",
    "email": "clerk@example.com",
    "role": Role.CUSTOMER_SERVICE_AGENT.value,
    "password": "Bl0ssom-Tide!Harbor",
}


@pytest.fixture
def token(client):
    register(client)
    return token_of(client)


def turn_on_two_step(client, token, clock):
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]
    client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": TOTP.code_at(secret, clock.now())},
    )
    clock.advance(seconds=30)
    return secret


def reauthenticate(client, token, **body):
    return client.post(
        "/api/v1/sessions/current/reauthenticate", headers=bearer(token), json=body
    )


def assert_step_up_refusal(response):
    assert response.status_code == 401
    assert response.get_json()["code"] == "reauthentication_required"
    assert response.headers["WWW-Authenticate"] == STEP_UP


def test_an_old_sign_in_cannot_create_a_sub_account(client, token, clock):
    clock.advance(minutes=5, seconds=1)

    refused = client.post("/api/v1/sub-accounts", headers=bearer(token), json=CLERK)

    assert_step_up_refusal(refused)
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token)).get_json()
    assert listed["items"] == []


def test_reauthenticating_allows_it_again(client, token, clock):
    clock.advance(minutes=20)
    renewed = reauthenticate(client, token, password=PASSWORD)

    created = client.post("/api/v1/sub-accounts", headers=bearer(token), json=CLERK)

    assert renewed.status_code == 200
    assert renewed.get_json()["auth_time"] == "2026-03-03T14:22:00.000000Z"
    assert created.status_code == 201


def test_granting_main_administrator_needs_a_recent_sign_in(client, token, clock):
    clerk = client.post("/api/v1/sub-accounts", headers=bearer(token), json=CLERK)
    path = f"/api/v1/sub-accounts/{clerk.get_json()['id']}"
    clock.advance(minutes=6)
    token = login(client).get_json()["token"]  # a fresh session for the idle limit
    clock.advance(minutes=6)

    other_role = client.patch(
        path, headers=bearer(token), json={"role": Role.FINANCE_SPECIALIST.value}
    )
    admin = client.patch(
        path, headers=bearer(token), json={"role": Role.MAIN_ADMINISTRATOR.value}
    )

    assert other_role.status_code == 200
    assert_step_up_refusal(admin)


def test_turning_two_step_off_needs_a_recent_sign_in_and_the_code(client, token, clock):
    secret = turn_on_two_step(client, token, clock)
    clock.advance(minutes=6)
    body = {"password": PASSWORD, "code": TOTP.code_at(secret, clock.now())}

    refused = client.delete("/api/v1/me/two-step", headers=bearer(token), json=body)
    without_code = reauthenticate(client, token, password=PASSWORD)
    renewed = reauthenticate(client, token, **body)
    clock.advance(seconds=30)
    body["code"] = TOTP.code_at(secret, clock.now())
    allowed = client.delete("/api/v1/me/two-step", headers=bearer(token), json=body)

    assert_step_up_refusal(refused)
    assert without_code.get_json()["code"] == "invalid_code"
    assert renewed.status_code == 200
    assert allowed.status_code == 204


def test_enrolling_again_while_on_needs_a_recent_sign_in(client, token, clock):
    turn_on_two_step(client, token, clock)
    clock.advance(minutes=6)

    assert_step_up_refusal(client.post("/api/v1/me/two-step", headers=bearer(token)))


def test_turning_two_step_on_ends_every_other_session(client, token, clock):
    password_only = token_of(client, device_id="tablet")

    turn_on_two_step(client, token, clock)

    assert client.get("/api/v1/me", headers=bearer(password_only)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_turning_two_step_off_ends_every_other_session(client, token, clock):
    secret = turn_on_two_step(client, token, clock)
    challenge_id = login(client, device_id="tablet").get_json()["challenge_id"]
    other = client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge_id, "code": TOTP.code_at(secret, clock.now())},
    ).get_json()["token"]
    clock.advance(seconds=30)

    client.delete(
        "/api/v1/me/two-step",
        headers=bearer(token),
        json={"password": PASSWORD, "code": TOTP.code_at(secret, clock.now())},
    )

    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


# Client addresses behind trusted proxies


@pytest.fixture
def proxied(services):
    settings = dataclasses.replace(
        services.settings,
        trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),),
    )
    client = create_app(settings=settings, services=services).test_client()
    register(client)
    return client


def history_ips(client):
    token = login(client, ip="10.0.0.1").get_json()["token"]
    items = client.get("/api/v1/me/logins", headers=bearer(token)).get_json()["items"]
    return [i["ip"] for i in items][1:]


def wrong_login(client, peer, forwarded):
    client.post(
        "/api/v1/sessions",
        json={"username": "Shop.One", "password": "Wrong-Pass-1!x"},
        headers={"X-Forwarded-For": forwarded},
        environ_base={"REMOTE_ADDR": peer},
    )


def test_a_trusted_proxy_names_the_client(proxied):
    wrong_login(proxied, "10.0.0.2", "203.0.113.5, 10.1.1.1")

    assert history_ips(proxied) == ["203.0.113.5"]


def test_anyone_else_cannot_choose_their_address(proxied):
    wrong_login(proxied, "198.51.100.77", "203.0.113.5")

    assert history_ips(proxied) == ["198.51.100.77"]


def test_a_spoofed_hop_left_of_the_real_client_is_ignored(proxied):
    wrong_login(proxied, "10.0.0.2", "1.2.3.4, 203.0.113.8")

    assert history_ips(proxied) == ["203.0.113.8"]
