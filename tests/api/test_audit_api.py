"""The audit endpoints as an auditor uses them, and as nobody else may."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest

from domain.audit_trail import AuditTrail
from domain.roles import Role, StaffRole
from infrastructure.totp import Totp
from tests.api.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    bearer,
    reauthenticate,
    register,
    token_of,
)
from tests.api.principals import EMPLOYEE_PASSWORD, staff_token

EVENTS = "/api/v1/audit/events"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
ITEM_FIELDS = {
    "position",
    "aggregate_id",
    "aggregate_username",
    "aggregate_type",
    "version",
    "event_type",
    "occurred_at",
    "actor",
    "request_id",
    "ip",
    "data",
}


@pytest.fixture
def auditor(client, services, clock, shop) -> dict[str, str]:
    """An auditor, who comes after the shop's history."""
    return bearer(staff_token(client, services, clock, StaffRole.AUDITOR))


@pytest.fixture
def shop(client, clock) -> dict[str, Any]:
    """A seller who signs in, changes the password, enrols two-step, hires a clerk."""
    seller = register(client, "Shop.One")
    token = token_of(client, username="Shop.One")
    clock.advance(minutes=5)
    changed = client.post(
        "/api/v1/me/password",
        headers=bearer(token),
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204
    enrolment = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": Totp().code_at(enrolment["secret"], clock.now())},
    ).get_json()
    clock.advance(minutes=5)
    code = Totp().code_at(enrolment["secret"], clock.now())
    reauthenticate(client, token, NEW_PASSWORD, code)
    created = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": "Clerk.One",
            "email": "clerk@example.com",
            "role": Role.FINANCE_SPECIALIST.value,
            "password": EMPLOYEE_PASSWORD,
        },
    ).get_json()
    clerk = token_of(client, username="Clerk.One", password=EMPLOYEE_PASSWORD)
    secrets = {PASSWORD, NEW_PASSWORD, EMPLOYEE_PASSWORD, token, clerk}
    secrets |= {enrolment["secret"], *confirmed["recovery_codes"]}
    return {
        "id": seller["id"],
        "sub_account_id": created["id"],
        "token": token,
        "clerk": clerk,
        "secrets": secrets,
    }


def test_an_auditor_lists_every_event_with_its_actor_and_redacted_data(
    client, auditor, shop
):
    response = client.get(EVENTS, headers=auditor, query_string={"limit": 500})

    body = response.get_json()
    assert response.status_code == 200
    assert body["next"] is None
    first = body["items"][0]
    assert set(first) == ITEM_FIELDS
    assert first["aggregate_id"] == shop["id"]
    assert (first["aggregate_type"], first["version"]) == ("SellerAccount", 1)
    assert first["event_type"] == "SellerAccount.Registered"
    assert first["actor"] == {"kind": "anonymous", "id": None, "username": None}
    assert first["aggregate_username"] == "Shop.One"
    assert RFC3339.match(first["occurred_at"])
    assert first["data"]["password_hash"] == "[redacted]"
    assert first["data"]["username"] == "Shop.One"


def test_the_list_pages_with_after_and_next(client, auditor, shop):
    every = client.get(EVENTS, headers=auditor, query_string={"limit": 500})
    positions, after = [], 0
    while True:
        page = client.get(
            EVENTS,
            headers=auditor,
            query_string={"after": after, "limit": 4, "aggregate_id": shop["id"]},
        ).get_json()
        positions += [item["position"] for item in page["items"]]
        if page["next"] is None:
            break
        assert isinstance(page["next"], int)
        after = page["next"]

    shops = [
        i["position"]
        for i in every.get_json()["items"]
        if i["aggregate_id"] == shop["id"]
    ]
    assert positions == shops


def test_the_filters_narrow_the_list(client, auditor, shop):
    response = client.get(
        EVENTS,
        headers=auditor,
        query_string={
            "event_type": "PasswordChanged",
            "aggregate_type": "SellerAccount",
            "actor_id": shop["id"],
            "since": "2026-03-03T14:00:00Z",
            "until": "2026-03-03T15:00:00.000000Z",
        },
    )

    items = response.get_json()["items"]
    assert response.status_code == 200
    assert [(i["event_type"], i["aggregate_id"]) for i in items] == [
        ("PasswordChanged", shop["id"])
    ]
    assert items[0]["actor"] == {
        "kind": "seller",
        "id": shop["id"],
        "username": "Shop.One",
    }


@pytest.mark.parametrize(
    "query",
    [
        {"aggregate_id": "not-a-uuid"},
        {"since": "yesterday"},
        {"since": "2026-03-03T14:00:00"},  # no time zone
        {"since": "2026-03-03T15:00:00Z", "until": "2026-03-03T14:00:00Z"},
        {"after": "-1"},
        {"after": "first"},
        {"limit": "0"},
        {"limit": "501"},
        {"event_type": "Password Changed; DROP"},
        {"aggregate_type": ""},
        {"colour": "blue"},
    ],
)
def test_bad_filters_are_validation_errors(client, auditor, query):
    response = client.get(EVENTS, headers=auditor, query_string=query)

    body = response.get_json()
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert body["code"] == "validation_error"
    assert set(body["errors"]) <= {*query, "_schema"}
    assert body["errors"]


