"""Guessing attacks replayed against the API, and seen stopped.

Each test is an attack from issue 12: the code guessed through fresh
challenges, passwords spread over many addresses, a stolen session used to
guess, a copied User-Agent passing for a known device.
"""

from __future__ import annotations

import pytest

from tests.api.helpers import (
    NEW_PASSWORD,
    OWNER_IP,
    PASSWORD,
    TOTP,
    WRONG,
    answer,
    bearer,
    challenge,
    login,
    register,
    token_of,
    turn_on_two_step,
)


@pytest.fixture
def owner(client, seller):
    """The owner's session and device token, from their usual laptop."""
    grant = login(client).get_json()
    return grant["token"], grant["device_token"]


def kinds_of_alerts(client, token):
    items = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()["items"]
    return [a["kind"] for a in items]


def outcomes(client, token):
    items = client.get(
        "/api/v1/me/logins", headers=bearer(token), query_string={"limit": 500}
    ).get_json()["items"]
    return [i["outcome"] for i in items]


def guess_codes(client, secret, clock, ip_of=lambda n: OWNER_IP):
    """Ten wrong codes, five to a challenge (the fifth voids it)."""
    statuses, challenge_id = [], ""
    for n in range(10):
        if n % 5 == 0:
            challenge_id = challenge(client, ip_of(n))
        statuses.append(
            answer(client, challenge_id, wrong_code(secret, clock), ip_of(n))
        )
    return statuses


def wrong_code(secret, clock):
    right = TOTP.code_at(secret, clock.now())
    return "000000" if right != "000000" else "111111"


# The code guessed through fresh challenges from many addresses


def test_code_guessing_across_challenges_locks_the_second_step(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret
    statuses = guess_codes(client, secret, clock, lambda n: f"203.0.113.{n}")

    right = answer(
        client, challenge(client, "203.0.113.99"), TOTP.code_at(secret, clock.now())
    )

    assert {s.status_code for s in statuses} == {401}
    assert (right.status_code, right.get_json()["code"]) == (401, "invalid_code")
    assert right.get_json() == statuses[0].get_json()


def test_the_locked_second_step_opens_after_fifteen_minutes(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret
    guess_codes(client, secret, clock)

    clock.advance(minutes=14)
    still = answer(
        client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now())
    )
    clock.advance(minutes=1, seconds=30)
    later = answer(
        client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now())
    )

    assert still.status_code == 401
    assert later.status_code == 201


def test_a_second_lock_within_a_day_lasts_twice_as_long(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret
    for _ in range(2):
        guess_codes(client, secret, clock)
        clock.advance(minutes=16)

    clock.advance(minutes=10)  # 26 minutes into the second lock of 30
    still = answer(
        client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now())
    )
    clock.advance(minutes=5)
    later = answer(
        client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now())
    )

    assert still.status_code == 401
    assert later.status_code == 201


def test_a_failed_second_step_alerts_the_owner_at_most_hourly(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret

    for _ in range(3):
        answer(client, challenge(client, "203.0.113.7"), wrong_code(secret, clock))
    clock.advance(minutes=61)
    answer(client, challenge(client, "203.0.113.7"), wrong_code(secret, clock))
    clock.advance(seconds=30)
    token = answer(
        client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now())
    ).get_json()["token"]

    alerts = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()["items"]
    failed = [a for a in alerts if a["kind"] == "second_step_failed"]
    assert len(failed) == 2
    assert {a["severity"] for a in failed} == {"high"}
    assert "203.0.113.7" in failed[0]["detail"]
    assert outcomes(client, token).count("second_step_failed") == 4


