"""GET /me/inspection: the daily checklist of a store, driven by real events."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.actor import Actor, ActorKind
from infrastructure.totp import Totp
from tests.api.helpers import OTHER_IP, bearer, login, register, token_of

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")
ITEMS = [
    "store_status",
    "inactivity",
    "owner_two_step",
    "sub_accounts_two_step",
    "dormant_sub_accounts",
    "sign_in_risk",
    "recovery",
    "payout_account",
    "security_center",
    "block_list",
]


@pytest.fixture
def owner(client):
    store_id = register(client)["id"]
    return {"id": store_id, "token": token_of(client)}


def inspect(client, token):
    response = client.get("/api/v1/me/inspection", headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verdicts(client, token):
    return {c["item"]: c["status"] for c in inspect(client, token)["checks"]}


def employee(client, token, username="Emp.One", role="finance_specialist"):
    response = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "role": role,
            "password": EMPLOYEE_PASSWORD,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def enable_two_step(client, token, clock):
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": Totp().code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200


def test_every_item_of_the_contract_is_there_with_a_sentence(client, owner):
    body = inspect(client, owner["token"])

    assert [c["item"] for c in body["checks"]] == ITEMS
    assert all(c["detail"].endswith(".") for c in body["checks"])
    assert body["store"]["id"] == owner["id"]
    assert body["store"]["username"] == "Shop.One"
    assert body["store"]["status"] == "active"
    assert body["store"]["inactive_days"] == 0
    assert body["store"]["closes_at"] is not None


def test_a_new_store_without_two_step_fails_only_on_two_step(client, owner):
    found = verdicts(client, owner["token"])

    assert found.pop("owner_two_step") == "fail"
    assert set(found.values()) == {"ok"}


def test_two_step_on_makes_the_owner_item_ok(client, owner, clock):
    enable_two_step(client, owner["token"], clock)

    assert verdicts(client, owner["token"])["owner_two_step"] == "ok"


def test_an_employee_without_two_step_warns_and_an_administrator_fails(client, owner):
    employee(client, owner["token"])
    assert verdicts(client, owner["token"])["sub_accounts_two_step"] == "warn"

    employee(client, owner["token"], "Admin.One", "main_administrator")
    checks = inspect(client, owner["token"])["checks"]
    (item,) = [c for c in checks if c["item"] == "sub_accounts_two_step"]
    assert item["status"] == "fail"
    assert "Admin.One" in item["detail"]


def test_dormant_employees_warn_at_30_days_and_fail_at_90(client, owner, clock):
    employee(client, owner["token"])
    clock.advance(days=31)
    token = token_of(client)  # the owner keeps the store alive
    assert verdicts(client, token)["dormant_sub_accounts"] == "warn"

    clock.advance(days=60)
    token = token_of(client)
    assert verdicts(client, token)["dormant_sub_accounts"] == "fail"


def test_wrong_passwords_warn_and_a_lockout_fails(client, owner):
    login(client, password="Wr0ng-Password!Guess", ip=OTHER_IP)
    assert verdicts(client, owner["token"])["sign_in_risk"] == "warn"

    for _ in range(5):
        login(client, password="Wr0ng-Password!Guess", ip=OTHER_IP)
    assert verdicts(client, owner["token"])["sign_in_risk"] == "fail"


def test_sign_in_risk_is_ok_again_after_7_days(client, owner, clock, services):
    login(client, password="Wr0ng-Password!Guess", ip=OTHER_IP)
    clock.advance(days=7, minutes=1)

    assert store_checks(services, owner["id"])[1]["sign_in_risk"] == "ok"


def store_checks(services, store_id):
    inspection = services.inspection.inspect(UUID(store_id))
    return inspection, {c.item: c.status.value for c in inspection.checks}


def test_inactivity_warns_at_20_days_and_fails_at_30(client, owner, clock, services):
    clock.advance(days=20)
    assert store_checks(services, owner["id"])[1]["inactivity"] == "warn"

    clock.advance(days=10)
    inspection, found = store_checks(services, owner["id"])
    assert found["inactivity"] == "fail"
    assert found["store_status"] == "ok"
    assert inspection.store.inactive_days == 30


def test_an_employee_sign_in_makes_inactivity_ok_again(client, owner, clock, services):
    employee(client, owner["token"])
    clock.advance(days=29)
    token_of(client, username="Emp.One", password=EMPLOYEE_PASSWORD)

    inspection, found = store_checks(services, owner["id"])
    assert found["inactivity"] == "ok"
    assert inspection.store.inactive_days == 0


def test_the_store_status_warns_in_the_last_ten_days(client, owner, clock, services):
    clock.advance(days=50)
    services.sweep.run()

    inspection, found = store_checks(services, owner["id"])
    assert found["store_status"] == "warn"
    assert inspection.store.closes_at == inspection.store.last_activity_at + timedelta(
        days=60
    )


def test_a_closed_store_fails_its_status_and_has_no_closing_date(
    client, owner, clock, services
):
    clock.advance(days=60)
    services.sweep.run()

    inspection, found = store_checks(services, owner["id"])
    assert (found["store_status"], found["inactivity"]) == ("fail", "fail")
    assert (inspection.store.status, inspection.store.closes_at) == ("closed", None)


def test_a_frozen_store_fails_its_status(client, owner, services):
    frozen = client.post(
        "/api/v1/me/freeze", headers=bearer(owner["token"]), json={"reason": "stolen"}
    )
    assert frozen.status_code == 202

    inspection, found = store_checks(services, owner["id"])
    assert found["store_status"] == "fail"
    assert "frozen" in inspection.checks[0].detail


def block(client, token, buyer):
    return client.post(
        "/api/v1/blocklist",
        headers=bearer(token),
        json={
            "buyer": buyer,
            "reason": "fake_review",
            "scope": "this_id",
            "duration": "90d",
        },
    )


def test_the_block_list_warns_when_no_block_is_left_today(client, owner):
    block(client, owner["token"], "buyer.0")
    assert verdicts(client, owner["token"])["block_list"] == "ok"

    for n in range(1, 10):
        assert block(client, owner["token"], f"buyer.{n}").status_code == 201
    assert verdicts(client, owner["token"])["block_list"] == "warn"


def test_the_block_list_fails_when_the_platform_revoked_blocking(
    client, owner, services
):
    services.block_lists.set_blocking_access(
        UUID(owner["id"]), False, "abuse", OPERATOR
    )

    assert verdicts(client, owner["token"])["block_list"] == "fail"


def test_an_open_recovery_case_fails_the_recovery_item(client, owner, services):
    services.recovery.open(
        UUID(owner["id"]), "takeover reported", "owner@example.com", OPERATOR
    )

    assert store_checks(services, owner["id"])[1]["recovery"] == "fail"


def test_only_the_owner_and_administrators_see_the_checklist(client, owner):
    employee(client, owner["token"], "Admin.One", "main_administrator")
    employee(client, owner["token"], "Fin.One", "finance_specialist")
    admin = token_of(client, username="Admin.One", password=EMPLOYEE_PASSWORD)
    finance = token_of(client, username="Fin.One", password=EMPLOYEE_PASSWORD)

    body = inspect(client, admin)
    refused = client.get("/api/v1/me/inspection", headers=bearer(finance))

    assert body["store"]["id"] == owner["id"]  # the employer's store
    assert refused.status_code == 403
