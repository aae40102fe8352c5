"""Names where a person reads them, and recovery codes one can count and renew.

From issue 21: alerts and block entries say who (``anna``), not a UUID; the
owner sees when each employee was last active; ``/me`` tells how many
recovery codes are left, and a new set replaces the old one.
"""

from __future__ import annotations

import pytest

from domain.roles import StaffRole
from infrastructure.totp import Totp
from tests.api.helpers import OWNER_IP, bearer, login, register, token_of
from tests.api.principals import staff_token

TOTP = Totp()
EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"


@pytest.fixture
def seller(client):
    return register(client)


@pytest.fixture
def token(client, seller):
    return token_of(client)


def hire(client, token, username="anna", role="finance_specialist"):
    response = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": username,
            "email": f"{username}@example.com",
            "role": role,
            "password": EMPLOYEE_PASSWORD,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def alerts(client, token):
    return client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()["items"]


def turn_on_two_step(client, token, clock):
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": TOTP.code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200
    clock.advance(seconds=30)
    return secret, confirmed.get_json()["recovery_codes"]


def answer(client, code, ip=OWNER_IP):
    challenge = login(client, ip=ip).get_json()["challenge_id"]
    return client.post(
        "/api/v1/sessions/challenge", json={"challenge_id": challenge, "code": code}
    )


def test_alerts_name_the_sub_account_not_its_id(client, token):
    anna = hire(client, token)
    client.patch(
        f"/api/v1/sub-accounts/{anna['id']}",
        headers=bearer(token),
        json={"role": "customer_service_agent"},
    )
    client.post(
        f"/api/v1/sub-accounts/{anna['id']}/deactivate", headers=bearer(token), json={}
    )

    by_kind = {a["kind"]: a["detail"] for a in alerts(client, token)}

    assert by_kind["sub_account_role_changed"] == (
        "Sub-account anna changed role from finance_specialist to "
        "customer_service_agent."
    )
    assert by_kind["sub_account_deactivated"] == "Sub-account anna was deactivated."
    assert all(anna["id"] not in detail for detail in by_kind.values())


def test_a_block_says_who_made_it_by_name(client, token):
    hire(client, token, "ben", "main_administrator")
    ben = token_of(client, username="ben", password=EMPLOYEE_PASSWORD)
    block = {"reason": "fake_review", "scope": "this_id", "duration": "90d"}

    made = client.post(
        "/api/v1/blocklist", headers=bearer(ben), json={"buyer": "b1", **block}
    )
    client.post(
        "/api/v1/blocklist", headers=bearer(token), json={"buyer": "b2", **block}
    )
    listed = client.get("/api/v1/blocklist", headers=bearer(token)).get_json()["items"]

    assert made.status_code == 201
    assert made.get_json()["blocked_by_username"] == "ben"
    assert {e["buyer"]: e["blocked_by_username"] for e in listed} == {
        "b1": "ben",
        "b2": "Shop.One",
    }


def test_the_owner_sees_when_each_employee_was_last_active(client, token, clock):
    anna = hire(client, token)
    before = client.get(f"/api/v1/sub-accounts/{anna['id']}", headers=bearer(token))
    clock.advance(hours=3)
    signed_in_at = clock.now()
    employee = token_of(client, username="anna", password=EMPLOYEE_PASSWORD)
    clock.advance(minutes=20)
    client.get("/api/v1/me", headers=bearer(employee))  # a use of the session

    owner = token_of(client)  # the first session has gone idle meanwhile
    listed = client.get("/api/v1/sub-accounts", headers=bearer(owner)).get_json()

    assert before.get_json()["last_active_at"] is None
    assert listed["items"][0]["last_active_at"] > signed_in_at.strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )
    assert listed["items"][0]["last_active_at"] == clock.now().strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ"
    )


def test_me_counts_the_recovery_codes_left(client, token, clock):
    off = client.get("/api/v1/me", headers=bearer(token)).get_json()
    _, codes = turn_on_two_step(client, token, clock)
    fresh = client.get("/api/v1/me", headers=bearer(token)).get_json()
    signed_in = answer(client, codes[0]).get_json()["token"]

    after_one = client.get("/api/v1/me", headers=bearer(signed_in)).get_json()

    assert off["recovery_codes_left"] is None
    assert fresh["recovery_codes_left"] == 10
    assert after_one["recovery_codes_left"] == 9


def test_new_recovery_codes_replace_the_old_ones(client, token, clock):
    _, old = turn_on_two_step(client, token, clock)
    clock.advance(seconds=60)
    token = answer(client, old[0]).get_json()["token"]

    response = client.post("/api/v1/me/two-step/recovery-codes", headers=bearer(token))

    new = response.get_json()["recovery_codes"]
    assert response.status_code == 200
    assert len(set(new)) == 10
    assert not set(new) & set(old)
    assert answer(client, old[1]).get_json()["code"] == "invalid_code"
    assert answer(client, new[0]).status_code == 201
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["recovery_codes_left"] == 9
    assert "recovery_codes_regenerated" in [a["kind"] for a in alerts(client, token)]


def test_renewing_recovery_codes_needs_a_recent_sign_in(client, token, clock):
    _, old = turn_on_two_step(client, token, clock)
    clock.advance(minutes=6)

    response = client.post("/api/v1/me/two-step/recovery-codes", headers=bearer(token))

    assert (response.status_code, response.get_json()["code"]) == (
        401,
        "reauthentication_required",
    )
    clock.advance(seconds=30)
    assert answer(client, old[0]).status_code == 201  # the old codes still work


def test_renewing_recovery_codes_without_two_step_is_409(client, token):
    response = client.post("/api/v1/me/two-step/recovery-codes", headers=bearer(token))

    assert (response.status_code, response.get_json()["code"]) == (
        409,
        "two_step_not_enabled",
    )


def test_new_recovery_codes_never_reach_the_audit_view(
    client, token, clock, services, seller
):
    turn_on_two_step(client, token, clock)
    new = client.post(
        "/api/v1/me/two-step/recovery-codes", headers=bearer(token)
    ).get_json()["recovery_codes"]
    auditor = staff_token(client, services, clock, StaffRole.AUDITOR)

    history = client.get(
        f"/api/v1/audit/aggregates/{seller['id']}/events",
        headers=bearer(auditor),
        query_string={"limit": 500},
    ).get_data(as_text=True)

    assert "RecoveryCodesRegenerated" in history
    assert all(c not in history and c.replace("-", "") not in history for c in new)
