"""The caller's own security: password, two-step verification, self-freeze."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

from infrastructure.totp import Totp
from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    bearer,
    login,
    token_of,
)

TOTP = Totp()


def enable_two_step(client, token, clock):
    enrolment = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()
    code = TOTP.code_at(enrolment["secret"], clock.now())
    confirmed = client.post(
        "/api/v1/me/two-step/confirm", json={"code": code}, headers=bearer(token)
    )
    assert confirmed.status_code == 200
    clock.advance(seconds=30)  # the confirming code's step is spent
    return enrolment["secret"], confirmed.get_json()["recovery_codes"]


def test_changing_the_password_ends_every_other_session(client, token):
    other = token_of(client, device_id="tablet")

    response = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    assert login(client).status_code == 401
    assert login(client, password=NEW_PASSWORD).status_code == 201


def test_the_owner_is_alerted_of_a_password_change(client, token):
    client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    alerts = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()

    assert [a["kind"] for a in alerts["items"]] == ["password_changed"]


def test_a_wrong_current_password_is_forbidden_and_changes_nothing(client, token):
    response = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": "Not-The-One-1!", "new_password": NEW_PASSWORD},
    )

    # 403, not 401: the caller is still signed in (401 would sign the front end out)
    assert (response.status_code, response.get_json()["code"]) == (
        403,
        "invalid_credentials",
    )
    assert "username" not in response.get_json()["detail"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert login(client).status_code == 201


def test_a_new_password_must_meet_the_policy(client, token):
    response = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": PASSWORD, "new_password": "abcd1234"},
    )

    assert response.status_code == 422
    assert response.get_json()["code"] == "password_policy"


def test_none_of_the_last_ten_passwords_may_come_back(client, token):
    passwords = [f"Gr33n-Meadow!{n}x" for n in range(10)]
    current = PASSWORD
    for new in passwords:
        assert (
            client.post(
                "/api/v1/me/password",
                headers=bearer(token),
                json={"current_password": current, "new_password": new},
            ).status_code
            == 204
        )
        current = new

    reused = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": current, "new_password": passwords[1]},
    )
    eleventh_back = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": current, "new_password": PASSWORD},
    )

    assert reused.status_code == 422
    assert "password_reused" in [v["code"] for v in reused.get_json()["violations"]]
    assert eleventh_back.status_code == 204  # the first one is 11 passwords back


def test_enrolment_offers_a_secret_a_uri_and_a_qr_code(client, token):
    response = client.post("/api/v1/me/two-step", headers=bearer(token))

    assert response.status_code == 200
    enrolment = response.get_json()
    uri = urlsplit(enrolment["provisioning_uri"])
    assert uri.scheme == "otpauth"
    assert parse_qs(uri.query)["secret"] == [enrolment["secret"]]
    assert ET.fromstring(enrolment["qr_svg"]).tag.endswith("svg")
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["two_step_enabled"] is False  # not before a code confirms it


def test_a_wrong_confirmation_code_leaves_two_step_off(client, token, clock):
    client.post("/api/v1/me/two-step", headers=bearer(token))

    response = client.post(
        "/api/v1/me/two-step/confirm", json={"code": "000000"}, headers=bearer(token)
    )

    assert (response.status_code, response.get_json()["code"]) == (403, "invalid_code")
    assert login(client).status_code == 201


def test_with_two_step_on_a_password_alone_gets_a_challenge(client, token, clock):
    secret, codes = enable_two_step(client, token, clock)

    challenge = login(client)

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert challenge.status_code == 202
    assert set(challenge.get_json()["methods"]) == {"totp", "recovery_code"}
    answer = client.post(
        "/api/v1/sessions/challenge",
        json={
            "challenge_id": challenge.get_json()["challenge_id"],
            "code": TOTP.code_at(secret, clock.now()),
        },
    )
    assert answer.status_code == 201
    assert answer.get_json()["principal"]["kind"] == "seller"


def answer(client, challenge, code):
    return client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": challenge.get_json()["challenge_id"], "code": code},
    )


def test_a_replayed_code_is_refused(client, token, clock):
    secret, _ = enable_two_step(client, token, clock)
    code = TOTP.code_at(secret, clock.now())
    assert answer(client, login(client), code).status_code == 201

    replayed = answer(client, login(client), code)

    assert (replayed.status_code, replayed.get_json()["code"]) == (401, "invalid_code")
    clock.advance(seconds=30)
    assert (
        answer(client, login(client), TOTP.code_at(secret, clock.now())).status_code
        == 201
    )


def test_a_recovery_code_works_once(client, token, clock):
    _, codes = enable_two_step(client, token, clock)

    first = answer(client, login(client), codes[0].upper())
    again = answer(client, login(client), codes[0])

    assert first.status_code == 201
    assert again.status_code == 401
    assert answer(client, login(client), codes[1]).status_code == 201


def test_five_wrong_codes_void_the_challenge_but_never_lock_the_password(
    client, token, clock
):
    secret, _ = enable_two_step(client, token, clock)
    challenge = login(client)
    for _ in range(5):
        assert answer(client, challenge, "123456").status_code == 401

    right_too_late = answer(client, challenge, TOTP.code_at(secret, clock.now()))

    assert right_too_late.status_code == 401
    assert login(client).status_code == 202  # the password step is not locked


def test_a_challenge_expires_after_five_minutes(client, token, clock):
    secret, _ = enable_two_step(client, token, clock)
    challenge = login(client)
    clock.advance(minutes=5, seconds=1)

    late = answer(client, challenge, TOTP.code_at(secret, clock.now()))

    assert late.status_code == 401


def test_disabling_two_step_needs_the_password_and_a_code(client, token, clock):
    secret, _ = enable_two_step(client, token, clock)
    code = TOTP.code_at(secret, clock.now())

    no_password = client.delete(
        "/api/v1/me/two-step",
        headers=bearer(token),
        json={"password": "Wrong-Pass-1!x", "code": code},
    )
    no_code = client.delete(
        "/api/v1/me/two-step",
        headers=bearer(token),
        json={"password": PASSWORD, "code": "000000"},
    )
    both = client.delete(
        "/api/v1/me/two-step",
        headers=bearer(token),
        json={"password": PASSWORD, "code": code},
    )

    assert no_password.get_json()["code"] == "invalid_credentials"
    assert no_code.get_json()["code"] == "invalid_code"
    assert both.status_code == 204
    assert login(client).status_code == 201
    kinds = [
        a["kind"]
        for a in client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()[
            "items"
        ]
    ]
    # Signing in again without the device token is a new device.
    assert kinds == ["new_device_login", "two_step_disabled", "two_step_enabled"]


def test_enrolling_twice_while_on_is_409(client, token, clock):
    enable_two_step(client, token, clock)

    response = client.post("/api/v1/me/two-step", headers=bearer(token))

    assert (response.status_code, response.get_json()["code"]) == (
        409,
        "two_step_already_enabled",
    )


def test_self_freeze_ends_every_session_and_blocks_sign_in(client, token):
    other = token_of(client, device_id="tablet")

    response = client.post(
        "/api/v1/me/freeze", json={"reason": "phished"}, headers=bearer(token)
    )

    assert response.status_code == 202
    assert response.get_json()["status"] == "frozen"
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 401
    frozen = login(client)
    assert (frozen.status_code, frozen.get_json()["code"]) == (403, "account_frozen")
    assert login(client, password="Wrong-Pass-1!x").status_code == 401


def test_a_frozen_account_is_alerted(client, seller, token):
    client.post("/api/v1/me/freeze", json={"reason": "phished"}, headers=bearer(token))
    services = client.application.extensions["sellerguard"]
    services.read_models.catch_up()

    (alert,) = services.views.items("alerts", seller["id"], limit=10)

    assert alert.data["kind"] == "account_frozen"
    assert alert.data["severity"] == "critical"