def test_codes_refused_while_locked_are_in_the_history_as_locked(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret
    guess_codes(client, secret, clock)

    answer(client, challenge(client, OWNER_IP), TOTP.code_at(secret, clock.now()))

    assert outcomes(client, token)[0] == "locked"


def test_challenge_answers_are_rate_limited_per_address(client, seller):
    statuses = [
        answer(client, "nope", "123456", ip="203.0.113.50").status_code
        for _ in range(31)
    ]

    assert statuses[:30] == [401] * 30
    assert statuses[30] == 429


# Wrong passwords spread over many addresses


def spread_guesses(client, count=20, first_address=0):
    for n in range(count):  # four per address: under the per-address lockout
        ip = f"192.0.2.{first_address + n // 4}"
        response = login(client, password=WRONG, ip=ip, device_id=None)
        assert response.status_code == 401


def test_spread_out_guessing_throttles_unknown_devices(client, owner):
    spread_guesses(client)

    thief = login(client, ip="192.0.2.200", device_id=None)
    wrong = login(client, password=WRONG, ip="192.0.2.201", device_id=None)

    assert thief.status_code == 401
    assert thief.get_json() == wrong.get_json()


def test_the_owners_known_device_still_signs_in_while_throttled(client, owner):
    _, device_token = owner
    spread_guesses(client)

    response = login(client, device_token=device_token, ip="198.51.100.99")

    assert response.status_code == 201
    assert response.get_json()["device_token"] == device_token


def test_the_throttle_is_recorded_alerted_once_and_ends(client, owner, clock):
    token, _ = owner
    spread_guesses(client, 25)
    refused = [login(client, ip=f"192.0.2.{200 + n}").status_code for n in range(3)]

    clock.advance(minutes=15, seconds=1)
    allowed = login(client, ip="192.0.2.210")

    assert refused == [401, 401, 401]
    assert allowed.status_code == 201
    assert outcomes(client, token)[1:4] == ["locked"] * 3
    assert kinds_of_alerts(client, token).count("password_guessing") == 1


def test_guesses_spread_beyond_an_hour_throttle_nothing(client, owner, clock):
    for n in range(19):
        login(client, password=WRONG, ip=f"192.0.2.{n // 4}", device_id=None)
        clock.advance(minutes=4)

    assert login(client, ip="192.0.2.200").status_code == 201


def test_a_second_throttle_within_a_day_lasts_twice_as_long(client, owner, clock):
    spread_guesses(client)
    clock.advance(minutes=16)
    spread_guesses(client, first_address=100)

    clock.advance(minutes=29)
    still = login(client, ip="192.0.2.220")
    clock.advance(minutes=2)
    later = login(client, ip="192.0.2.221")

    assert still.status_code == 401
    assert later.status_code == 201


# Guessing with a stolen session


def test_guessing_the_password_with_a_stolen_session_ends_it(client, owner):
    token, _ = owner
    thief = token_of(client, ip="203.0.113.66", device_id="thief")

    answers = [
        client.post(
            "/api/v1/me/password",
            headers=bearer(thief),
            json={"current_password": f"{WRONG}{n}", "new_password": NEW_PASSWORD},
        )
        for n in range(5)
    ]
    after = client.get("/api/v1/me", headers=bearer(thief))

    assert [a.status_code for a in answers] == [403] * 5
    assert {a.get_json()["code"] for a in answers} == {"invalid_credentials"}
    assert (after.status_code, after.get_json()["code"]) == (401, "unauthorized")
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert "session_guessing" in kinds_of_alerts(client, token)


def test_guessing_codes_with_a_stolen_session_ends_it(client, owner, clock):
    token, _ = owner
    secret = turn_on_two_step(client, token, clock).secret
    thief = client.post(
        "/api/v1/sessions/challenge",
        json={
            "challenge_id": challenge(client, "203.0.113.66"),
            "code": TOTP.code_at(secret, clock.now()),
        },
    ).get_json()["token"]

    answers = [
        client.delete(
            "/api/v1/me/two-step",
            headers=bearer(thief),
            json={"password": PASSWORD, "code": wrong_code(secret, clock)},
        )
        for _ in range(5)
    ]

    assert [(a.status_code, a.get_json()["code"]) for a in answers] == [
        (403, "invalid_code")
    ] * 5
    assert client.get("/api/v1/me", headers=bearer(thief)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_a_right_answer_starts_the_count_over(client, owner):
    token, _ = owner
    for _ in range(4):
        client.post(
            "/api/v1/sessions/current/reauthenticate",
            headers=bearer(token),
            json={"password": WRONG},
        )
    right = client.post(
        "/api/v1/sessions/current/reauthenticate",
        headers=bearer(token),
        json={"password": PASSWORD},
    )
    for _ in range(4):
        client.post(
            "/api/v1/sessions/current/reauthenticate",
            headers=bearer(token),
            json={"password": WRONG},
        )

    assert right.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_reauthentication_guesses_count_towards_the_account_throttle(client, owner):
    thieves = [token_of(client, ip=f"203.0.113.{n}", device_id=None) for n in range(5)]
    for thief in thieves:
        for _ in range(4):
            client.post(
                "/api/v1/sessions/current/reauthenticate",
                headers=bearer(thief),
                json={"password": WRONG},
            )

    assert login(client, ip="192.0.2.250").status_code == 401


# New devices are judged by the server's device token, not what clients say


def test_a_copied_user_agent_and_device_id_are_a_new_device(client, owner):
    token, _ = owner
    agent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"
    for n in range(3):
        login(client, ip=f"203.0.113.{n}", device_id="laptop-1", user_agent=agent)

    assert kinds_of_alerts(client, token).count("new_device_login") == 3


def test_the_first_sign_in_and_known_devices_raise_no_alert(client, owner):
    token, device_token = owner
    again = login(client, device_token=device_token, ip="203.0.113.9")

    assert again.status_code == 201
    assert kinds_of_alerts(client, token) == []
    history = client.get("/api/v1/me/logins", headers=bearer(token)).get_json()
    assert [i["new_device"] for i in history["items"]] == [False, False]


def test_a_forged_device_token_is_a_new_device(client, owner):
    token, device_token = owner

    response = login(client, device_token=device_token[:-4] + "AAAA")

    assert response.get_json()["device_token"] != device_token
    assert kinds_of_alerts(client, token) == ["new_device_login"]


def test_a_device_token_of_another_account_is_a_new_device(client, owner):
    token, _ = owner
    register(client, "Shop.Two")
    other = login(client, username="Shop.Two").get_json()["device_token"]

    login(client, device_token=other)

    assert kinds_of_alerts(client, token) == ["new_device_login"]


def test_ending_a_session_forgets_its_device(client, owner):
    _, device_token = owner
    other = login(client, device_token=device_token).get_json()["token"]
    sessions = client.get("/api/v1/me/sessions", headers=bearer(other)).get_json()
    first = next(s for s in sessions["items"] if not s["current"])

    client.delete(f"/api/v1/me/sessions/{first['id']}", headers=bearer(other))
    again = login(client, device_token=device_token)

    assert again.get_json()["device_token"] != device_token
    assert kinds_of_alerts(client, other) == ["new_device_login"]


def test_a_device_presented_to_the_challenge_stays_known(client, owner, clock):
    token, device_token = owner
    secret = turn_on_two_step(client, token, clock).secret
    response = login(client, device_token=device_token)
    grant = answer(
        client, response.get_json()["challenge_id"], TOTP.code_at(secret, clock.now())
    )
    clock.advance(seconds=30)
    replaced = grant.get_json()["device_token"]
    next_time = login(client, device_token=replaced)
    grant = answer(
        client, next_time.get_json()["challenge_id"], TOTP.code_at(secret, clock.now())
    )

    assert grant.status_code == 201
    assert replaced != device_token
    new_devices = [
        i["new_device"]
        for i in client.get(
            "/api/v1/me/logins", headers=bearer(grant.get_json()["token"])
        ).get_json()["items"]
    ]
    assert new_devices == [False, False, False]
