"""Signing in with a passkey, as the second step and without a password.

Real ceremonies: a software authenticator signs what the server asks, or
what an attacker would make it sign.
"""

from __future__ import annotations

import pytest

from domain.roles import StaffRole
from infrastructure.totp import Totp
from tests.api.helpers import (
    OTHER_IP,
    OWNER_IP,
    PASSWORD,
    bearer,
    login,
    register,
    token_of,
)
from tests.api.principals import STAFF_PASSWORD, staff_token
from tests.api.test_passkeys import add_passkey, alert_kinds
from tests.passkey_authenticator import SoftAuthenticator, b64url

PHISHING_SITE = "https://se11erguard-support.example"


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def shop(client, authenticator):
    """A shop owner with one passkey (and no authenticator app)."""
    register(client)
    token = token_of(client)
    passkey = add_passkey(client, token, authenticator)
    return {"token": token, "passkey": passkey}


def challenge(client, username="Shop.One", ip=OWNER_IP, password=PASSWORD):
    response = login(client, username=username, ip=ip, password=password)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def answer(client, started, credential, ip=OWNER_IP):
    return client.post(
        "/api/v1/sessions/challenge",
        json={"challenge_id": started["challenge_id"], "credential": credential},
        environ_base={"REMOTE_ADDR": ip},
    )


def passwordless_options(client, username=None, ip=OWNER_IP):
    body = {} if username is None else {"username": username}
    response = client.post(
        "/api/v1/sessions/passkey/options", json=body, environ_base={"REMOTE_ADDR": ip}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def passwordless(client, started, credential, ip=OWNER_IP, **extra):
    return client.post(
        "/api/v1/sessions/passkey",
        json={
            "challenge_id": started["challenge_id"],
            "credential": credential,
            **extra,
        },
        environ_base={"REMOTE_ADDR": ip},
    )


def logins(client, token):
    return client.get("/api/v1/me/logins", headers=bearer(token)).get_json()["items"]


def assert_refused(response, code):
    assert response.status_code == 401, response.get_json()
    assert response.get_json()["code"] == code
    assert "token" not in response.get_json()


# The second step


def test_a_password_sign_in_asks_for_the_passkey(client, shop, authenticator):
    started = challenge(client)

    options = started["passkey_options"]
    assert started["methods"] == ["passkey"]
    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert [c["id"] for c in options["allowCredentials"]] == [
        b64url(authenticator.only().id)
    ]


def test_a_passkey_answers_the_second_step(client, shop, authenticator):
    started = challenge(client)

    signed_in = answer(client, started, authenticator.get(started["passkey_options"]))

    assert signed_in.status_code == 201, signed_in.get_json()
    token = signed_in.get_json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert signed_in.get_json()["device_token"]
    (passkey,) = client.get("/api/v1/me/passkeys", headers=bearer(token)).get_json()[
        "items"
    ]
    assert passkey["last_used_at"] == "2026-03-03T14:02:00.000000Z"


def test_with_an_authenticator_app_too_every_method_is_offered(
    client, shop, authenticator, clock
):
    token = shop["token"]
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()
    client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": Totp().code_at(secret["secret"], clock.now())},
    )

    started = challenge(client)

    assert started["methods"] == ["totp", "recovery_code", "passkey"]
    signed_in = answer(client, started, authenticator.get(started["passkey_options"]))
    assert signed_in.status_code == 201


def test_a_second_step_assertion_works_once(client, shop, authenticator):
    started = challenge(client)
    credential = authenticator.get(started["passkey_options"])
    assert answer(client, started, credential).status_code == 201

    assert_refused(answer(client, started, credential), "invalid_code")


def test_a_second_step_signed_on_a_phishing_site_is_refused(
    client, shop, authenticator
):
    started = challenge(client)
    phished = authenticator.get(started["passkey_options"], origin=PHISHING_SITE)

    refused = answer(client, started, phished)

    assert_refused(refused, "invalid_code")
    outcomes = [entry["outcome"] for entry in logins(client, shop["token"])]
    assert outcomes[0] == "second_step_failed"
    assert "second_step_failed" in alert_kinds(client, shop["token"])


def test_a_second_step_for_another_relying_party_is_refused(
    client, shop, authenticator
):
    started = challenge(client)

    refused = answer(
        client,
        started,
        authenticator.get(started["passkey_options"], rp_id="evil.example"),
    )

    assert_refused(refused, "invalid_code")


def test_a_second_step_without_user_verification_is_refused(
    client, shop, authenticator
):
    started = challenge(client)

    refused = answer(
        client,
        started,
        authenticator.get(started["passkey_options"], user_verified=False),
    )

    assert_refused(refused, "invalid_code")


