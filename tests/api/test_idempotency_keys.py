"""Idempotency-Key on the POSTs that create something: a retry answers the
first response and does nothing new, on both stores, for its caller only."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from psycopg import sql

from domain.roles import StaffRole
from tests.api.helpers import OTHER_IP, OWNER_IP, bearer, register, token_of
from tests.api.principals import (
    OPERATOR,
    STAFF_PASSWORD,
    enable_staff_two_step,
    staff_token,
)
from tests.api.test_recovery import CONTACT, PDF, multipart

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
KEY = "3f1c9a52-6a0e-4b43-9a57-0d4e1c2b7f10"


def employee(username="Emp.One", role="finance_specialist"):
    return {
        "username": username,
        "email": f"{username.lower()}@example.com",
        "role": role,
        "password": EMPLOYEE_PASSWORD,
    }


def create(client, token, body, key=KEY):
    headers = {**bearer(token), "Idempotency-Key": key} if key else bearer(token)
    return client.post("/api/v1/sub-accounts", headers=headers, json=body)


def log_position(services):
    return services.ledger.recorder.max_notification_id() or 0


def sub_accounts(client, token):
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token))
    return [item["username"] for item in listed.get_json()["items"]]


@pytest.fixture
def seller(client):
    register(client)
    return token_of(client)


def test_a_retry_with_the_same_key_answers_the_first_response_and_creates_nothing(
    client, services, seller
):
    first = create(client, seller, employee())
    recorded = log_position(services)

    again = create(client, seller, employee())

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert log_position(services) == recorded
    assert sub_accounts(client, seller) == ["Emp.One"]


def test_the_same_body_with_its_fields_in_another_order_is_the_same_request(
    client, seller
):
    first = create(client, seller, employee())
    reordered = dict(reversed(list(employee().items())))

    again = create(client, seller, reordered)

    assert again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]


def test_the_same_key_with_another_body_is_422_and_changes_nothing(
    client, services, seller
):
    create(client, seller, employee())
    recorded = log_position(services)

    reused = create(client, seller, employee("Emp.Two"))

    assert reused.status_code == 422
    assert reused.get_json()["code"] == "idempotency_key_reused"
    assert reused.mimetype == "application/problem+json"
    assert log_position(services) == recorded
    assert sub_accounts(client, seller) == ["Emp.One"]


def test_without_a_key_each_request_is_its_own(client, seller):
    assert create(client, seller, employee(), key=None).status_code == 201
    again = create(client, seller, employee(), key=None)

    assert again.status_code == 409
    assert again.get_json()["code"] == "username_taken"


def test_a_refused_request_does_not_use_up_its_key(client, seller):
    weak = {**employee(), "password": "short"}
    refused = create(client, seller, weak)

    fixed = create(client, seller, employee())

    assert refused.status_code == 422
    assert refused.get_json()["code"] == "password_policy"
    assert fixed.status_code == 201
    assert sub_accounts(client, seller) == ["Emp.One"]


def test_a_key_is_remembered_for_24_hours_only(client, clock, seller):
    first = create(client, seller, employee())
    clock.advance(hours=23, minutes=59)
    token = token_of(client)  # a recent sign-in: the first one is long past
    assert create(client, token, employee("Emp.Two")).status_code == 422

    clock.advance(minutes=2)
    fresh = create(client, token, employee("Emp.Two"))

    assert first.status_code == fresh.status_code == 201
    assert sub_accounts(client, token) == ["Emp.One", "Emp.Two"]


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_422_and_creates_nothing(client, seller, key):
    response = client.post(
        "/api/v1/sub-accounts",
        headers={**bearer(seller), "Idempotency-Key": key},
        json=employee(),
    )

    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["errors"]
    assert sub_accounts(client, seller) == []


def test_concurrent_requests_with_one_key_do_the_work_once(app, client, seller):
    barrier = threading.Barrier(8)
    answers = []

    def send():
        own = app.test_client()
        barrier.wait()
        answers.append(create(own, seller, employee()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code != 201]
    assert created
    assert len({a.get_json()["id"] for a in created}) == 1
    for answer in waiting:
        assert (answer.status_code, answer.get_json()["code"]) == (
            409,
            "idempotency_key_in_use",
        )
        assert answer.headers["Retry-After"] == "1"
    assert sub_accounts(client, seller) == ["Emp.One"]


# The attack: another caller presents someone's key (leaked in a log, say)
# with the very same body, hoping to be answered the victim's response.


def test_another_principals_key_gives_nothing_of_theirs(client, seller):
    register(client, "Other.Shop")
    thief = token_of(client, username="Other.Shop")
    mine = client.post(
        "/api/v1/me/two-step", headers={**bearer(seller), "Idempotency-Key": KEY}
    )

    theirs = client.post(
        "/api/v1/me/two-step", headers={**bearer(thief), "Idempotency-Key": KEY}
    )

    assert mine.status_code == theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["secret"] != mine.get_json()["secret"]
    assert "shop.one" not in theirs.get_json()["provisioning_uri"].lower()


def test_another_client_replaying_a_registration_key_gets_its_own_answer(client):
    body = {
        "username": "Shop.One",
        "email": "shop.one@example.com",
        "password": "Corr3ct-Horse!Battery",
    }
    headers = {"Idempotency-Key": KEY}
    first = client.post(
        "/api/v1/sellers",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": OWNER_IP},
    )
    retried = client.post(
        "/api/v1/sellers",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": OWNER_IP},
    )

    elsewhere = client.post(
        "/api/v1/sellers",
        json=body,
        headers=headers,
        environ_base={"REMOTE_ADDR": OTHER_IP},
    )

    assert first.status_code == retried.status_code == 201
    assert retried.get_json()["id"] == first.get_json()["id"]
    assert elsewhere.status_code == 409
    assert elsewhere.get_json()["code"] == "username_taken"
    assert first.get_json()["id"] not in elsewhere.get_data(as_text=True)


def test_another_agent_replaying_a_case_key_never_sees_the_upload_token(
    client, services, clock, seller
):
    seller_id = client.get("/api/v1/me", headers=bearer(seller)).get_json()["id"]
    agent = bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT))
    body = {"account_id": seller_id, "reason": "phished", "contact_email": CONTACT}
    opened = client.post(
        "/api/v1/recovery-cases", json=body, headers={**agent, "Idempotency-Key": KEY}
    )
    retried = client.post(
        "/api/v1/recovery-cases", json=body, headers={**agent, "Idempotency-Key": KEY}
    )
    services.platform_people.create_staff(
        "agent.two",
        "two@example.com",
        StaffRole.SUPPORT_AGENT,
        STAFF_PASSWORD,
        OPERATOR,
    )
    other = token_of(client, username="agent.two", password=STAFF_PASSWORD)
    enable_staff_two_step(client, other, clock)

    replayed = client.post(
        "/api/v1/recovery-cases",
        json=body,
        headers={**bearer(other), "Idempotency-Key": KEY},
    )

    token = opened.get_json()["upload_token"]
    assert opened.status_code == retried.status_code == 201
    assert retried.get_json()["upload_token"] == token
    assert replayed.status_code == 409
    assert replayed.get_json()["code"] == "case_already_open"
    assert token not in replayed.get_data(as_text=True)


def test_a_retried_upload_stores_one_document(client, services, clock, seller):
    seller_id = client.get("/api/v1/me", headers=bearer(seller)).get_json()["id"]
    agent = bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT))
    case = client.post(
        "/api/v1/recovery-cases",
        json={"account_id": seller_id, "reason": "phished", "contact_email": CONTACT},
        headers=agent,
    ).get_json()
    headers = {**bearer(case["upload_token"]), "Idempotency-Key": KEY}
    url = f"/api/v1/recovery-cases/{case['id']}/documents"

    # Each attempt is encoded afresh, with a boundary of its own.
    first = client.post(url, headers=headers, **multipart(PDF, "passport.pdf"))
    again = client.post(url, headers=headers, **multipart(PDF, "passport.pdf"))
    other = client.post(url, headers=headers, **multipart(PDF + b" ", "passport.pdf"))

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert other.get_json()["code"] == "idempotency_key_reused"
    documents = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=agent)
    assert len(documents.get_json()["documents"]) == 1


def test_a_kept_response_is_sealed_at_rest(client, services, settings, seller):
    enrolment = client.post(
        "/api/v1/me/two-step", headers={**bearer(seller), "Idempotency-Key": KEY}
    ).get_json()
    seller_id = client.get("/api/v1/me", headers=bearer(seller)).get_json()["id"]

    rows = stored_rows(services, settings)

    assert len(rows) == 1
    stored = b"".join(rows[0])
    for secret in (enrolment["secret"], KEY, seller_id, "Shop.One", "otpauth"):
        assert secret.encode() not in stored


def stored_rows(services, settings) -> list[tuple[bytes, ...]]:
    """What the idempotency table really holds, every column as bytes."""
    query = "SELECT id, fingerprint, response FROM {}"
    if not settings.uses_postgres:
        with sqlite3.connect(settings.data_dir / "views.sqlite") as conn:
            rows = conn.execute(query.format("idempotency_keys")).fetchall()
    else:
        store = services.idempotency.records
        table = sql.Identifier(services.views.schema, "sellerguard_idempotency_keys")
        with store.pool.connection() as conn:
            rows = conn.execute(sql.SQL(query).format(table)).fetchall()
    return [tuple(_bytes(value) for value in row) for row in rows]


def _bytes(value) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value or b"")


def test_every_creating_post_documents_the_header(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    creating = [
        ("/sellers", "post"),
        ("/sub-accounts", "post"),
        ("/blocklist", "post"),
        ("/recovery-requests", "post"),
        ("/recovery-cases", "post"),
        ("/recovery-cases/{case_id}/documents", "post"),
        ("/me/two-step", "post"),
        ("/me/passkeys", "post"),
        ("/me/two-step/recovery-codes", "post"),
        ("/sub-accounts/{sub_account_id}/invitation", "post"),
        ("/me/portfolio/invitations", "post"),
        ("/me/portfolio/links", "post"),
        ("/platform/risk-signals", "post"),
        ("/platform/buyers/{buyer}/links", "post"),
    ]
    for path, method in creating:
        operation = spec["paths"]["/api/v1" + path][method]
        names = [p["name"] for p in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, path
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"]


def test_records_older_than_a_day_are_purged(client, clock, services, settings, seller):
    create(client, seller, employee())
    clock.advance(hours=23)
    assert services.idempotency.purge() == 0

    clock.advance(hours=1, seconds=1)

    assert services.idempotency.purge() == 1
    assert stored_rows(services, settings) == []


def test_an_upload_without_its_token_is_401_whatever_key_it_brings(client):
    client.post(
        "/api/v1/sellers",
        json={
            "username": "Shop.Two",
            "email": "shop.two@example.com",
            "password": "Corr3ct-Horse!Battery",
        },
        headers={"Idempotency-Key": KEY},
    )

    response = client.post(
        "/api/v1/recovery-cases/3f1c9a52-6a0e-4b43-9a57-0d4e1c2b7f10/documents",
        headers={"Idempotency-Key": KEY},
        **multipart(PDF, "passport.pdf"),
    )

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_a_retried_regeneration_answers_the_same_codes_sealed_at_rest(
    client, services, settings, seller
):
    enable_staff_two_step(client, seller, services.clock)
    headers = {**bearer(seller), "Idempotency-Key": KEY}

    first = client.post("/api/v1/me/two-step/recovery-codes", headers=headers)
    again = client.post("/api/v1/me/two-step/recovery-codes", headers=headers)

    codes = first.get_json()["recovery_codes"]
    assert first.status_code == again.status_code == 200
    assert again.get_json()["recovery_codes"] == codes
    assert again.headers["Idempotent-Replayed"] == "true"
    stored = b"".join(b"".join(row) for row in stored_rows(services, settings))
    assert not any(code.encode() in stored for code in codes)
