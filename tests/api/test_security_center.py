"""The Security Center over the HTTP API: signals, flagged items, decisions."""

from __future__ import annotations

import threading
from uuid import UUID

import pytest

from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import EMPLOYEE_PASSWORD, OPERATOR, staff_token

SIGNALS = "/api/v1/platform/risk-signals"


@pytest.fixture
def shop(client):
    seller_id = register(client)["id"]
    return {"id": seller_id, "headers": bearer(token_of(client))}


@pytest.fixture
def engine(services):
    key = services.platform_people.create_service_key(
        "risk-engine", ["risk:write"], OPERATOR
    )
    return {"headers": bearer(key.value), "id": str(key.id)}


@pytest.fixture
def performance(services):
    key = services.platform_people.create_service_key(
        "performance", ["risk:read"], OPERATOR
    )
    return bearer(key.value)


def employee(client, shop, role, username=None):
    username = username or f"e.{role}"
    created = client.post(
        "/api/v1/sub-accounts",
        headers=shop["headers"],
        json={
            "username": username,
            "email": f"{username}@example.com",
            "role": role,
            "password": EMPLOYEE_PASSWORD,
        },
    )
    assert created.status_code == 201, created.get_json()
    token = token_of(client, username=username, password=EMPLOYEE_PASSWORD)
    return {"id": created.get_json()["id"], "headers": bearer(token)}


def signal(shop, signal_id="sig-1", **fields):
    body = {
        "signal_id": signal_id,
        "seller_id": shop["id"],
        "subject_kind": "order",
        "subject_id": f"order-{signal_id}",
        "verdict": "high_risk",
        "category": "fraudulent_order",
        "buyer": "buyer_4711",
        "detail": "Card of another country, address of a parcel station.",
    }
    body.update(fields)
    return body


def send(client, engine, body):
    return client.post(SIGNALS, headers=engine["headers"], json=body)


def flagged(client, engine, shop, signal_id="sig-1", **fields):
    response = send(client, engine, signal(shop, signal_id, **fields))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_signal_is_recorded_once_however_often_it_arrives(client, engine, shop):
    first = send(client, engine, signal(shop, verdict="confirmed_fraud"))
    again = send(client, engine, signal(shop, verdict="confirmed_fraud"))

    assert first.status_code == 201
    assert (again.status_code, again.get_json()) == (200, first.get_json())
    intercepted = client.get(
        "/api/v1/security-center/intercepted", headers=shop["headers"]
    ).get_json()
    assert [i["subject_id"] for i in intercepted["items"]] == ["order-sig-1"]


def test_the_same_signal_id_with_other_content_is_a_conflict(client, engine, shop):
    send(client, engine, signal(shop))

    response = send(client, engine, signal(shop, category="other"))

    assert (response.status_code, response.get_json()["code"]) == (
        409,
        "signal_conflict",
    )


def test_a_signal_about_an_unknown_seller_is_not_found(client, engine):
    response = send(
        client, engine, signal({"id": "7b0e5b8e-0000-4000-8000-00000000abcd"})
    )

    assert (response.status_code, response.get_json()["code"]) == (404, "not_found")


def test_a_signal_with_an_unknown_verdict_is_refused(client, engine, shop):
    response = send(client, engine, signal(shop, verdict="maybe"))

    assert response.status_code == 422
    assert "verdict" in response.get_json()["errors"]


def test_a_flagged_order_waits_for_the_shop_and_alerts_the_owner(client, engine, shop):
    item_id = flagged(client, engine, shop)

    orders = client.get(
        "/api/v1/security-center/risk-orders", headers=shop["headers"]
    ).get_json()
    alerts = client.get("/api/v1/me/alerts", headers=shop["headers"]).get_json()

    assert [(o["id"], o["order_id"], o["status"]) for o in orders["items"]] == [
        (item_id, "order-sig-1", "open")
    ]
    assert "risk_order_flagged" in [a["kind"] for a in alerts["items"]]


def test_the_fulfilment_specialist_cancels_a_flagged_order_without_penalty(
    client, engine, shop
):
    specialist = employee(client, shop, "order_fulfilment_specialist")
    item_id = flagged(client, engine, shop)

    decided = client.post(
        f"/api/v1/security-center/risk-orders/{item_id}/decision",
        headers=specialist["headers"],
        json={"decision": "cancel", "note": "Buyer unreachable."},
    )

    body = decided.get_json()
    assert decided.status_code == 200
    assert (body["decision"], body["penalty_waived"], body["decided_by"]) == (
        "cancel",
        True,
        specialist["id"],
    )
    assert body["note"] == "Buyer unreachable."
    still_open = client.get(
        "/api/v1/security-center/risk-orders", headers=shop["headers"]
    ).get_json()
    decided_list = client.get(
        "/api/v1/security-center/risk-orders?status=decided", headers=shop["headers"]
    ).get_json()
    assert still_open["items"] == []
    assert [i["id"] for i in decided_list["items"]] == [item_id]


def test_a_second_decision_is_refused(client, engine, shop):
    item_id = flagged(client, engine, shop)
    url = f"/api/v1/security-center/risk-orders/{item_id}/decision"
    client.post(url, headers=shop["headers"], json={"decision": "keep"})

    again = client.post(url, headers=shop["headers"], json={"decision": "cancel"})

    assert (again.status_code, again.get_json()["code"]) == (409, "already_decided")