def test_a_second_step_after_five_minutes_is_refused(
    client, shop, authenticator, clock
):
    started = challenge(client)
    credential = authenticator.get(started["passkey_options"])
    clock.advance(minutes=5)

    assert_refused(answer(client, started, credential), "invalid_code")


def test_a_passkey_of_another_account_cannot_answer(client, shop, authenticator):
    register(client, "Other.Shop")
    thief = SoftAuthenticator()
    add_passkey(client, token_of(client, username="Other.Shop"), thief)
    started = challenge(client)

    refused = answer(client, started, thief.get(started["passkey_options"]))

    assert_refused(refused, "invalid_code")


def test_another_accounts_challenge_signed_by_my_passkey_is_refused(
    client, shop, authenticator
):
    register(client, "Other.Shop")
    add_passkey(client, token_of(client, username="Other.Shop"), SoftAuthenticator())
    theirs = challenge(client, username="Other.Shop")

    refused = answer(client, theirs, authenticator.get(theirs["passkey_options"]))

    assert_refused(refused, "invalid_code")


def test_a_counter_going_backwards_is_refused_and_alerted(client, shop, authenticator):
    first = challenge(client)
    first_answer = authenticator.get(first["passkey_options"], counter=7)
    assert answer(client, first, first_answer).status_code == 201
    second = challenge(client)

    cloned = answer(
        client, second, authenticator.get(second["passkey_options"], counter=3)
    )

    assert_refused(cloned, "invalid_code")
    assert "passkey_clone_suspected" in alert_kinds(client, shop["token"])


def test_staff_may_use_a_passkey_for_their_required_second_step(
    client, services, clock, authenticator
):
    staff = staff_token(client, services, clock, StaffRole.AUDITOR, two_step=False)
    refused = client.get("/api/v1/roles", headers=bearer(staff))
    add_passkey(client, staff, authenticator, "Security key")

    started = challenge(client, username="staff.auditor.new", password=STAFF_PASSWORD)
    signed_in = answer(client, started, authenticator.get(started["passkey_options"]))

    assert refused.get_json()["code"] == "two_step_required"
    assert started["methods"] == ["passkey"]
    assert signed_in.status_code == 201
    token = signed_in.get_json()["token"]
    assert client.get("/api/v1/roles", headers=bearer(token)).status_code == 200


# Without a password


def test_passwordless_options_name_no_credential(client, shop):
    options = passwordless_options(client)["options"]

    assert options["rpId"] == "localhost"
    assert options["userVerification"] == "required"
    assert options.get("allowCredentials", []) == []


def test_the_options_for_an_unknown_username_look_the_same(client, shop):
    known = passwordless_options(client, "Shop.One")
    unknown = passwordless_options(client, "No.Such.Shop")

    assert set(known) == set(unknown)
    assert set(known["options"]) == set(unknown["options"])


def test_a_passkey_alone_signs_in(client, shop, authenticator):
    started = passwordless_options(client)

    signed_in = passwordless(
        client, started, authenticator.get(started["options"]), device_id="phone-1"
    )

    assert signed_in.status_code == 201, signed_in.get_json()
    grant = signed_in.get_json()
    assert grant["principal"]["kind"] == "seller"
    assert grant["device_token"]
    assert client.get("/api/v1/me", headers=bearer(grant["token"])).status_code == 200
    newest = logins(client, grant["token"])[0]
    assert (newest["outcome"], newest["device_id"]) == ("succeeded", "phone-1")


def test_a_passkey_sign_in_with_a_username_signs_in_that_account(
    client, shop, authenticator
):
    started = passwordless_options(client, "shop.one")

    signed_in = passwordless(client, started, authenticator.get(started["options"]))

    assert signed_in.status_code == 201


def test_a_new_device_is_alerted_and_a_known_one_is_not(client, shop, authenticator):
    started = passwordless_options(client)
    first = passwordless(client, started, authenticator.get(started["options"]))
    again = passwordless_options(client)
    known = passwordless(
        client,
        again,
        authenticator.get(again["options"]),
        device_token=first.get_json()["device_token"],
    )

    assert known.status_code == 201
    assert alert_kinds(client, shop["token"]).count("new_device_login") == 1


def test_a_passwordless_challenge_works_once(client, shop, authenticator):
    started = passwordless_options(client)
    credential = authenticator.get(started["options"])
    assert passwordless(client, started, credential).status_code == 201

    assert_refused(passwordless(client, started, credential), "invalid_credentials")


def test_a_passwordless_challenge_lapses_after_five_minutes(
    client, shop, authenticator, clock
):
    started = passwordless_options(client)
    credential = authenticator.get(started["options"])
    clock.advance(minutes=5)

    assert_refused(passwordless(client, started, credential), "invalid_credentials")


