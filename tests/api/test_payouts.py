"""The payout account: a thief who took over a shop cannot move its balance."""

from __future__ import annotations

import json

import pytest

from domain.roles import StaffRole
from infrastructure.notifier import SmtpNotifier
from tests.api.helpers import NEW_PASSWORD, PASSWORD, bearer, register, token_of
from tests.api.principals import (
    OPERATOR,
    STAFF_PASSWORD,
    enable_staff_two_step,
    staff_token,
)
from tests.api.test_recovery import PDF, multipart

BANK = {
    "holder_name": "Shop One Ltd",
    "bank_code": "DEUTDEFF",
    "account_number": "DE89370400440532013000",
}
THIEF = {
    "holder_name": "Mule",
    "bank_code": "MULEGB22",
    "account_number": "GB33BUKB20201555555555",
}
URL = "/api/v1/me/payout-account"


@pytest.fixture
def shop(client, services, clock):
    seller_id = register(client)["id"]
    key = services.platform_people.create_service_key(
        "finance", ["payout:read"], OPERATOR
    )
    return {
        "id": seller_id,
        "owner": bearer(token_of(client)),
        "finance": bearer(key.value),
        "agent": bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT)),
    }


def owner(client, password=PASSWORD):
    """A fresh session of the owner (the hold outlasts any session)."""
    return bearer(token_of(client, password=password))


def view(client, password=PASSWORD):
    return client.get(URL, headers=owner(client, password)).get_json()


def finance_view(client, shop):
    response = client.get(
        f"/api/v1/sellers/{shop['id']}/payout-account", headers=shop["finance"]
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def request_change(client, shop, bank=BANK, headers=None):
    return client.put(URL, json=bank, headers=headers or shop["owner"])


def test_a_change_is_pending_for_the_hold_then_current(client, shop, clock):
    requested = request_change(client, shop)

    clock.advance(hours=71, minutes=59)
    still_pending = client.get(URL, headers=owner(client)).get_json()
    clock.advance(minutes=1)
    effective = client.get(URL, headers=owner(client)).get_json()

    assert requested.status_code == 202
    pending = requested.get_json()["pending"]
    assert requested.get_json()["current"] is None
    assert pending["account_last4"] == "3000"
    assert pending["effective_at"] == "2026-03-06T14:02:00.000000Z"  # 72 h later
    assert still_pending["current"] is None
    assert effective["pending"] is None
    assert effective["current"]["account_last4"] == "3000"
    assert effective["payouts_allowed"] is True
    assert (
        finance_view(client, shop)["current"]["account_number"]
        == BANK["account_number"]
    )


def test_the_full_number_appears_only_in_the_finance_view(client, shop, clock):
    requested = request_change(client, shop)
    clock.advance(hours=72)

    seen = client.get(URL, headers=owner(client))
    alerts = client.get("/api/v1/me/alerts", headers=owner(client))

    number = BANK["account_number"]
    for response in (requested, seen, alerts):
        assert number not in response.get_data(as_text=True)
    assert seen.headers["Cache-Control"] == "no-store"
    assert finance_view(client, shop)["current"]["account_number"] == number


def test_the_hold_is_doubled_within_a_week_of_a_password_change(client, shop, clock):
    client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=shop["owner"],
    )
    clock.advance(days=6)

    fresh = owner(client, NEW_PASSWORD)
    doubled = request_change(client, shop, headers=fresh).get_json()["pending"]

    assert doubled["effective_at"] == "2026-03-15T14:02:00.000000Z"  # 144 h later
    clock.advance(hours=72)
    assert view(client, NEW_PASSWORD)["current"] is None
    clock.advance(hours=72)
    assert view(client, NEW_PASSWORD)["current"] is not None


def test_a_second_change_while_one_is_pending_is_409(client, shop):
    request_change(client, shop)

    again = request_change(client, shop, THIEF)

    assert (again.status_code, again.get_json()["code"]) == (
        409,
        "payout_change_pending",
    )


