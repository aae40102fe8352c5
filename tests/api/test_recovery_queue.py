"""Requests linked to cases and dismissed; cases told as people read them;
documents an agent can look at in the browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests import documents
from tests.api import test_recovery as recovery
from tests.api.test_recovery import PNG, decide, open_case, upload

# The recovery tests' cast: a shop with an employee, and two support agents.
world = recovery.world
mailbox = recovery.mailbox

REQUESTS = "/api/v1/recovery-requests"
CASES = "/api/v1/recovery-cases"


def ask(client: Any, username: str = "Shop.One", **extra: str) -> str:
    response = client.post(
        REQUESTS,
        json={
            "username": username,
            "contact_email": extra.get("contact_email", "me.again@example.com"),
            "description": "A stranger changed my password",
        },
        environ_base={"REMOTE_ADDR": extra.get("ip", "203.0.113.7")},
    )
    assert response.status_code == 202
    return str(response.get_json()["request_id"])


def queue(client: Any, world: dict[str, Any], status: str | None = None) -> list[Any]:
    query = {} if status is None else {"status": status}
    response = client.get(REQUESTS, headers=world["agent"], query_string=query)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["items"])


def test_a_case_opened_from_a_request_takes_it_out_of_the_queue(client, world):
    request_id = ask(client)
    other = ask(client, "No.Such.Shop", ip="203.0.113.8")

    opened = client.post(
        CASES,
        headers=world["agent"],
        json={
            "account_id": world["seller_id"],
            "reason": "owner called",
            "request_id": request_id,
        },
    )

    case = opened.get_json()
    assert opened.status_code == 201, case
    assert case["request_id"] == request_id
    assert case["contact_email"] == "me.again@example.com"  # the request's
    assert [r["id"] for r in queue(client, world)] == [other]
    [linked] = queue(client, world, "linked")
    assert (linked["id"], linked["status"], linked["case_id"]) == (
        request_id,
        "linked",
        case["id"],
    )
    assert linked["username"] == "Shop.One"
    statuses = {r["id"]: r["status"] for r in queue(client, world, "all")}
    assert statuses == {request_id: "linked", other: "open"}


def test_a_handled_request_cannot_open_a_second_case(client, world):
    request_id = ask(client)
    body = {"account_id": world["seller_id"], "reason": "x", "request_id": request_id}
    client.post(CASES, headers=world["agent"], json=body)

    again = client.post(CASES, headers=world["agent"], json=body)

    assert again.status_code == 409
    assert again.get_json()["code"] in ("request_handled", "case_already_open")


def test_a_request_naming_another_shop_is_not_linked_and_nothing_is_frozen(
    client, world
):
    client.post(
        "/api/v1/sellers",
        json={
            "username": "Shop.Two",
            "email": "two@example.com",
            "password": "Corr3ct-Horse!Battery",
        },
    )
    request_id = ask(client, "Shop.Two")

    refused = client.post(
        CASES,
        headers=world["agent"],
        json={
            "account_id": world["seller_id"],
            "reason": "x",
            "request_id": request_id,
        },
    )

    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"request_id"}
    assert client.get("/api/v1/me", headers=world["seller"]).status_code == 200
    assert [r["id"] for r in queue(client, world)] == [request_id]


def test_a_case_needs_a_contact_address_or_a_request(client, world):
    response = client.post(
        CASES,
        headers=world["agent"],
        json={"account_id": world["seller_id"], "reason": "x"},
    )

    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"contact_email"}


def test_an_agent_dismisses_a_request_for_an_unknown_name(client, world, services):
    request_id = ask(client, "No.Such.Shop")

    dismissed = client.post(
        f"{REQUESTS}/{request_id}/dismiss",
        headers=world["agent"],
        json={"reason": "no shop of that name; told the sender"},
    )
    again = client.post(
        f"{REQUESTS}/{request_id}/dismiss", headers=world["agent"], json={"reason": "x"}
    )

    body = dismissed.get_json()
    assert dismissed.status_code == 200
    assert (body["status"], body["dismissal_reason"]) == (
        "dismissed",
        "no shop of that name; told the sender",
    )
    assert queue(client, world) == []
    [gone] = queue(client, world, "dismissed")
    assert gone["dismissal_reason"] == "no shop of that name; told the sender"
    assert (again.status_code, again.get_json()["code"]) == (409, "request_handled")


@pytest.mark.parametrize(
    ("path", "status"),
    [("00000000-0000-4000-8000-000000000000", 404), ("not-a-uuid", 404)],
)
def test_dismissing_a_request_that_does_not_exist(client, world, path, status):
    response = client.post(
        f"{REQUESTS}/{path}/dismiss", headers=world["agent"], json={"reason": "x"}
    )

    assert response.status_code == status


def test_a_dismissal_needs_a_reason(client, world):
    request_id = ask(client)

    response = client.post(
        f"{REQUESTS}/{request_id}/dismiss", headers=world["agent"], json={}
    )

    assert response.status_code == 422
    assert queue(client, world)[0]["id"] == request_id


def test_a_case_shows_its_decision_note_decider_and_a_readable_timeline(
    client, world, mailbox
):
    case = open_case(client, world)
    document = upload(client, case).get_json()
    client.get(
        f"{CASES}/{case['id']}/documents/{document['id']}", headers=world["second"]
    )
    decide(client, world, case, "reject")

    view = client.get(f"{CASES}/{case['id']}", headers=world["agent"]).get_json()

    assert view["opened_by_username"] == "staff.support-agent"
    assert view["account"]["username"] == "Shop.One"
    assert view["account"]["status"] == "frozen"
    decision = view["decision"]
    assert (decision["decision"], decision["note"]) == (
        "reject",
        "checked the passport",
    )
    assert decision["decided_by_username"] == "agent.two"
    texts = [entry["text"] for entry in view["timeline"]]
    assert texts == [
        "staff.support-agent opened the case and froze the shop: phished password",
        f"The owner uploaded a identity document (application/pdf, "
        f"{document['size']:,} bytes).",
        "agent.two viewed the identity document.",
        "agent.two rejected the case: checked the passport",
    ]
    assert [e["by_username"] for e in view["timeline"]] == [
        "staff.support-agent",
        None,
        "agent.two",
        "agent.two",
    ]
    listed = client.get(CASES, headers=world["agent"]).get_json()["items"]
    assert listed[0]["decision"]["decided_by_username"] == "agent.two"


def test_an_agent_looks_at_a_picture_in_the_browser(client, world):
    case = open_case(client, world)
    document = upload(client, case, PNG, "id.png").get_json()

    shown = client.get(
        f"{CASES}/{case['id']}/documents/{document['id']}?disposition=inline",
        headers=world["second"],
    )
    view = client.get(f"{CASES}/{case['id']}", headers=world["agent"]).get_json()

    assert shown.status_code == 200
    assert shown.data == PNG
    assert shown.mimetype == "image/png"
    disposition = shown.headers["Content-Disposition"]
    assert disposition.startswith('inline; filename="document-')
    assert disposition.endswith('.png"')
    assert shown.headers["Content-Security-Policy"].startswith("sandbox")
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Cache-Control"] == "no-store"
    assert view["timeline"][-1]["step"] == "document_viewed"  # recorded


def test_a_saved_document_has_a_name_with_its_extension(client, world):
    case = open_case(client, world)
    document = upload(client, case, documents.jpeg(), "scan.jpg").get_json()

    saved = client.get(
        f"{CASES}/{case['id']}/documents/{document['id']}", headers=world["second"]
    )

    assert saved.mimetype == "image/jpeg"
    assert saved.headers["Content-Disposition"].startswith("attachment; filename=")
    assert saved.headers["Content-Disposition"].endswith('.jpg"')


def test_inline_documents_need_the_same_permission(client, world):
    case = open_case(client, world)
    document = upload(client, case, PNG, "id.png").get_json()
    url = f"{CASES}/{case['id']}/documents/{document['id']}?disposition=inline"

    assert client.get(url).status_code == 401
    assert client.get(url, headers=world["seller"]).status_code in (401, 403)
    assert client.get(url, headers=world["employee"]).status_code in (401, 403)
    bad = client.get(url.replace("inline", "render"), headers=world["agent"])
    assert bad.status_code == 422