def test_a_passkey_signed_on_a_phishing_site_is_refused_and_recorded(
    client, shop, authenticator
):
    started = passwordless_options(client)
    phished = authenticator.get(started["options"], origin=PHISHING_SITE)

    assert_refused(passwordless(client, started, phished), "invalid_credentials")
    assert logins(client, shop["token"])[0]["outcome"] == "failed"


def test_a_passkey_for_another_relying_party_is_refused(client, shop, authenticator):
    started = passwordless_options(client)
    elsewhere = authenticator.get(started["options"], rp_id="evil.example")

    assert_refused(passwordless(client, started, elsewhere), "invalid_credentials")


def test_a_passkey_without_user_verification_is_refused(client, shop, authenticator):
    started = passwordless_options(client)
    unverified = authenticator.get(started["options"], user_verified=False)

    assert_refused(passwordless(client, started, unverified), "invalid_credentials")


def test_a_challenge_for_another_account_is_refused(client, shop, authenticator):
    register(client, "Other.Shop")
    theirs = passwordless_options(client, "Other.Shop")

    refused = passwordless(client, theirs, authenticator.get(theirs["options"]))

    assert_refused(refused, "invalid_credentials")


def test_a_credential_of_another_account_is_refused(client, shop, authenticator):
    register(client, "Other.Shop")
    thief = SoftAuthenticator()
    add_passkey(client, token_of(client, username="Other.Shop"), thief)
    started = passwordless_options(client, "Shop.One")
    # The thief's own passkey, claiming to be the shop owner's.
    forged = thief.get(started["options"])
    forged["response"]["userHandle"] = authenticator.get(started["options"])[
        "response"
    ]["userHandle"]

    assert_refused(passwordless(client, started, forged), "invalid_credentials")


def test_a_passwordless_counter_going_backwards_is_refused_and_alerted(
    client, shop, authenticator
):
    first = passwordless_options(client)
    passwordless(client, first, authenticator.get(first["options"], counter=9))
    second = passwordless_options(client)

    cloned = passwordless(
        client, second, authenticator.get(second["options"], counter=9)
    )

    assert_refused(cloned, "invalid_credentials")
    assert "passkey_clone_suspected" in alert_kinds(client, shop["token"])
    assert logins(client, shop["token"])[0]["outcome"] == "failed"


def test_an_authenticator_without_a_counter_keeps_signing_in(client, shop):
    register(client, "Plain.Shop")
    keeps_none = SoftAuthenticator(counts=False)
    add_passkey(client, token_of(client, username="Plain.Shop"), keeps_none)

    for _ in range(2):
        started = passwordless_options(client)
        signed_in = passwordless(client, started, keeps_none.get(started["options"]))
        assert signed_in.status_code == 201


def test_an_address_locked_out_by_wrong_passwords_is_refused_the_passkey_too(
    client, shop, authenticator
):
    for _ in range(5):
        login(client, password="Wr0ng-Password!", ip=OTHER_IP)
    started = passwordless_options(client, ip=OTHER_IP)

    refused = passwordless(
        client, started, authenticator.get(started["options"]), ip=OTHER_IP
    )
    elsewhere = passwordless_options(client)
    allowed = passwordless(client, elsewhere, authenticator.get(elsewhere["options"]))

    assert_refused(refused, "invalid_credentials")
    assert allowed.status_code == 201
    assert "locked" in [e["outcome"] for e in logins(client, shop["token"])]


def test_a_frozen_shop_is_refused_after_a_right_passkey(client, shop, authenticator):
    client.post(
        "/api/v1/me/freeze", headers=bearer(shop["token"]), json={"reason": "stolen"}
    )
    started = passwordless_options(client)

    frozen = passwordless(client, started, authenticator.get(started["options"]))

    assert frozen.status_code == 403
    assert frozen.get_json()["code"] == "account_frozen"


def test_a_removed_passkey_no_longer_signs_in(client, shop, authenticator):
    client.delete(
        f"/api/v1/me/passkeys/{shop['passkey']['id']}", headers=bearer(shop["token"])
    )
    started = passwordless_options(client)

    refused = passwordless(client, started, authenticator.get(started["options"]))

    assert_refused(refused, "invalid_credentials")
    assert login(client, password=PASSWORD).status_code == 201  # password alone again


def test_garbage_credentials_are_refused_without_a_server_error(client, shop):
    for credential in ({}, {"id": 1}, {"response": {"userHandle": "!!"}}):
        started = passwordless_options(client)
        assert_refused(passwordless(client, started, credential), "invalid_credentials")
        second = challenge(client)
        assert_refused(answer(client, second, credential), "invalid_code")


EMPLOYEE = {
    "username": "anna",
    "email": "anna@example.com",
    "role": "customer_service_agent",
    "password": "Bl0ssom-Tide!Harbor",
}


