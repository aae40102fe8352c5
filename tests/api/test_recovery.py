"""Account-takeover recovery, end to end over the HTTP API."""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from domain.roles import StaffRole
from infrastructure.notifier import SmtpNotifier
from tests import documents
from tests.api.helpers import PASSWORD, bearer, login, register, token_of
from tests.api.principals import (
    EMPLOYEE_PASSWORD,
    OPERATOR,
    STAFF_PASSWORD,
    enable_staff_two_step,
    staff_token,
)

PDF = documents.pdf()
PNG = documents.png()
NEW_PASSWORD = "Fr3sh-Start!Orchid"
HTML = b"<html><body><script>fetch('/api/v1/me')</script></body></html>"
# Files that start as an accepted type and are something else as well.
POLYGLOTS = [
    b"\x89PNG\r\n\x1a\n" + HTML,  # a PNG signature, then a web page
    documents.png(600, 400) + HTML,  # a whole PNG, then a web page
    documents.jpeg(600, 400) + HTML,  # a whole JPEG, then a web page
    b"%PDF-1.4\n" + b"PK\x03\x04" + b"\x00" * 60 + b"PK\x05\x06" + b"\x00" * 18,
    documents.pdf() + b"PK\x05\x06" + b"\x00" * 18,  # a PDF, then a zip's end
    documents.pdf(text=b"<html><script>alert(1)</script>"),  # markup up front
    b"%PDF-1.4\n%%EOF\n",  # a PDF header and trailer with nothing between
]


CONTACT = "owner.private@example.com"
REGISTERED = "shop.one@example.com"


class Mailbox:
    """What the system mailed, through a real SMTP server."""

    def __init__(self, services, relay) -> None:
        self.services = services
        self.relay = relay
        services.outbox.notifier = SmtpNotifier(relay.url, "sellerguard@example.com")

    def deliver(self):
        self.services.read_models.catch_up()
        self.services.outbox.dispatch()
        return self.relay.mails

    def reset_token(self):
        """The token of the newest reset link mailed to the contact address."""
        self.deliver()
        mails = self.relay.to(CONTACT)
        links = [m.token("/recover") for m in mails if m.token("/recover")]
        return links[-1] if links else None

    def objection_token(self):
        self.deliver()
        return self.relay.to(REGISTERED)[-1].token("/object")


@pytest.fixture
def mailbox(services, smtp_relay):
    return Mailbox(services, smtp_relay)


@pytest.fixture
def world(client, services, clock):
    seller_id = register(client)["id"]
    seller = token_of(client)
    client.post(
        "/api/v1/sub-accounts",
        headers=bearer(seller),
        json={
            "username": "Emp.One",
            "email": "e@example.com",
            "role": "finance_specialist",
            "password": EMPLOYEE_PASSWORD,
        },
    )
    employee = token_of(client, username="Emp.One", password=EMPLOYEE_PASSWORD)
    first = staff_token(client, services, clock, StaffRole.SUPPORT_AGENT)
    services.platform_people.create_staff(
        "agent.two",
        "two@example.com",
        StaffRole.SUPPORT_AGENT,
        STAFF_PASSWORD,
        OPERATOR,
    )
    second = token_of(client, username="agent.two", password=STAFF_PASSWORD)
    enable_staff_two_step(client, second, clock)
    return {
        "seller_id": seller_id,
        "seller": bearer(seller),
        "employee": bearer(employee),
        "agent": bearer(first),
        "second": bearer(second),
    }