def test_a_refund_takes_refund_decisions_only(client, engine, shop):
    item_id = flagged(client, engine, shop, subject_kind="refund", order_id="o-9")

    wrong = client.post(
        f"/api/v1/security-center/risk-refunds/{item_id}/decision",
        headers=shop["headers"],
        json={"decision": "cancel"},
    )
    as_order = client.post(
        f"/api/v1/security-center/risk-orders/{item_id}/decision",
        headers=shop["headers"],
        json={"decision": "cancel"},
    )

    assert wrong.status_code == 422
    assert as_order.status_code == 404


def test_customer_service_rejects_a_risk_refund_and_the_penalty_is_waived(
    client, engine, shop, performance
):
    agent = employee(client, shop, "customer_service_agent")
    rejected = flagged(client, engine, shop, "sig-r1", subject_kind="refund")
    accepted = flagged(client, engine, shop, "sig-r2", subject_kind="refund")
    base = "/api/v1/security-center/risk-refunds"

    client.post(
        f"{base}/{rejected}/decision",
        headers=agent["headers"],
        json={"decision": "reject"},
    )
    client.post(
        f"{base}/{accepted}/decision",
        headers=agent["headers"],
        json={"decision": "accept"},
    )

    feed = client.get(
        f"/api/v1/platform/sellers/{shop['id']}/risk-decisions", headers=performance
    ).get_json()
    assert {
        (d["subject_id"], d["decision"], d["penalty_waived"]) for d in feed["items"]
    } == {
        ("order-sig-r1", "reject", True),
        ("order-sig-r2", "accept", False),
    }


def test_customer_service_may_not_decide_on_orders(client, engine, shop):
    agent = employee(client, shop, "customer_service_agent")
    item_id = flagged(client, engine, shop)

    response = client.post(
        f"/api/v1/security-center/risk-orders/{item_id}/decision",
        headers=agent["headers"],
        json={"decision": "cancel"},
    )

    assert response.status_code == 403


def test_another_shop_cannot_see_or_decide_on_the_item(client, engine, shop):
    item_id = flagged(client, engine, shop)
    register(client, "Other.Shop")
    other = bearer(token_of(client, username="Other.Shop"))

    listed = client.get("/api/v1/security-center/risk-orders", headers=other)
    decided = client.post(
        f"/api/v1/security-center/risk-orders/{item_id}/decision",
        headers=other,
        json={"decision": "cancel"},
    )

    assert listed.get_json()["items"] == []
    assert decided.status_code == 404


def test_the_decisions_feed_takes_since(client, engine, shop, performance, clock):
    first = flagged(client, engine, shop, "sig-a")
    second = flagged(client, engine, shop, "sig-b")
    url = "/api/v1/security-center/risk-orders/{}/decision"
    client.post(url.format(first), headers=shop["headers"], json={"decision": "keep"})
    clock.advance(minutes=20)
    client.post(
        url.format(second), headers=shop["headers"], json={"decision": "cancel"}
    )

    feed = client.get(
        f"/api/v1/platform/sellers/{shop['id']}/risk-decisions"
        "?since=2026-03-03T14:12:00Z",
        headers=performance,
    ).get_json()

    assert [d["subject_id"] for d in feed["items"]] == ["order-sig-b"]


def test_the_audit_view_shows_who_decided_what(client, services, clock, engine, shop):
    specialist = employee(client, shop, "order_fulfilment_specialist")
    item_id = flagged(client, engine, shop)
    client.post(
        f"/api/v1/security-center/risk-orders/{item_id}/decision",
        headers=specialist["headers"],
        json={"decision": "cancel", "note": "Known fraud pattern."},
    )
    auditor = bearer(staff_token(client, services, clock, StaffRole.AUDITOR))

    events = client.get(
        f"/api/v1/audit/aggregates/{item_id}/events", headers=auditor
    ).get_json()["items"]

    received, decided = events
    assert received["actor"] == {
        "kind": "service",
        "id": engine["id"],
        "username": None,
    }
    assert decided["actor"] == {
        "kind": "sub_account",
        "id": specialist["id"],
        "username": "e.order_fulfilment_specialist",
    }
    assert decided["occurred_at"] == "2026-03-03T14:02:00.000000Z"
    assert {k: decided["data"][k] for k in ("decision", "note", "penalty_waived")} == {
        "decision": "cancel",
        "note": "Known fraud pattern.",
        "penalty_waived": True,
    }


def test_twenty_concurrent_decisions_give_exactly_one_success(
    app, client, engine, shop
):
    item_id = flagged(client, engine, shop)
    statuses: list[int] = []
    start = threading.Barrier(20)

    def decide(n: int) -> None:
        own = app.test_client()
        start.wait()
        response = own.post(
            f"/api/v1/security-center/risk-orders/{item_id}/decision",
            headers=shop["headers"],
            json={"decision": "cancel" if n % 2 else "keep", "note": f"try {n}"},
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200] + [409] * 19
    events = client.get(
        "/api/v1/security-center/risk-orders?status=decided", headers=shop["headers"]
    ).get_json()["items"]
    assert [UUID(e["id"]) for e in events] == [UUID(item_id)]
