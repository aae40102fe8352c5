"""The marketplace's inactivity policy, run by the sweep with a clock tests move."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.seller_account import SellerAccount
from tests.api.helpers import OTHER_IP, bearer, login, register, token_of
from tests.api.principals import OPERATOR

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"


@pytest.fixture
def shop(client, clock):
    """A shop with an owner and one employee, both signed in today."""
    store_id = register(client)["id"]
    owner = token_of(client)
    response = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(owner),
        json={
            "username": "Emp.One",
            "email": "emp.one@example.com",
            "role": "main_administrator",
            "password": EMPLOYEE_PASSWORD,
        },
    )
    assert response.status_code == 201
    return {"id": store_id, "owner": owner}


def shop_alerts(services, store_id, kind):
    services.read_models.catch_up()
    items = services.views.items("alerts", store_id, limit=500)
    return [item.data for item in items if item.data["kind"] == kind]


def sweep(services):
    return [(str(a.store_id), a.action) for a in services.sweep.run().actions]


def status_of(services, store_id):
    return services.ledger.find(UUID(store_id), SellerAccount).status.value


def employee_signs_in(client):
    return login(client, username="Emp.One", password=EMPLOYEE_PASSWORD)


def test_29_days_without_activity_is_not_yet_inactive(client, services, clock, shop):
    clock.advance(days=29, hours=23)

    assert sweep(services) == []
    assert shop_alerts(services, shop["id"], "store_inactive") == []


def test_at_30_days_the_owner_is_alerted_with_the_closing_date(
    client, services, clock, shop
):
    clock.advance(days=30)

    assert sweep(services) == [(shop["id"], "store_inactive")]
    (alert,) = shop_alerts(services, shop["id"], "store_inactive")
    assert alert["severity"] == "warning"
    assert "30 days" in alert["detail"]
    assert status_of(services, shop["id"]) == "active"


def test_the_alert_names_the_day_sixty_days_after_the_last_activity(
    client, services, clock, shop
):
    started = clock.now()
    clock.advance(days=30)
    sweep(services)

    (alert,) = shop_alerts(services, shop["id"], "store_inactive")
    assert (started + timedelta(days=60)).strftime("%Y-%m-%d") in alert["detail"]


def test_at_50_days_the_owner_is_warned_again(client, services, clock, shop):
    clock.advance(days=30)
    sweep(services)
    clock.advance(days=20)

    assert sweep(services) == [(shop["id"], "closure_warning")]
    notices = shop_alerts(services, shop["id"], "store_inactive")
    assert [n["severity"] for n in notices] == ["critical", "warning"]
    assert "50 days" in notices[0]["detail"]


def test_at_59_days_the_store_is_still_open_and_its_owner_signs_in(
    client, services, clock, shop
):
    clock.advance(days=59, hours=23)
    sweep(services)

    assert status_of(services, shop["id"]) == "active"
    assert login(client).status_code == 201


def test_at_60_days_the_store_is_closed_for_good(client, services, clock, shop):
    clock.advance(days=60)

    assert sweep(services) == [(shop["id"], "store_closed")]
    assert status_of(services, shop["id"]) == "closed"
    assert shop_alerts(services, shop["id"], "store_closed")
    # Every session of the store and of its employees ended with it.
    assert client.get("/api/v1/me", headers=bearer(shop["owner"])).status_code == 401


def test_sign_ins_of_a_closed_store_and_its_employees_answer_account_closed(
    client, services, clock, shop
):
    clock.advance(days=60)
    sweep(services)

    owner, employee = login(client), employee_signs_in(client)

    assert (owner.status_code, owner.get_json()["code"]) == (403, "account_closed")
    assert (employee.status_code, employee.get_json()["code"]) == (
        403,
        "account_closed",
    )
    # Only after the right password: a wrong one learns nothing.
    wrong = login(client, password="Wr0ng-Password!Guess")
    assert (wrong.status_code, wrong.get_json()["code"]) == (401, "invalid_credentials")


def test_a_closed_store_stays_closed_after_a_sign_in_attempt(
    client, services, clock, shop
):
    clock.advance(days=60)
    sweep(services)
    login(client)
    employee_signs_in(client)
    clock.advance(days=1)

    assert sweep(services) == []
    assert status_of(services, shop["id"]) == "closed"
    assert login(client).status_code == 403


def test_a_sub_account_sign_in_keeps_the_store_alive(client, services, clock, shop):
    clock.advance(days=25)
    assert employee_signs_in(client).status_code == 201
    clock.advance(days=35)  # 60 days after the owner, 35 after the employee

    assert sweep(services) == [(shop["id"], "store_inactive")]
    assert status_of(services, shop["id"]) == "active"


def test_a_sub_account_operation_counts_from_when_it_was_done(
    client, services, clock, shop
):
    employee = token_of(client, username="Emp.One", password=EMPLOYEE_PASSWORD)
    clock.advance(minutes=20)
    blocked = client.post(
        "/api/v1/blocklist",
        headers=bearer(employee),
        json={
            "buyer": "buyer.one",
            "reason": "fake_review",
            "scope": "this_id",
            "duration": "90d",
        },
    )
    assert blocked.status_code == 201
    clock.advance(days=30, minutes=-10)  # 30 days after the sign-in, not the block

    assert sweep(services) == []
    clock.advance(minutes=10)
    assert sweep(services) == [(shop["id"], "store_inactive")]


def test_a_sign_in_at_59_days_resets_the_clock(client, services, clock, shop):
    clock.advance(days=30)
    sweep(services)
    clock.advance(days=29)
    assert login(client).status_code == 201
    clock.advance(days=1)  # 60 days after the first sign-in

    assert sweep(services) == []
    clock.advance(days=28, hours=23)
    assert sweep(services) == []
    clock.advance(hours=1)  # 30 days after the sign-in at 59
    assert sweep(services) == [(shop["id"], "store_inactive")]


def test_wrong_passwords_do_not_keep_a_store_alive(client, services, clock, shop):
    clock.advance(days=59)
    for _ in range(3):
        assert login(client, password="Wr0ng-Password!Guess", ip=OTHER_IP).status_code
    clock.advance(days=1)

    assert sweep(services) == [(shop["id"], "store_closed")]


def test_the_sweep_run_twice_records_nothing_new(client, services, clock, shop):
    register(client, "Shop.Two")
    clock.advance(days=60)
    first = sweep(services)
    head = services.ledger.last_position()

    assert len(first) == 2
    assert sweep(services) == []
    assert services.ledger.last_position() == head


def test_a_rehearsal_prints_what_it_would_do_and_writes_nothing(
    client, services, clock, shop
):
    head = services.ledger.last_position()

    result = services.sweep.run(now=clock.now() + timedelta(days=60))

    assert result.rehearsal
    assert [(str(a.store_id), a.action) for a in result.actions] == [
        (shop["id"], "store_closed")
    ]
    assert services.ledger.last_position() == head
    assert status_of(services, shop["id"]) == "active"


def test_a_frozen_store_is_not_closed_while_nobody_can_sign_in(
    client, services, clock, shop
):
    frozen = client.post(
        "/api/v1/me/freeze", headers=bearer(shop["owner"]), json={"reason": "stolen"}
    )
    assert frozen.status_code == 202
    clock.advance(days=61)

    assert sweep(services) == []
    assert status_of(services, shop["id"]) == "frozen"


def test_the_log_follower_runs_the_sweep_as_one_of_its_steps(
    client, services, clock, shop
):
    clock.advance(days=30)

    services.follower.run_once()

    assert "inactivity_sweep" in services.follower.names()
    assert shop_alerts(services, shop["id"], "store_inactive")


def test_a_store_closed_by_the_sweep_has_its_pending_payout_change_cancelled(
    client, services, clock, shop
):
    finance = bearer(
        services.platform_people.create_service_key(
            "finance", ["payout:read"], OPERATOR
        ).value
    )
    url = "/api/v1/me/payout-account"
    first = {
        "holder_name": "Shop One",
        "bank_code": "DEUTDEFF",
        "account_number": "DE89370400440532013000",
    }
    other = {
        "holder_name": "Mule",
        "bank_code": "MULEGB22",
        "account_number": "GB33BUKB20201555555555",
    }
    services.payouts.hold = timedelta(0)  # the first account: at once
    assert client.put(url, json=first, headers=bearer(shop["owner"])).status_code == 202
    # An operator who runs a 90-day hold (SELLERGUARD_PAYOUT_HOLD=90d): the
    # change asked for on the store's last active day still waits at closure.
    services.payouts.hold = timedelta(days=90)
    asked = client.put(url, json=other, headers=bearer(shop["owner"]))
    assert asked.status_code == 202
    assert asked.get_json()["pending"]["account_last4"] == "5555"

    clock.advance(days=60)
    assert sweep(services) == [(shop["id"], "store_closed")]
    clock.advance(days=31)  # past the day the change would have taken effect

    seen = client.get(f"/api/v1/sellers/{shop['id']}/payout-account", headers=finance)
    assert seen.status_code == 200
    assert seen.get_json()["current"]["account_number"] == first["account_number"]
    assert (seen.get_json()["payouts_allowed"], seen.get_json()["reason"]) == (
        False,
        "account_closed",
    )
    shop_account = services.ledger.find(UUID(shop["id"]), SellerAccount)
    assert shop_account.pending_payout is None
    cancelled = [
        e
        for e in services.ledger.events.get(UUID(shop["id"]))
        if type(e).__name__ == "PayoutChangeCancelled"
    ]
    assert [e.reason for e in cancelled] == ["store_closed"]
