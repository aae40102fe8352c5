"""Names where a person reads them, and recovery codes one can count and renew.

From issue 21: alerts and block entries say who (``anna``), not a UUID; the
owner sees when each employee was last active; ``/me`` tells how many
recovery codes are left, and a new set replaces the old one.
"""

from __future__ import annotations

from domain.roles import StaffRole
from tests.api.helpers import (
    EMPLOYEE_PASSWORD,
    answer,
    bearer,
    challenge,
    hire,
    token_of,
    turn_on_two_step,
)
from tests.api.principals import staff_token


def alerts(client, token):
    return client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()["items"]


def signed_in_with(client, code):
    """A sign-in from a new device, its challenge answered with ``code``."""
    return answer(client, challenge(client), code)


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
    signed_in = signed_in_with(client, codes[0]).get_json()["token"]

    after_one = client.get("/api/v1/me", headers=bearer(signed_in)).get_json()

    assert off["recovery_codes_left"] is None
    assert fresh["recovery_codes_left"] == 10
    assert after_one["recovery_codes_left"] == 9


def test_new_recovery_codes_replace_the_old_ones(client, token, clock):
    _, old = turn_on_two_step(client, token, clock)
    clock.advance(seconds=60)
    token = signed_in_with(client, old[0]).get_json()["token"]

    response = client.post("/api/v1/me/two-step/recovery-codes", headers=bearer(token))

    new = response.get_json()["recovery_codes"]
    assert response.status_code == 200
    assert len(set(new)) == 10
    assert not set(new) & set(old)
    assert signed_in_with(client, old[1]).get_json()["code"] == "invalid_code"
    assert signed_in_with(client, new[0]).status_code == 201
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
    assert signed_in_with(client, old[0]).status_code == 201  # the old codes still work


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
