"""Names beside ids in the audit view: who acted, and whose account it is.

An auditor reading "seller 96480f69-… changed SubAccount 1c2e…" has to look
every id up; the events, the export and the console name the people (their
login names) beside the ids, which stay for machines. Ids of no account, and
actors that are no person, are named ``null``, never an error.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from uuid import uuid4

import pytest

from domain.actor import Actor, ActorKind
from domain.roles import Role, StaffRole
from tests.api.helpers import NEW_PASSWORD, bearer, register, token_of
from tests.api.principals import EMPLOYEE_PASSWORD, staff_token

EVENTS = "/api/v1/audit/events"
EXPORT = "/api/v1/audit/export"


@pytest.fixture
def shop(client) -> dict[str, Any]:
    """A seller who hires a clerk; the clerk signs in and changes the password."""
    seller = register(client, "Shop.One")
    token = token_of(client, username="Shop.One")
    clerk = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": "Clerk.One",
            "email": "clerk@example.com",
            "role": Role.FINANCE_SPECIALIST.value,
            "password": EMPLOYEE_PASSWORD,
        },
    ).get_json()
    clerk_token = token_of(client, username="Clerk.One", password=EMPLOYEE_PASSWORD)
    changed = client.post(
        "/api/v1/me/password",
        headers=bearer(clerk_token),
        json={"current_password": EMPLOYEE_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 204, changed.get_json()
    return {"id": seller["id"], "clerk_id": clerk["id"]}


@pytest.fixture
def auditor(client, services, clock, shop) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.AUDITOR))


def events(client, auditor, **query: Any) -> list[dict[str, Any]]:
    response = client.get(EVENTS, headers=auditor, query_string={"limit": 500, **query})
    assert response.status_code == 200, response.get_json()
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items


def test_each_event_names_who_acted_and_whose_account_it_is(client, auditor, shop):
    items = events(client, auditor)

    created = next(i for i in items if i["event_type"] == "SubAccount.Created")
    assert created["actor"] == {
        "kind": "seller",
        "id": shop["id"],
        "username": "Shop.One",
    }
    assert (created["aggregate_id"], created["aggregate_username"]) == (
        shop["clerk_id"],
        "Clerk.One",
    )
    changed = next(i for i in items if i["event_type"] == "PasswordChanged")
    assert changed["actor"]["username"] == "Clerk.One"
    assert changed["aggregate_username"] == "Clerk.One"


def test_an_auditor_is_named_on_the_reads_of_their_trail(client, auditor, shop):
    events(client, auditor)

    reads = events(client, auditor, aggregate_type="AuditTrail")

    assert reads
    assert {i["actor"]["username"] for i in reads} == {"staff.auditor"}
    assert {i["aggregate_username"] for i in reads} == {None}


def test_actors_that_are_no_person_have_no_name(client, auditor, shop):
    items = events(client, auditor)

    registered = next(i for i in items if i["event_type"] == "SellerAccount.Registered")
    assert registered["actor"] == {"kind": "anonymous", "id": None, "username": None}
    assert registered["aggregate_username"] == "Shop.One"
    kinds = {i["actor"]["kind"] for i in items if i["actor"]["username"] is None}
    assert kinds <= {"anonymous", "system", "service"}


@pytest.mark.parametrize("actor_id", [str(uuid4()), "not-an-account-id"])
def test_an_actor_of_no_known_account_is_named_null_not_an_error(
    client, auditor, services, shop, actor_id
):
    stranger = Actor(ActorKind.STAFF, actor_id, None, None)
    services.audit.record_read(stranger, "events", {})

    response = client.get(EVENTS, headers=auditor, query_string={"actor_id": actor_id})

    items = response.get_json()["items"]
    assert response.status_code == 200
    assert items  # the trail opened, and the read
    assert [i["actor"] for i in items] == [
        {"kind": "staff", "id": actor_id, "username": None}
    ] * len(items)


def test_an_aggregates_events_name_its_account(client, auditor, shop):
    response = client.get(
        f"/api/v1/audit/aggregates/{shop['clerk_id']}/events", headers=auditor
    )

    items = response.get_json()["items"]
    assert response.status_code == 200
    assert {i["aggregate_username"] for i in items} == {"Clerk.One"}
    assert items[0]["actor"]["username"] == "Shop.One"


def test_the_csv_export_has_a_name_column_beside_each_id(client, auditor, shop):
    response = client.get(EXPORT, headers=auditor, query_string={"format": "csv"})

    reader = csv.reader(io.StringIO(response.get_data(as_text=True)))
    header = next(reader)
    rows = [dict(zip(header, row, strict=False)) for row in reader]
    assert response.status_code == 200
    assert header[header.index("aggregate_id") + 1] == "aggregate_username"
    assert header[header.index("actor_id") + 1] == "actor_username"
    created = next(r for r in rows if r["event_type"] == "SubAccount.Created")
    assert (created["actor_id"], created["actor_username"]) == (shop["id"], "Shop.One")
    assert (created["aggregate_id"], created["aggregate_username"]) == (
        shop["clerk_id"],
        "Clerk.One",
    )


def test_the_json_lines_export_names_people_as_the_list_does(client, auditor, shop):
    response = client.get(EXPORT, headers=auditor, query_string={"format": "jsonl"})

    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    listed = events(client, auditor)
    assert response.status_code == 200
    assert [(i["actor"], i["aggregate_username"]) for i in lines] == [
        (i["actor"], i["aggregate_username"]) for i in listed[: len(lines)]
    ]


def test_the_openapi_document_shows_the_names(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]

    event = schemas["AuditEvent"]["properties"]
    actor = schemas["Actor"]["properties"]
    assert {"aggregate_id", "aggregate_username"} <= set(event)
    assert {"id", "username"} <= set(actor)
    assert actor["username"]["type"] == ["string", "null"] or actor["username"].get(
        "nullable"
    )