def test_an_aggregates_events_come_in_order(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['sub_account_id']}/events", headers=auditor
    )

    items = response.get_json()["items"]
    assert response.status_code == 200
    assert [i["version"] for i in items] == list(range(1, len(items) + 1))
    assert items[0]["event_type"] == "SubAccount.Created"
    assert {i["aggregate_type"] for i in items} == {"SubAccount"}


def test_an_unknown_aggregate_is_not_found(client, auditor, shop):
    nobody = UUID(int=5)
    for path in ("events", "state"):
        response = client.get(
            f"/api/v1/audit/aggregates/{nobody}/{path}", headers=auditor
        )

        assert response.status_code == 404
        assert response.get_json()["code"] == "not_found"


def test_the_state_at_a_version(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['id']}/state",
        headers=auditor,
        query_string={"version": 1},
    )

    body = response.get_json()
    assert response.status_code == 200
    assert set(body) == {"aggregate_type", "id", "version", "as_of", "state"}
    assert (body["aggregate_type"], body["id"], body["version"]) == (
        "SellerAccount",
        shop["id"],
        1,
    )
    assert body["state"]["password_hash"] == "[redacted]"
    assert body["state"]["sessions"] == {}
    assert RFC3339.match(body["as_of"])


def test_the_state_as_of_a_moment(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['id']}/state",
        headers=auditor,
        query_string={"as_of": "2026-03-03T14:04:00Z"},
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["as_of"] == "2026-03-03T14:04:00.000000Z"
    assert body["version"] == 2  # registered, then signed in at 14:02
    assert body["state"]["two_step_secret"] is None
    [session] = body["state"]["sessions"].values()
    assert session["token_hash"] == "[redacted]"


def test_the_state_before_the_aggregate_existed_is_not_found(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['id']}/state",
        headers=auditor,
        query_string={"as_of": "2026-03-03T14:01:59Z"},
    )

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"
    assert "did not exist yet" in response.get_json()["detail"]


def test_a_version_and_a_moment_together_are_refused(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['id']}/state",
        headers=auditor,
        query_string={"version": 1, "as_of": "2026-03-03T14:04:00Z"},
    )

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"version", "as_of"}


def test_no_secret_appears_in_any_audit_response(client, auditor, shop, services):
    responses = [client.get(EVENTS, headers=auditor, query_string={"limit": 500})]
    for aggregate_id in (shop["id"], shop["sub_account_id"]):
        base = f"/api/v1/audit/aggregates/{aggregate_id}"
        responses.append(client.get(f"{base}/events?limit=500", headers=auditor))
        latest = services.ledger.repository.get(UUID(aggregate_id)).version
        responses += [
            client.get(f"{base}/state?version={v}", headers=auditor)
            for v in range(1, latest + 1)
        ]
    stored = services.ledger.repository.get(UUID(shop["id"]))
    secrets = shop["secrets"] | set(stored.password_history)
    secrets |= {s.token_hash for s in stored.sessions.values()}
    secrets |= set(stored.recovery_code_hashes) | {stored.two_step_secret}

    text = "\n".join(r.get_data(as_text=True) for r in responses)

    assert {r.status_code for r in responses} == {200}
    assert sorted(s for s in secrets if s in text) == []


@pytest.mark.parametrize("who", ["seller", "clerk"])
def test_other_people_may_not_read_the_audit_history(client, shop, who):
    headers = bearer(shop["token" if who == "seller" else "clerk"])

    response = client.get(EVENTS, headers=headers)

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_a_support_agent_may_not_read_the_audit_history(client, services, clock):
    agent = bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT))

    for path in (EVENTS, f"/api/v1/audit/aggregates/{UUID(int=5)}/state"):
        assert client.get(path, headers=agent).status_code == 403


def test_strangers_are_unauthorised(client):
    assert client.get(EVENTS).status_code == 401
    assert client.get(EVENTS, headers=bearer("sg1.nonsense")).status_code == 401


def test_each_read_goes_on_the_auditors_trail_with_its_request(
    client, auditor, shop, services
):
    auditor_id = client.get("/api/v1/me", headers=auditor).get_json()["id"]

    response = client.get(
        EVENTS, headers=auditor, query_string={"event_type": "PasswordChanged"}
    )

    trail = services.ledger.repository.get(AuditTrail.id_for(auditor_id))
    reads = [
        e
        for e in services.ledger.events.get(trail.id)
        if isinstance(e, AuditTrail.Read)
    ]
    assert trail.reads == 1
    assert reads[0].query == {
        "event_type": "PasswordChanged",
        "after": "0",
        "limit": "50",
    }
    assert reads[0].actor.request_id == response.headers["X-Request-Id"]
    assert reads[0].actor.id == auditor_id


def test_the_openapi_document_describes_the_audit_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in (
        "/api/v1/audit/events",
        "/api/v1/audit/aggregates/{aggregate_id}/events",
        "/api/v1/audit/aggregates/{aggregate_id}/state",
    ):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"200", "401", "403", "422"} <= set(responses)