def open_case(client, world):
    response = client.post(
        "/api/v1/recovery-cases",
        headers=world["agent"],
        json={
            "account_id": world["seller_id"],
            "reason": "phished password",
            "contact_email": CONTACT,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def multipart(data, name, doc_type="identity"):
    """A multipart body built in memory (the test client would spool big ones
    to a temporary file it never closes)."""
    boundary, body = encode_multipart(
        {"doc_type": doc_type, "file": FileStorage(io.BytesIO(data), name)}
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(
    client, case, data=PDF, name="passport.pdf", doc_type="identity", token=None
):
    return client.post(
        f"/api/v1/recovery-cases/{case['id']}/documents",
        headers=bearer(token or case["upload_token"]),
        **multipart(data, name, doc_type),
    )


def decide(client, world, case, decision, agent="second"):
    return client.post(
        f"/api/v1/recovery-cases/{case['id']}/decision",
        headers=world[agent],
        json={"decision": decision, "note": "checked the passport"},
    )


def reset(client, case, token, password=NEW_PASSWORD):
    return client.post(
        f"/api/v1/recovery-cases/{case['id']}/reset",
        json={"reset_token": token, "new_password": password},
    )


def test_the_whole_approved_recovery(client, world, services, mailbox):
    case = open_case(client, world)

    assert case["status"] == "awaiting_documents"
    for session in (world["seller"], world["employee"]):
        assert client.get("/api/v1/me", headers=session).status_code == 401
    frozen = login(client)
    assert (frozen.status_code, frozen.get_json()["code"]) == (403, "account_frozen")

    document = upload(client, case)
    assert document.status_code == 201, document.get_json()
    assert document.get_json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert document.get_json()["content_type"] == "application/pdf"

    url = f"/api/v1/recovery-cases/{case['id']}"
    viewed = client.get(
        f"{url}/documents/{document.get_json()['id']}", headers=world["second"]
    )
    assert viewed.data == PDF
    assert viewed.headers["X-Content-Type-Options"] == "nosniff"
    assert viewed.headers["Content-Security-Policy"].startswith("sandbox")
    assert viewed.headers["Content-Disposition"].startswith("attachment")
    assert viewed.headers["Cache-Control"] == "no-store"
    assert client.get(url, headers=world["agent"]).get_json()["status"] == (
        "under_review"
    )

    own = decide(client, world, case, "approve", agent="agent")
    assert (own.status_code, own.get_json()["code"]) == (403, "four_eyes_required")
    approved = decide(client, world, case, "approve")
    assert approved.get_json() == {"status": "approved"}  # no token for any agent
    token = mailbox.reset_token()

    restored = reset(client, case, token)
    assert restored.status_code == 200
    assert reset(client, case, token).status_code == 403  # single use
    assert login(client).status_code == 401  # the old password is gone
    assert login(client, password=NEW_PASSWORD).status_code == 201
    final = client.get(url, headers=world["agent"]).get_json()
    assert final["status"] == "closed"
    steps = [entry["step"] for entry in final["timeline"]]
    assert steps == [
        "opened",
        "document_received",
        "document_viewed",
        "decided",
        "closed",
    ]


def test_a_rejected_case_takes_more_documents_and_is_decided_again(
    client, world, mailbox
):
    case = open_case(client, world)
    upload(client, case)

    rejected = decide(client, world, case, "reject")
    more = upload(client, case, PNG, "selfie.png")
    approved = decide(client, world, case, "approve")

    assert rejected.get_json() == {"status": "rejected"}
    assert more.status_code == 201
    assert more.get_json()["content_type"] == "image/png"
    assert approved.get_json() == {"status": "approved"}
    assert reset(client, case, mailbox.reset_token()).status_code == 200


def test_the_reset_clears_two_step_and_refuses_a_reused_password(
    client, world, services, mailbox
):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")
    token = mailbox.reset_token()

    reused = reset(client, case, token, password=PASSWORD)

    assert (reused.status_code, reused.get_json()["code"]) == (422, "password_policy")
    assert "password_reused" in [v["code"] for v in reused.get_json()["violations"]]
    assert reset(client, case, token).status_code == 200


def test_a_second_case_for_the_same_account_is_409(client, world):
    open_case(client, world)

    again = client.post(
        "/api/v1/recovery-cases",
        headers=world["agent"],
        json={
            "account_id": world["seller_id"],
            "reason": "again",
            "contact_email": "x@example.com",
        },
    )

    assert (again.status_code, again.get_json()["code"]) == (409, "case_already_open")


def test_deciding_without_documents_is_409(client, world):
    case = open_case(client, world)

    response = decide(client, world, case, "approve")

    assert (response.status_code, response.get_json()["code"]) == (409, "no_documents")


def test_a_false_alarm_is_unfrozen_and_closes_the_case(client, world):
    case = open_case(client, world)

    response = client.post(
        f"/api/v1/platform/sellers/{world['seller_id']}/unfreeze",
        json={"reason": "the owner called"},
        headers=world["second"],
    )

    assert response.status_code == 200
    assert login(client).status_code == 201
    view = client.get(f"/api/v1/recovery-cases/{case['id']}", headers=world["agent"])
    assert view.get_json()["status"] == "closed"


def stored_blobs(services, settings) -> dict[str, bytes]:
    """What the vault really holds: files on disk, or rows of its table."""
    if not settings.uses_postgres:
        files = (Path(settings.data_dir) / "documents").glob("*")
        return {path.stem: path.read_bytes() for path in files}
    vault = services.recovery.vault
    with psycopg.connect(vault.conninfo) as conn:
        rows = conn.execute(sql.SQL("SELECT id, blob FROM {}").format(vault.table))
        return {row[0]: bytes(row[1]) for row in rows}


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (b"A" * (10 * 1024 * 1024 + 1), "big.pdf", 413, "payload_too_large"),
        (
            b"MZ\x90\x00 an executable, renamed",
            "invoice.pdf",
            415,
            "unsupported_media_type",
        ),
        (b"", "empty.pdf", 422, "validation_error"),
        (b"%PDF" + b"\x00" * 20, "../../etc/passwd", 415, "unsupported_media_type"),
        *((data, "scan.png", 415, "unsupported_media_type") for data in POLYGLOTS),
    ],
)
def test_a_refused_upload_leaves_nothing_behind(
    client, world, services, settings, data, name, status, code
):
    case = open_case(client, world)
    before = services.ledger.last_position()

    response = upload(client, case, data, name)

    assert (response.status_code, response.get_json()["code"]) == (status, code)
    assert services.ledger.last_position() == before
    assert stored_blobs(services, settings) == {}


def test_exactly_ten_mebibytes_is_accepted(client, world):
    case = open_case(client, world)
    data = documents.pdf(size=10 * 1024 * 1024)

    assert upload(client, case, data).status_code == 201


def test_a_path_like_file_name_is_never_used_as_a_path(client, world, settings):
    case = open_case(client, world)

    response = upload(client, case, PDF, "../../../../tmp/owned.pdf")

    assert response.status_code == 201
    assert not (Path(tempfile.gettempdir()) / "owned.pdf").exists()


@pytest.mark.parametrize("header_token", ["", "garbage", "sgu1.abc.upload.x"])
def test_a_missing_or_malformed_upload_token_is_401(client, world, header_token):
    case = open_case(client, world)

    response = client.post(
        f"/api/v1/recovery-cases/{case['id']}/documents",
        headers={"Authorization": f"Bearer {header_token}"} if header_token else {},
        **multipart(PDF, "a.pdf"),
    )

    assert (response.status_code, response.get_json()["code"]) == (401, "unauthorized")


def test_another_cases_token_or_a_forged_one_is_403(client, world, services, clock):
    case = open_case(client, world)
    forged = case["upload_token"][:-4] + "AAAA"

    response = upload(client, case, token=forged)

    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")


def test_uploads_to_a_closed_case_are_refused(client, world, mailbox):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")
    reset(client, case, mailbox.reset_token())

    response = upload(client, case)

    assert response.status_code in (403, 409)
    assert response.mimetype == "application/problem+json"


def test_an_approved_case_takes_no_more_documents(client, world):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")

    response = upload(client, case)

    assert (response.status_code, response.get_json()["code"]) == (
        409,
        "case_not_accepting_documents",
    )


def test_the_stored_blob_is_not_the_document_and_decrypts_back(
    client, world, services, settings
):
    case = open_case(client, world)
    upload(client, case)

    ((document_id, raw),) = stored_blobs(services, settings).items()

    assert not raw.startswith(b"%PDF")
    assert b"identity document" not in raw
    assert hashlib.sha256(raw).hexdigest() != hashlib.sha256(PDF).hexdigest()
    assert services.recovery.vault.get(document_id) == PDF


def test_a_recovery_request_answers_alike_for_unknown_names(client, world, services):
    known = client.post(
        "/api/v1/recovery-requests",
        json={
            "username": "Shop.One",
            "contact_email": "me@example.com",
            "description": "I cannot sign in",
        },
    )
    unknown = client.post(
        "/api/v1/recovery-requests",
        json={
            "username": "No.Such.Shop",
            "contact_email": "me@example.com",
            "description": "I cannot sign in",
        },
    )

    assert known.status_code == unknown.status_code == 202
    assert set(known.get_json()) == set(unknown.get_json()) == {"request_id"}
    assert login(client).status_code == 201  # nothing was frozen
    queue = client.get("/api/v1/recovery-requests", headers=world["agent"]).get_json()
    assert [(r["username"], r["account_id"] is not None) for r in queue["items"]] == [
        ("No.Such.Shop", False),
        ("Shop.One", True),
    ]


def test_recovery_requests_are_limited_per_address(client, world):
    statuses = [
        client.post(
            "/api/v1/recovery-requests",
            json={
                "username": "Shop.One",
                "contact_email": "me@example.com",
                "description": "help",
            },
        ).status_code
        for _ in range(11)
    ]

    assert statuses == [202] * 10 + [429]


def test_the_shop_is_alerted_of_the_freeze_and_the_restore(
    client, world, services, mailbox
):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")
    reset(client, case, mailbox.reset_token())
    seller = token_of(client, password=NEW_PASSWORD)

    kinds = [
        a["kind"]
        for a in client.get("/api/v1/me/alerts", headers=bearer(seller)).get_json()[
            "items"
        ]
    ]

    assert "account_frozen" in kinds
    assert "account_restored" in kinds
    assert "password_changed" in kinds


def recovered(client, world, mailbox):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")
    assert reset(client, case, mailbox.reset_token()).status_code == 200
    return case


def test_the_reset_lifts_the_lockout_of_the_owners_own_address(client, world, mailbox):
    for _ in range(6):
        login(client, password="wrong-Password-1!")
    assert login(client).status_code == 401  # the owner locked themselves out

    recovered(client, world, mailbox)

    assert login(client, password=NEW_PASSWORD).status_code == 201


def test_the_owner_is_told_to_turn_two_step_on_again(
    client, world, services, mailbox, clock
):
    enable_staff_two_step(client, world["seller"]["Authorization"][7:], clock)

    recovered(client, world, mailbox)

    seller = bearer(token_of(client, password=NEW_PASSWORD))
    me = client.get("/api/v1/me", headers=seller).get_json()
    alerts = client.get("/api/v1/me/alerts", headers=seller).get_json()["items"]
    off = [a for a in alerts if a["kind"] == "two_step_disabled"]
    assert me["two_step_enabled"] is False
    assert "turn it on again" in off[0]["detail"]
    mailbox.deliver()
    completed = mailbox.relay.to(REGISTERED)[-1]
    assert "turn it on again" in completed.body


def test_the_registered_address_is_told_of_each_step_with_an_objection_link(
    client, world, mailbox
):
    case = recovered(client, world, mailbox)
    mailbox.deliver()

    mails = mailbox.relay.to(REGISTERED)

    assert len(mails) == 3
    for mail in mails:
        assert mail.token("/object").startswith("sgo1.")
        assert case["upload_token"] not in mail.body
    contact = [m.subject for m in mailbox.relay.to(CONTACT)]
    assert contact[0] == "Upload documents to recover your shop"
    assert mailbox.relay.to(CONTACT)[0].token("/upload") == case["upload_token"]


def test_an_objection_to_a_closed_case_is_409_and_a_wrong_token_403(
    client, world, mailbox
):
    case = recovered(client, world, mailbox)
    url = f"/api/v1/recovery-cases/{case['id']}/objection"

    late = client.post(url, json={"objection_token": mailbox.objection_token()})
    wrong = client.post(url, json={"objection_token": case["upload_token"]})

    assert (late.status_code, late.get_json()["code"]) == (409, "case_closed")
    assert (wrong.status_code, wrong.get_json()["code"]) == (403, "forbidden")


def test_a_disputed_case_is_decided_again_only_after_a_new_document(
    client, world, mailbox
):
    case = open_case(client, world)
    upload(client, case)
    decide(client, world, case, "approve")
    voided = mailbox.reset_token()
    objected = client.post(
        f"/api/v1/recovery-cases/{case['id']}/objection",
        json={"objection_token": mailbox.objection_token(), "note": "not me"},
    )

    refused = decide(client, world, case, "approve")
    upload(client, case, PNG, "selfie.png")
    again = decide(client, world, case, "approve")

    assert objected.get_json()["status"] == "disputed"
    assert refused.get_json()["code"] == "no_documents"
    assert again.get_json() == {"status": "approved"}
    assert reset(client, case, voided).status_code == 403
    assert reset(client, case, mailbox.reset_token()).status_code == 200