def test_the_owner_cancels_a_pending_change_and_is_alerted_at_each_step(
    client, shop, clock
):
    request_change(client, shop)

    cancelled = client.delete(f"{URL}/pending", headers=shop["owner"])
    again = client.delete(f"{URL}/pending", headers=shop["owner"])
    clock.advance(hours=100)

    assert cancelled.status_code == 204
    assert (again.status_code, again.get_json()["code"]) == (404, "not_found")
    view = client.get(URL, headers=owner(client)).get_json()
    assert view == {"current": None, "pending": None, "payouts_allowed": False}
    alerts = client.get("/api/v1/me/alerts", headers=owner(client)).get_json()["items"]
    kinds = {a["kind"]: a["severity"] for a in alerts}
    assert kinds["payout_change_requested"] == "high"
    assert "payout_change_cancelled" in kinds


def test_a_support_agent_cancels_a_pending_change(client, shop, clock):
    request_change(client, shop)

    cancelled = client.post(
        f"/api/v1/platform/sellers/{shop['id']}/payout-account/pending/cancel",
        json={"reason": "the owner called: not them"},
        headers=shop["agent"],
    )
    clock.advance(hours=73)

    assert cancelled.status_code == 200
    assert client.get(URL, headers=owner(client)).get_json()["current"] is None
    assert finance_view(client, shop)["current"] is None


def test_opening_a_recovery_case_cancels_the_pending_change(
    client, shop, clock, services
):
    request_change(client, shop)

    opened = client.post(
        "/api/v1/recovery-cases",
        json={
            "account_id": shop["id"],
            "reason": "takeover",
            "contact_email": "o@example.com",
        },
        headers=shop["agent"],
    )
    clock.advance(hours=73)

    assert opened.status_code == 201
    view = finance_view(client, shop)
    assert view == {
        "current": None,
        "payouts_allowed": False,
        "reason": "recovery_open",
    }


def test_a_freeze_cancels_the_pending_change_and_stops_payouts(client, shop, clock):
    request_change(client, shop)
    clock.advance(hours=72)
    thief = owner(client)
    request_change(client, shop, THIEF, headers=thief)

    frozen = client.post(
        "/api/v1/me/freeze", json={"reason": "lost my phone"}, headers=thief
    )
    clock.advance(hours=73)

    assert frozen.status_code == 202
    seen = finance_view(client, shop)
    assert seen["payouts_allowed"] is False
    assert seen["reason"] == "account_frozen"
    paid_to = seen["current"]["account_number"]
    assert paid_to == BANK["account_number"]  # not the thief's


def test_payouts_pause_for_72_hours_after_a_recovery_reset(
    client, shop, clock, services, smtp_relay
):
    request_change(client, shop)
    clock.advance(hours=72)
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sg@example.com")
    case_id = _recover(client, services, clock, shop, smtp_relay)

    after = finance_view(client, shop)
    clock.advance(hours=71)
    still = finance_view(client, shop)
    clock.advance(hours=1)
    later = finance_view(client, shop)

    assert case_id
    assert (after["payouts_allowed"], after["reason"]) == (False, "recovery_reset")
    assert (still["payouts_allowed"], still["reason"]) == (False, "recovery_reset")
    assert (later["payouts_allowed"], later["reason"]) == (True, None)


def test_the_registered_address_is_told_of_a_requested_change(
    client, shop, services, smtp_relay
):
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sg@example.com")
    request_change(client, shop)
    services.read_models.catch_up()

    services.outbox.dispatch()

    (mail,) = smtp_relay.to("shop.one@example.com")
    assert mail.subject == "Your shop's payout account is about to change"
    assert "3000" in mail.body
    assert BANK["account_number"] not in mail.body


