"""Signing in: sessions, lockout, login history and alerts, over the HTTP API."""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    OTHER_IP,
    OWNER_IP,
    PASSWORD,
    bearer,
    login,
    register,
    token_of,
)


@pytest.fixture
def seller(client):
    return register(client)


def test_a_seller_signs_in_and_sees_their_account(client, seller):
    response = login(client)

    assert response.status_code == 201
    grant = response.get_json()
    assert grant["principal"] == {"id": seller["id"], "kind": "seller", "role": None}
    assert grant["expires_at"].endswith("Z")
    me = client.get("/api/v1/me", headers=bearer(grant["token"]))
    assert me.status_code == 200
    assert me.get_json()["username"] == "Shop.One"
    assert me.headers["ETag"] == f'"{me.get_json()["version"]}"'


def test_the_username_is_matched_in_any_letter_case(client, seller):
    assert login(client, username="SHOP.ONE").status_code == 201


def test_unknown_user_and_wrong_password_look_identical(client, seller):
    unknown = login(client, username="No.Such.Shop", password="Whatever-1!x")
    wrong = login(client, password="Wrong-Pass-1!x")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()
    assert unknown.get_json()["code"] == "invalid_credentials"
    assert unknown.mimetype == wrong.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-token",
        "Bearer sg1.nothex.abc.def",
        "Bearer sg1.00000000000000000000000000000000.a.b",
    ],
)
def test_a_missing_or_malformed_token_is_401(client, seller, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_forged_secret_with_a_real_session_id_is_401(client, seller):
    token = token_of(client)
    forged = token[: token.rindex(".") + 1] + "A" * 43

    assert client.get("/api/v1/me", headers=bearer(forged)).status_code == 401


def test_signing_out_ends_the_session(client, seller):
    token = token_of(client)

    assert (
        client.delete("/api/v1/sessions/current", headers=bearer(token)).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_session_idle_for_30_minutes_expires(client, seller, clock):
    token = token_of(client)
    clock.advance(minutes=29)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    clock.advance(minutes=31)

    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_busy_session_still_ends_after_12_hours(client, seller, clock):
    token = token_of(client)
    for _ in range(35):  # 11 h 40 min of activity every 20 minutes
        clock.advance(minutes=20)
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200

    clock.advance(minutes=21)

    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def fail_five_times(client, ip=OWNER_IP):
    for _ in range(5):
        assert login(client, password="Wrong-Pass-1!x", ip=ip).status_code == 401


def test_five_wrong_passwords_lock_that_address_out(client, seller):
    fail_five_times(client)

    locked = login(client)  # even the right password is refused now

    assert locked.status_code == 401
    assert locked.get_json() == login(client, username="Nobody.Here").get_json()


def test_a_lockout_does_not_lock_out_other_addresses(client, seller):
    fail_five_times(client, ip=OTHER_IP)

    assert login(client, ip=OWNER_IP).status_code == 201


def test_a_lockout_ends_after_15_minutes_then_doubles(client, seller, clock):
    fail_five_times(client)
    clock.advance(minutes=15, seconds=1)
    fail_five_times(client)  # the second lockout of this address
    clock.advance(minutes=15, seconds=1)

    assert login(client).status_code == 401  # 30 minutes this time

    clock.advance(minutes=15)
    assert login(client).status_code == 201


def test_the_owner_is_alerted_of_a_lockout_and_sees_it_in_the_history(
    client, seller, clock
):
    fail_five_times(client, ip=OTHER_IP)
    login(client, ip=OTHER_IP)
    token = token_of(client)

    alerts = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()
    history = client.get("/api/v1/me/logins", headers=bearer(token)).get_json()

    assert [a["kind"] for a in alerts["items"]] == ["login_locked"]
    assert OTHER_IP in alerts["items"][0]["detail"]
    outcomes = [(e["outcome"], e["ip"]) for e in history["items"]]
    assert (
        outcomes
        == [("succeeded", OWNER_IP), ("locked", OTHER_IP)] + [("failed", OTHER_IP)] * 5
    )


def test_a_forwarded_for_header_does_not_escape_a_lockout(client, seller):
    fail_five_times(client)

    response = client.post(
        "/api/v1/sessions",
        json={"username": "Shop.One", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": OWNER_IP},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )

    assert response.status_code == 401


def test_a_new_device_is_flagged_and_alerted(client, seller):
    token_of(client, device_id="laptop-1")
    token = token_of(client, device_id="phone-of-a-stranger")

    history = client.get("/api/v1/me/logins", headers=bearer(token)).get_json()
    alerts = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()

    assert [e["new_device"] for e in history["items"]] == [True, False]
    assert history["items"][0]["device_id"] == "phone-of-a-stranger"
    assert [a["kind"] for a in alerts["items"]] == ["new_device_login"]


def test_the_login_history_pages_with_a_cursor(client, seller):
    for _ in range(3):
        token = token_of(client)

    first = client.get("/api/v1/me/logins?limit=2", headers=bearer(token)).get_json()
    rest = client.get(
        f"/api/v1/me/logins?limit=2&cursor={first['next']}", headers=bearer(token)
    ).get_json()

    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "cursor=abc"])
def test_bad_paging_arguments_are_422(client, seller, query):
    token = token_of(client)

    response = client.get(f"/api/v1/me/logins?{query}", headers=bearer(token))

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_sessions_are_listed_and_one_can_be_revoked(client, seller):
    other = token_of(client, device_id="tablet")
    token = token_of(client)

    listed = client.get("/api/v1/me/sessions", headers=bearer(token)).get_json()
    assert [s["current"] for s in listed["items"]] == [True, False]
    other_id = listed["items"][1]["id"]

    assert (
        client.delete(
            f"/api/v1/me/sessions/{other_id}", headers=bearer(token)
        ).status_code
        == 204
    )
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    missing = client.delete(f"/api/v1/me/sessions/{other_id}", headers=bearer(token))
    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")


def test_a_session_list_never_shows_tokens(client, seller):
    token = token_of(client)

    listed = client.get("/api/v1/me/sessions", headers=bearer(token))

    assert token.rsplit(".", 1)[1] not in listed.get_data(as_text=True)


def test_too_many_sign_in_attempts_from_one_address_are_429(client, seller):
    statuses = [
        login(client, password="Wrong-Pass-1!x", ip=OTHER_IP).status_code
        for _ in range(31)
    ]

    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429
    last = login(client, ip=OTHER_IP)
    assert last.get_json()["code"] == "rate_limited"
    assert login(client, ip=OWNER_IP).status_code == 201  # others unaffected