@pytest.fixture
def employee(client, shop, authenticator):
    """An employee of the shop with a passkey of their own (no app)."""
    created = client.post(
        "/api/v1/sub-accounts", headers=bearer(shop["token"]), json=EMPLOYEE
    )
    assert created.status_code == 201, created.get_json()
    token = token_of(client, username="anna", password=EMPLOYEE["password"])
    own = SoftAuthenticator()
    add_passkey(client, token, own, "Anna's phone")
    return {"id": created.get_json()["id"], "authenticator": own}


def sign_in_employee(client, employee):
    started = passwordless_options(client, "anna")
    return passwordless(
        client, started, employee["authenticator"].get(started["options"])
    )


def test_an_employee_signs_in_with_their_passkey(client, employee):
    signed_in = sign_in_employee(client, employee)

    assert signed_in.status_code == 201
    assert signed_in.get_json()["principal"]["kind"] == "sub_account"


def test_the_owners_reset_of_an_employees_second_step_removes_their_passkeys(
    client, shop, employee
):
    owner = shop["token"]  # signed in moments ago

    reset = client.post(
        f"/api/v1/sub-accounts/{employee['id']}/reset-two-step", headers=bearer(owner)
    )

    assert reset.status_code == 200, reset.get_json()
    assert_refused(sign_in_employee(client, employee), "invalid_credentials")
    signed_in = login(client, username="anna", password=EMPLOYEE["password"])
    assert signed_in.status_code == 201  # the password alone, until they enrol again


def test_an_employee_whose_password_the_owner_reset_cannot_sign_in_with_a_passkey(
    client, shop, employee
):
    owner = shop["token"]

    client.post(
        f"/api/v1/sub-accounts/{employee['id']}/reset-password", headers=bearer(owner)
    )

    assert_refused(sign_in_employee(client, employee), "invalid_credentials")


# Reauthentication (recent sign-in) when a passkey is the second step


def reauthentication_options(client, token):
    response = client.post(
        "/api/v1/sessions/current/reauthenticate/options", headers=bearer(token)
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def reauthenticate(client, token, **body):
    return client.post(
        "/api/v1/sessions/current/reauthenticate",
        headers=bearer(token),
        json={"password": PASSWORD, **body},
    )


def test_a_stolen_session_and_password_cannot_step_up_without_the_passkey(
    client, shop, clock
):
    clock.advance(minutes=10)

    refused = reauthenticate(client, shop["token"])
    adding = client.post("/api/v1/me/passkeys/options", headers=bearer(shop["token"]))

    assert refused.status_code == 403, refused.get_json()
    assert refused.get_json()["code"] == "invalid_code"
    assert adding.get_json()["code"] == "reauthentication_required"


def test_the_passkey_renews_a_recent_sign_in(client, shop, authenticator, clock):
    clock.advance(minutes=10)
    started = reauthentication_options(client, shop["token"])

    renewed = reauthenticate(
        client,
        shop["token"],
        challenge_id=started["challenge_id"],
        credential=authenticator.get(started["options"]),
    )

    assert renewed.status_code == 200, renewed.get_json()
    assert renewed.get_json()["auth_time"] == "2026-03-03T14:12:00.000000Z"
    options = client.post("/api/v1/me/passkeys/options", headers=bearer(shop["token"]))
    assert options.status_code == 200


def test_a_reauthentication_passkey_from_a_phishing_site_or_replayed_is_refused(
    client, shop, authenticator, clock
):
    clock.advance(minutes=10)
    started = reauthentication_options(client, shop["token"])
    phished = authenticator.get(started["options"], origin=PHISHING_SITE)
    refused = reauthenticate(
        client, shop["token"], challenge_id=started["challenge_id"], credential=phished
    )
    again = reauthentication_options(client, shop["token"])
    good = authenticator.get(again["options"])
    first = reauthenticate(
        client, shop["token"], challenge_id=again["challenge_id"], credential=good
    )

    replayed = reauthenticate(
        client, shop["token"], challenge_id=again["challenge_id"], credential=good
    )

    assert refused.status_code == 403
    assert first.status_code == 200
    assert replayed.status_code == 403
    assert replayed.get_json()["code"] == "invalid_code"


def test_another_accounts_reauthentication_challenge_is_refused(
    client, shop, authenticator, clock
):
    register(client, "Other.Shop")
    other = token_of(client, username="Other.Shop")
    theirs = reauthentication_options(client, other)
    clock.advance(minutes=10)

    refused = reauthenticate(
        client,
        shop["token"],
        challenge_id=theirs["challenge_id"],
        credential=authenticator.get(theirs["options"]),
    )

    assert refused.status_code == 403
