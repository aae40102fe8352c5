"""The API the support and audit console needs: lookups, event types, names.

An agent on the phone has a name or an address, never an id; an auditor
types an event type by hand and must hear at once when it is wrong.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest

from application.account_lookup import ACCOUNTS_BY_EMAIL
from domain.audit_trail import AuditTrail
from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import EMPLOYEE_PASSWORD, staff_token
from tests.integrity.raw_store import RawStore

ACCOUNTS = "/api/v1/accounts"
EVENTS = "/api/v1/audit/events"


@pytest.fixture
def shop(client) -> dict[str, Any]:
    """A shop with one clerk, and another shop."""
    seller = register(client, "Locked.Owner")
    token = token_of(client, username="Locked.Owner")
    clerk = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": "Clerk.Two",
            "email": "Shared.Inbox@Example.com",
            "role": "finance_specialist",
            "password": EMPLOYEE_PASSWORD,
        },
    ).get_json()
    register(client, "Other.Shop")
    return {"id": seller["id"], "clerk_id": clerk["id"], "token": token}


@pytest.fixture
def agent(client, services, clock) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT))


@pytest.fixture
def auditor(client, services, clock) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.AUDITOR))


def trail_reads(services: Any, client: Any, headers: dict[str, str]) -> list[Any]:
    reader = client.get("/api/v1/me", headers=headers).get_json()["id"]
    return [
        e
        for e in services.ledger.events.get(AuditTrail.id_for(reader))
        if isinstance(e, AuditTrail.Read)
    ]


def test_an_agent_finds_a_shop_by_its_name_in_any_letter_case(client, shop, agent):
    response = client.get(
        ACCOUNTS, headers=agent, query_string={"username": "LOCKED.owner"}
    )

    body = response.get_json()
    assert response.status_code == 200
    assert body["next"] is None
    [found] = body["items"]
    assert set(found) == {
        "id",
        "kind",
        "username",
        "email",
        "status",
        "seller_id",
        "created_at",
    }
    assert (found["id"], found["kind"], found["username"]) == (
        shop["id"],
        "seller",
        "Locked.Owner",
    )
    assert (found["status"], found["seller_id"]) == ("active", shop["id"])


def test_a_name_matches_exactly_never_in_part(client, shop, agent):
    for partial in ("Locked", "Locked.Owne", "Locked.Owner2"):
        response = client.get(
            ACCOUNTS, headers=agent, query_string={"username": partial}
        )

        assert response.status_code == 200
        assert response.get_json()["items"] == []


def test_an_address_finds_every_account_registered_with_it(client, shop, agent):
    register(client, "Second.Shop")  # second.shop@example.com
    response = client.get(
        ACCOUNTS, headers=agent, query_string={"email": "shared.inbox@example.COM"}
    )

    [found] = response.get_json()["items"]
    assert response.status_code == 200
    assert (found["id"], found["kind"], found["seller_id"]) == (
        shop["clerk_id"],
        "sub_account",
        shop["id"],
    )
    other = client.get(
        ACCOUNTS, headers=agent, query_string={"email": "nobody@example.com"}
    )
    assert other.get_json()["items"] == []


def test_the_address_index_keeps_no_address_in_clear(client, shop, services):
    services.read_models.catch_up()

    [(key, item)] = services.views.find(ACCOUNTS_BY_EMAIL, shop["clerk_id"])

    assert "inbox" not in key.lower()
    assert "example" not in key.lower()
    assert item.data == {}


def test_a_lookup_by_an_agent_is_recorded_on_their_trail(client, shop, agent, services):
    response = client.get(
        ACCOUNTS, headers=agent, query_string={"username": "Locked.Owner"}
    )

    [read] = trail_reads(services, client, agent)
    assert (read.what, read.query) == ("account_lookup", {"username": "Locked.Owner"})
    assert read.actor.request_id == response.headers["X-Request-Id"]


def test_agents_find_shops_but_not_staff_auditors_find_staff_too(
    client, shop, agent, auditor
):
    query = {"username": "staff.auditor"}

    by_agent = client.get(ACCOUNTS, headers=agent, query_string=query)
    by_auditor = client.get(ACCOUNTS, headers=auditor, query_string=query)

    assert by_agent.get_json()["items"] == []
    assert [a["kind"] for a in by_auditor.get_json()["items"]] == ["staff"]


@pytest.mark.parametrize(
    "query",
    [{}, {"username": "a", "email": "a@example.com"}, {"username": ""}, {"name": "x"}],
)
def test_a_lookup_needs_exactly_one_name_or_address(client, agent, query):
    response = client.get(ACCOUNTS, headers=agent, query_string=query)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_sellers_may_not_look_accounts_up(client, shop):
    response = client.get(
        ACCOUNTS, headers=bearer(shop["token"]), query_string={"username": "Other.Shop"}
    )

    assert response.status_code == 403


def test_the_event_types_are_listed_with_their_aggregates_and_meaning(client, auditor):
    response = client.get("/api/v1/audit/event-types", headers=auditor)

    items = response.get_json()["items"]
    pairs = {(i["event_type"], i["aggregate_type"]) for i in items}
    assert response.status_code == 200
    assert ("SellerAccount.Registered", "SellerAccount") in pairs
    assert ("RecoveryCase.Decided", "RecoveryCase") in pairs
    # A shared event is filed under each kind of account that records it.
    assert {a for e, a in pairs if e == "LoginSucceeded"} == {
        "SellerAccount",
        "SubAccount",
        "StaffAccount",
    }
    assert all(i["description"] for i in items)
    assert not any(e.endswith(".Event") for e, _ in pairs)


def test_every_listed_event_type_is_accepted_by_the_filter(client, auditor):
    items = client.get("/api/v1/audit/event-types", headers=auditor).get_json()["items"]

    statuses = {
        client.get(
            EVENTS,
            headers=auditor,
            query_string={"event_type": i["event_type"], "limit": 1},
        ).status_code
        for i in items[:: max(1, len(items) // 12)]
    }

    assert statuses == {200}


@pytest.mark.parametrize(
    ("field", "value", "hint"),
    [
        ("event_type", "selleraccount.registered", "SellerAccount.Registered"),
        ("event_type", "PasswordChange", "PasswordChanged"),
        ("event_type", "Nonsense.Happened", None),
        ("aggregate_type", "selleraccount", "SellerAccount"),
    ],
)
def test_an_unknown_type_is_refused_with_the_valid_ones(
    client, auditor, field, value, hint
):
    response = client.get(EVENTS, headers=auditor, query_string={field: value})

    body = response.get_json()
    [message] = body["errors"][field]
    assert (response.status_code, body["code"]) == (422, "validation_error")
    assert "SellerAccount.Registered" in message or "SubAccount" in message
    assert value not in re.split(r"[\s,?]+", message)  # never echoed back
    if hint:
        assert f"Did you mean {hint}?" in message


def test_the_history_filters_by_login_name(client, shop, auditor):
    by_name = client.get(
        EVENTS, headers=auditor, query_string={"username": "locked.owner", "limit": 500}
    )
    by_id = client.get(
        EVENTS, headers=auditor, query_string={"aggregate_id": shop["id"], "limit": 500}
    )
    acted = client.get(
        EVENTS,
        headers=auditor,
        query_string={"actor_username": "Locked.Owner", "limit": 500},
    )

    assert by_name.status_code == 200
    assert by_name.get_json()["items"] == by_id.get_json()["items"]
    assert by_name.get_json()["items"]
    assert {i["actor"]["id"] for i in acted.get_json()["items"]} == {shop["id"]}
    assert "SubAccount.Created" in {i["event_type"] for i in acted.get_json()["items"]}


def test_an_unknown_login_name_in_a_filter_is_refused(client, shop, auditor):
    for field in ("username", "actor_username"):
        response = client.get(EVENTS, headers=auditor, query_string={field: "no.one"})

        assert response.status_code == 422
        assert set(response.get_json()["errors"]) == {field}


def test_an_id_and_a_name_together_are_refused(client, shop, auditor):
    response = client.get(
        EVENTS,
        headers=auditor,
        query_string={"aggregate_id": shop["id"], "username": "Locked.Owner"},
    )

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"aggregate_id", "username"}


def test_an_account_is_replayed_by_its_login_name(client, shop, auditor):
    by_name = client.get(
        "/api/v1/audit/aggregates/LOCKED.OWNER/state?version=1", headers=auditor
    )
    events = client.get("/api/v1/audit/aggregates/Locked.Owner/events", headers=auditor)
    missing = client.get("/api/v1/audit/aggregates/no.one/state", headers=auditor)

    assert by_name.status_code == 200
    assert (by_name.get_json()["id"], by_name.get_json()["version"]) == (shop["id"], 1)
    assert events.get_json()["items"][0]["aggregate_id"] == shop["id"]
    assert missing.status_code == 404


EXPORT = "/api/v1/audit/export"


def test_an_auditor_downloads_the_filtered_history_as_csv(client, shop, auditor):
    response = client.get(
        EXPORT,
        headers=auditor,
        query_string={"format": "csv", "username": "Locked.Owner"},
    )

    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-')
    assert disposition.endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert {r["aggregate_id"] for r in rows} == {shop["id"]}
    assert rows[0]["event_type"] == "SellerAccount.Registered"
    assert rows[0]["data.username"] == "Locked.Owner"
    assert rows[0]["data.password_hash"] == "[redacted]"
    assert not text.startswith("\ufeff")


def test_a_csv_for_spreadsheets_starts_with_a_bom_and_defuses_formulas(client, auditor):
    client.post(
        "/api/v1/recovery-requests",
        json={
            "username": "Nobody.Here",
            "contact_email": "x@example.com",
            "description": '=HYPERLINK("http://evil.example")',
        },
    )
    response = client.get(
        EXPORT,
        headers=auditor,
        query_string={
            "format": "csv",
            "bom": "true",
            "event_type": "RecoveryRequest.Submitted",
        },
    )

    text = response.get_data(as_text=True)
    [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert text.startswith("\ufeffposition,")
    assert row["data.description"] == '\'=HYPERLINK("http://evil.example")'


def test_the_jsonl_export_matches_the_list(client, shop, auditor):
    query = {"aggregate_id": shop["id"]}
    listed = client.get(
        EVENTS, headers=auditor, query_string={**query, "limit": 500}
    ).get_json()["items"]

    response = client.get(
        EXPORT, headers=auditor, query_string={**query, "format": "jsonl"}
    )

    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    assert lines == listed


def test_an_export_is_recorded_as_one_read_with_its_filters(
    client, shop, auditor, services
):
    client.get(
        EXPORT,
        headers=auditor,
        query_string={"format": "jsonl", "event_type": "LoginSucceeded"},
    )

    [read] = trail_reads(services, client, auditor)
    assert (read.what, read.query) == ("export", {"event_type": "LoginSucceeded"})


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"format": "xlsx"},
        {"format": "jsonl", "bom": "true"},
        {"format": "csv", "event_type": "loginsucceeded"},
        {"format": "csv", "username": "no.one"},
    ],
)
def test_a_bad_export_request_is_refused_before_anything_is_sent(
    client, auditor, query
):
    response = client.get(EXPORT, headers=auditor, query_string=query)

    assert response.status_code == 422
    assert response.content_type == "application/problem+json"


def test_an_export_carries_on_past_a_record_it_cannot_read(
    client, shop, auditor, services, settings
):
    services.audit.indexer.catch_up()
    raw = RawStore(settings)
    raw.flip_state_byte(2)
    raw.conn.close()

    response = client.get(EXPORT, headers=auditor, query_string={"format": "jsonl"})

    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert response.status_code == 200
    assert lines[1]["position"] == 2
    assert lines[1]["unreadable"].startswith("does not open in its place")
    assert "data" not in lines[1]
    assert [line["position"] for line in lines[:4]] == [1, 2, 3, 4]
    assert "unreadable" not in lines[2]