def test_the_audit_view_redacts_the_account_number(client, shop, services, clock):
    request_change(client, shop)
    auditor = bearer(staff_token(client, services, clock, StaffRole.AUDITOR))

    events = client.get(
        f"/api/v1/audit/aggregates/{shop['id']}/events", headers=auditor
    )
    state = client.get(f"/api/v1/audit/aggregates/{shop['id']}/state", headers=auditor)

    text = json.dumps([events.get_json(), state.get_json()])
    assert events.status_code == state.status_code == 200
    assert "PayoutChangeRequested" in text
    assert BANK["account_number"] not in text


def agent(client, services, clock, name):
    services.platform_people.create_staff(
        name, f"{name}@example.com", StaffRole.SUPPORT_AGENT, STAFF_PASSWORD, OPERATOR
    )
    token = token_of(client, username=name, password=STAFF_PASSWORD)
    enable_staff_two_step(client, token, clock)
    return bearer(token)


def _recover(client, services, clock, shop, relay):
    first = agent(client, services, clock, "agent.one")
    second = agent(client, services, clock, "agent.two")
    case = client.post(
        "/api/v1/recovery-cases",
        json={
            "account_id": shop["id"],
            "reason": "takeover",
            "contact_email": "o@example.com",
        },
        headers=first,
    ).get_json()
    client.post(
        f"/api/v1/recovery-cases/{case['id']}/documents",
        headers=bearer(case["upload_token"]),
        **multipart(PDF, "id.pdf"),
    )
    client.post(
        f"/api/v1/recovery-cases/{case['id']}/decision",
        json={"decision": "approve", "note": "ok"},
        headers=second,
    )
    services.read_models.catch_up()
    services.outbox.dispatch()
    token = relay.to("o@example.com")[-1].token("/recover")
    reset = client.post(
        f"/api/v1/recovery-cases/{case['id']}/reset",
        json={"reset_token": token, "new_password": "Fr3sh-Start!Orchid"},
    )
    assert reset.status_code == 200, reset.get_json()
    return case["id"]


def test_a_change_needs_a_recent_sign_in(client, shop, clock):
    clock.advance(minutes=6)  # the session lives on, its sign-in is not recent

    refused = request_change(client, shop)
    proved = client.post(
        "/api/v1/sessions/current/reauthenticate",
        json={"password": PASSWORD},
        headers=shop["owner"],
    )
    accepted = request_change(client, shop)

    assert (refused.status_code, refused.get_json()["code"]) == (
        401,
        "reauthentication_required",
    )
    assert "insufficient_user_authentication" in refused.headers["WWW-Authenticate"]
    assert proved.status_code == 200
    assert accepted.status_code == 202
    assert view(client)["pending"]["account_last4"] == "3000"


def payout_check(client, headers):
    checks = client.get("/api/v1/me/inspection", headers=headers).get_json()["checks"]
    return next(c for c in checks if c["item"] == "payout_account")


def test_the_dashboard_and_the_inspection_show_a_pending_change_until_it_lands(
    client, shop, clock
):
    def pending_on_dashboard():
        dashboard = client.get(
            "/api/v1/security-center/dashboard", headers=owner(client)
        ).get_json()
        return dashboard["account"]["payout_change_pending"]

    assert pending_on_dashboard() is False
    assert payout_check(client, owner(client))["status"] == "ok"
    request_change(client, shop)

    assert pending_on_dashboard() is True
    check = payout_check(client, owner(client))
    assert check["status"] == "warn"
    assert "3000" in check["detail"]  # the last four digits, never the number
    assert BANK["account_number"] not in check["detail"]

    clock.advance(hours=72)
    assert pending_on_dashboard() is False
    assert payout_check(client, owner(client))["status"] == "ok"


def test_a_change_asked_for_right_after_a_password_change_fails_the_inspection(
    client, shop
):
    client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=shop["owner"],
    )
    fresh = owner(client, NEW_PASSWORD)
    request_change(client, shop, THIEF, headers=fresh)

    assert payout_check(client, owner(client, NEW_PASSWORD))["status"] == "fail"
