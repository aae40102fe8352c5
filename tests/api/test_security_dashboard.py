"""The Security Center's dashboard, counted by hand over UTC days and periods."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infrastructure.totp import Totp
from tests.api.helpers import OTHER_IP, bearer, login, register, token_of
from tests.api.principals import EMPLOYEE_PASSWORD, OPERATOR
from tests.api.test_security_center import employee, send, signal

DASHBOARD = "/api/v1/security-center/dashboard"
CATEGORIES = (
    "malicious_refund",
    "fake_review",
    "fraudulent_order",
    "phishing_message",
    "account_takeover_attempt",
    "other",
)

# The clock stands at 2026-03-03T14:02Z. Stopped actions, by when they happened:
STOPPED = [
    ("2025-12-03T23:59:59.999999Z", "fake_review"),  # a moment before 90 days
    ("2025-12-04T00:00:00Z", "other"),  # the first moment of 90 days
    ("2026-01-20T10:00:00Z", "fraudulent_order"),  # within 90 only
    ("2026-02-24T23:59:59.999999Z", "fake_review"),  # within 30, not 7
    ("2026-02-25T00:00:00Z", "fraudulent_order"),  # the first moment of 7 days
    ("2026-03-02T23:59:59.999999Z", "malicious_refund"),
    ("2026-03-03T00:30:00+01:00", "phishing_message"),  # 2 March in UTC
    ("2026-03-03T00:00:00Z", "account_takeover_attempt"),
    (None, "fake_review"),  # no time given: it happened when it arrived
]


@pytest.fixture
def shop(client):
    seller_id = register(client)["id"]
    grant = login(client).get_json()
    return {
        "id": seller_id,
        "headers": bearer(grant["token"]),
        "device_token": grant["device_token"],
    }


@pytest.fixture
def engine(services):
    key = services.platform_people.create_service_key("risk", ["risk:write"], OPERATOR)
    return {"headers": bearer(key.value)}


def record_stopped(client, engine, shop):
    for n, (moment, category) in enumerate(STOPPED):
        fields = {"verdict": "confirmed_fraud", "category": category}
        if moment:
            fields["occurred_at"] = moment
        response = send(client, engine, signal(shop, f"stop-{n}", **fields))
        assert response.status_code == 201, response.get_json()


def dashboard(client, shop, days):
    response = client.get(f"{DASHBOARD}?days={days}", headers=shop["headers"])
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def categories(**counts):
    return {c: counts.get(c, 0) for c in CATEGORIES}


def test_seven_days_count_whole_utc_days_up_to_now(client, engine, shop):
    record_stopped(client, engine, shop)

    seven = dashboard(client, shop, 7)

    assert seven["period"] == {
        "from": "2026-02-25T00:00:00.000000Z",
        "to": "2026-03-03T14:02:00.000000Z",
    }
    assert seven["intercepted"]["total"] == 5
    assert seven["intercepted"]["by_category"] == categories(
        fraudulent_order=1,
        malicious_refund=1,
        phishing_message=1,
        account_takeover_attempt=1,
        fake_review=1,
    )
    assert seven["intercepted"]["by_day"] == [
        {"date": "2026-02-25", "count": 1},
        {"date": "2026-02-26", "count": 0},
        {"date": "2026-02-27", "count": 0},
        {"date": "2026-02-28", "count": 0},
        {"date": "2026-03-01", "count": 0},
        {"date": "2026-03-02", "count": 2},
        {"date": "2026-03-03", "count": 2},
    ]


def test_thirty_and_ninety_days_reach_further_back(client, engine, shop):
    record_stopped(client, engine, shop)

    thirty = dashboard(client, shop, 30)["intercepted"]
    ninety = dashboard(client, shop, 90)["intercepted"]

    assert (thirty["total"], thirty["by_category"]["fake_review"]) == (6, 2)
    assert len(thirty["by_day"]) == 30
    assert ninety["total"] == 8
    assert ninety["by_category"] == categories(
        fraudulent_order=2,
        malicious_refund=1,
        phishing_message=1,
        account_takeover_attempt=1,
        fake_review=2,
        other=1,
    )
    assert (ninety["by_day"][0], len(ninety["by_day"])) == (
        {"date": "2025-12-04", "count": 1},
        90,
    )


def test_after_midnight_the_oldest_day_leaves_the_period(client, engine, shop, clock):
    record_stopped(client, engine, shop)

    clock.current = datetime(2026, 3, 4, 0, 0, 1, tzinfo=UTC)
    shop["headers"] = bearer(token_of(client))
    seven = dashboard(client, shop, 7)["intercepted"]

    assert seven["total"] == 4
    assert seven["by_day"][0] == {"date": "2026-02-26", "count": 0}
    assert seven["by_day"][-1] == {"date": "2026-03-04", "count": 0}


def test_flagged_items_are_counted_while_open_and_not_as_intercepted(
    client, engine, shop
):
    send(client, engine, signal(shop, "o1"))
    send(client, engine, signal(shop, "o2"))
    refund = send(client, engine, signal(shop, "r1", subject_kind="refund"))
    send(client, engine, signal(shop, "m1", subject_kind="message"))
    client.post(
        f"/api/v1/security-center/risk-refunds/{refund.get_json()['id']}/decision",
        headers=shop["headers"],
        json={"decision": "reject"},
    )

    board = dashboard(client, shop, 7)

    assert (board["open_risk_orders"], board["open_risk_refunds"]) == (2, 0)
    assert board["intercepted"]["total"] == 0


def test_another_shops_signals_are_not_counted(client, engine, shop):
    register(client, "Other.Shop")
    other = {"id": None, "headers": bearer(token_of(client, username="Other.Shop"))}
    other["id"] = client.get("/api/v1/me", headers=other["headers"]).get_json()["id"]
    send(client, engine, signal(other, "x1", verdict="confirmed_fraud"))

    assert dashboard(client, shop, 7)["intercepted"]["total"] == 0
    assert dashboard(client, other, 7)["intercepted"]["total"] == 1


def test_the_account_summary_names_what_to_secure(client, shop, clock):
    secret = turn_on_two_step(client, shop, clock)
    employee(client, shop, "customer_service_agent", "e.active")
    employee(client, shop, "finance_specialist", "e.quiet")
    clock.advance(days=31)
    # Without the device token of its first sign-in: a new device (issue 12).
    token_of(client, username="e.active", password=EMPLOYEE_PASSWORD)
    assert login(client, password="Wrong-Pass!word1", ip=OTHER_IP).status_code == 401
    owner = bearer(
        two_step_token(client, clock, secret, "laptop-1", shop["device_token"])
    )
    blocked = client.post(
        "/api/v1/blocklist",
        headers=owner,
        json={"buyer": "b1", "reason": "other", "scope": "this_id", "duration": "90d"},
    )
    assert blocked.status_code == 201
    shop["headers"] = bearer(two_step_token(client, clock, secret, "phone-9"))

    account = dashboard(client, shop, 7)["account"]

    assert account == {
        "two_step_enabled": True,
        "sub_accounts_without_two_step": 2,
        "dormant_sub_accounts": 1,
        "failed_sign_ins_7d": 1,
        "new_devices_7d": 2,  # e.active's tokenless sign-in, and phone-9
        "active_blocks": 1,
        "open_recovery_case": False,
        "payout_change_pending": False,
    }


def turn_on_two_step(client, shop, clock):
    started = client.post("/api/v1/me/two-step", headers=shop["headers"])
    secret = started.get_json()["secret"]
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=shop["headers"],
        json={"code": Totp().code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200
    return secret


def two_step_token(client, clock, secret, device_id, device_token=None):
    response = login(client, device_id=device_id, device_token=device_token)
    assert response.status_code == 202, response.get_json()
    clock.advance(seconds=31)  # a fresh time step: each code is taken once
    done = client.post(
        "/api/v1/sessions/challenge",
        json={
            "challenge_id": response.get_json()["challenge_id"],
            "code": Totp().code_at(secret, clock.now()),
        },
    )
    assert done.status_code == 201, done.get_json()
    return done.get_json()["token"]
