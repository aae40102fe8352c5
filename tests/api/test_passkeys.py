"""Registering, listing, naming and removing passkeys, with real ceremonies.

A software authenticator (ES256 keys, CBOR, attestation ``none``) answers the
server's options the way a browser would, or the way an attacker would.
"""

from __future__ import annotations

import pytest

from domain.roles import StaffRole
from infrastructure.notifier import SmtpNotifier
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import staff_token
from tests.passkey_authenticator import SoftAuthenticator, b64url

STEP_UP = 'Bearer error="insufficient_user_authentication", max_age=300'


@pytest.fixture
def token(client):
    register(client)
    return token_of(client)


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


def options(client, token):
    response = client.post("/api/v1/me/passkeys/options", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def submit(client, token, started, credential, name="Laptop"):
    return client.post(
        "/api/v1/me/passkeys",
        headers=bearer(token),
        json={
            "challenge_id": started["challenge_id"],
            "name": name,
            "credential": credential,
        },
    )


def add_passkey(client, token, authenticator, name="Laptop"):
    started = options(client, token)
    created = submit(
        client, token, started, authenticator.create(started["options"]), name
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def listed(client, token):
    response = client.get("/api/v1/me/passkeys", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()["items"]


def alert_kinds(client, token):
    alerts = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()
    return [a["kind"] for a in alerts["items"]]


def assert_rejected(response, client, token):
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "passkey_rejected"
    assert listed(client, token) == []


def test_a_registered_passkey_is_listed_without_key_material(
    client, token, authenticator, clock
):
    created = add_passkey(client, token, authenticator, "Work laptop")

    (item,) = listed(client, token)
    assert item == created
    assert created["name"] == "Work laptop"
    assert created["created_at"] == "2026-03-03T14:02:00.000000Z"
    assert created["last_used_at"] is None
    assert set(created) == {"id", "name", "created_at", "last_used_at"}


def test_the_creation_options_ask_for_a_verified_user_on_the_configured_site(
    client, token
):
    started = options(client, token)["options"]

    assert started["rp"]["id"] == "localhost"
    assert started["authenticatorSelection"]["userVerification"] == "required"
    assert started["authenticatorSelection"]["residentKey"] == "required"
    assert started["attestation"] == "none"
    assert len(started["challenge"]) >= 43  # 32 random bytes, base64url


def test_a_second_registration_excludes_the_passkeys_already_there(
    client, token, authenticator
):
    add_passkey(client, token, authenticator)

    excluded = options(client, token)["options"]["excludeCredentials"]

    assert [c["id"] for c in excluded] == [b64url(authenticator.only().id)]


def test_adding_a_passkey_alerts_the_owner_and_mails_the_registered_address(
    client, token, authenticator, services, smtp_relay
):
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sg@example.com")

    add_passkey(client, token, authenticator, "Phone")
    services.read_models.catch_up()
    services.outbox.dispatch()

    assert "passkey_added" in alert_kinds(client, token)
    (mail,) = smtp_relay.to("shop.one@example.com")
    assert mail.subject == "A passkey was added to your account"
    assert '"Phone"' in mail.body


def test_a_passkey_from_another_origin_is_refused(client, token, authenticator):
    started = options(client, token)
    phished = authenticator.create(
        started["options"], origin="https://se11erguard.example"
    )

    assert_rejected(submit(client, token, started, phished), client, token)


def test_a_passkey_for_another_relying_party_is_refused(client, token, authenticator):
    started = options(client, token)
    elsewhere = authenticator.create(started["options"], rp_id="evil.example")

    assert_rejected(submit(client, token, started, elsewhere), client, token)


def test_a_passkey_without_user_verification_is_refused(client, token, authenticator):
    started = options(client, token)
    unverified = authenticator.create(started["options"], user_verified=False)

    assert_rejected(submit(client, token, started, unverified), client, token)


def test_a_challenge_the_server_did_not_issue_is_refused(client, token, authenticator):
    started = options(client, token)
    forged = authenticator.create(started["options"], challenge="A" * 43)

    assert_rejected(submit(client, token, started, forged), client, token)


def test_a_challenge_answers_once_only(client, token, authenticator):
    started = options(client, token)
    credential = authenticator.create(started["options"])
    assert submit(client, token, started, credential).status_code == 201

    replayed = submit(client, token, started, credential, "Again")

    assert replayed.status_code == 422
    assert replayed.get_json()["code"] == "passkey_rejected"
    assert [p["name"] for p in listed(client, token)] == ["Laptop"]


def test_a_refused_answer_spends_the_challenge_too(client, token, authenticator):
    started = options(client, token)
    submit(
        client,
        token,
        started,
        authenticator.create(started["options"], origin="https://x.example"),
    )

    retried = submit(client, token, started, authenticator.create(started["options"]))

    assert_rejected(retried, client, token)


def test_an_expired_challenge_is_refused(client, token, authenticator, clock):
    started = options(client, token)
    credential = authenticator.create(started["options"])
    clock.advance(minutes=5)
    client.post(
        "/api/v1/sessions/current/reauthenticate",
        headers=bearer(token),
        json={"password": "Corr3ct-Horse!Battery"},
    )

    assert_rejected(submit(client, token, started, credential), client, token)


def test_a_challenge_of_another_account_is_refused(client, token, authenticator):
    register(client, "Other.Shop")
    other = token_of(client, username="Other.Shop")
    theirs = options(client, other)

    stolen = submit(client, token, theirs, authenticator.create(theirs["options"]))

    assert_rejected(stolen, client, token)
    assert listed(client, other) == []


def test_malformed_credentials_are_refused_without_a_server_error(client, token):
    started = options(client, token)
    for credential in (
        {},
        {"id": "x", "rawId": "x", "type": "public-key", "response": {}},
        {
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {"clientDataJSON": "!!", "attestationObject": "%%"},
        },
    ):
        started = options(client, token)
        assert_rejected(submit(client, token, started, credential), client, token)


def test_adding_needs_a_recent_sign_in(client, token, authenticator, clock):
    started = options(client, token)
    credential = authenticator.create(started["options"])
    clock.advance(minutes=5, seconds=1)

    late_options = client.post("/api/v1/me/passkeys/options", headers=bearer(token))
    late_submit = submit(client, token, started, credential)

    for refused in (late_options, late_submit):
        assert refused.status_code == 401
        assert refused.get_json()["code"] == "reauthentication_required"
        assert refused.headers["WWW-Authenticate"] == STEP_UP
    assert listed(client, token) == []


def test_a_passkey_can_be_renamed(client, token, authenticator):
    created = add_passkey(client, token, authenticator)

    renamed = client.patch(
        f"/api/v1/me/passkeys/{created['id']}",
        headers=bearer(token),
        json={"name": "Old laptop"},
    )

    assert renamed.status_code == 200
    assert [p["name"] for p in listed(client, token)] == ["Old laptop"]


@pytest.mark.parametrize("name", ["\x07", "  ", "Laptop\n", "\x1b[31mRed", ""])
def test_a_name_without_anything_that_shows_or_with_control_characters_is_refused(
    client, token, authenticator, name
):
    created = add_passkey(client, token, authenticator)

    renamed = client.patch(
        f"/api/v1/me/passkeys/{created['id']}",
        headers=bearer(token),
        json={"name": name},
    )

    assert renamed.status_code == 422
    assert [p["name"] for p in listed(client, token)] == ["Laptop"]


def test_removing_a_passkey_alerts_mails_and_ends_other_sessions(
    client, token, authenticator, services, smtp_relay
):
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sg@example.com")
    created = add_passkey(client, token, authenticator, "Lost phone")
    started = client.post("/api/v1/sessions/passkey/options", json={}).get_json()
    other_session = client.post(
        "/api/v1/sessions/passkey",
        json={
            "challenge_id": started["challenge_id"],
            "credential": authenticator.get(started["options"]),
        },
    ).get_json()["token"]

    removed = client.delete(
        f"/api/v1/me/passkeys/{created['id']}", headers=bearer(token)
    )
    services.read_models.catch_up()
    services.outbox.dispatch()

    assert removed.status_code == 204
    assert listed(client, token) == []
    assert "passkey_removed" in alert_kinds(client, token)
    assert client.get("/api/v1/me", headers=bearer(other_session)).status_code == 401
    subjects = [m.subject for m in smtp_relay.to("shop.one@example.com")]
    assert "A passkey was removed from your account" in subjects


def test_removing_needs_a_recent_sign_in(client, token, authenticator, clock):
    created = add_passkey(client, token, authenticator)
    clock.advance(minutes=6)

    refused = client.delete(
        f"/api/v1/me/passkeys/{created['id']}", headers=bearer(token)
    )

    assert refused.status_code == 401
    assert refused.get_json()["code"] == "reauthentication_required"
    assert len(listed(client, token)) == 1


def test_another_accounts_passkey_is_not_found(client, token, authenticator):
    created = add_passkey(client, token, authenticator)
    register(client, "Other.Shop")
    other = token_of(client, username="Other.Shop")

    removed = client.delete(
        f"/api/v1/me/passkeys/{created['id']}", headers=bearer(other)
    )
    renamed = client.patch(
        f"/api/v1/me/passkeys/{created['id']}",
        headers=bearer(other),
        json={"name": "Mine now"},
    )

    assert (removed.status_code, renamed.status_code) == (404, 404)
    assert removed.get_json()["code"] == "not_found"
    assert [p["name"] for p in listed(client, token)] == ["Laptop"]


def test_the_same_authenticator_credential_is_not_registered_twice(
    client, token, authenticator
):
    started = options(client, token)
    submit(client, token, started, authenticator.create(started["options"]))
    again = options(client, token)
    duplicate = authenticator.create(again["options"], reuse=authenticator.only())

    refused = submit(client, token, again, duplicate)

    assert refused.status_code == 422
    assert len(listed(client, token)) == 1


def test_staff_may_add_a_passkey_before_their_two_step_is_on(
    client, services, clock, authenticator
):
    staff = staff_token(
        client, services, clock, StaffRole.SUPPORT_AGENT, two_step=False
    )

    add_passkey(client, staff, authenticator, "Security key")

    assert [p["name"] for p in listed(client, staff)] == ["Security key"]


def test_a_passkey_counts_as_the_owners_second_step_in_the_security_checks(
    client, token, authenticator
):
    add_passkey(client, token, authenticator)

    inspection = client.get("/api/v1/me/inspection", headers=bearer(token))
    dashboard = client.get("/api/v1/security-center/dashboard", headers=bearer(token))

    verdicts = {c["item"]: c["status"] for c in inspection.get_json()["checks"]}
    assert verdicts["owner_two_step"] == "ok"
    assert dashboard.get_json()["account"]["two_step_enabled"] is True
