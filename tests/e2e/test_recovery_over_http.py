"""Account-takeover recovery against the real server and a real SMTP relay."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

from domain.actor import Actor, ActorKind
from domain.roles import StaffRole
from infrastructure.totp import Totp
from tests import documents
from tests.e2e_helpers import call, running_server, settings_env
from tests.smtp_relay import SmtpRelay

PASSWORD = "Corr3ct-Horse!Battery"
NEW_PASSWORD = "Fr3sh-Start!Orchid"
STAFF_PASSWORD = "Qu1et-Orchard!Signal"
PDF = documents.pdf(text=b"proof of ownership")


def upload(base: str, case: dict, data: bytes) -> int:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\n'
            f'identity\r\n--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="id.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{base}/api/v1/recovery-cases/{case['id']}/documents",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {case['upload_token']}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def agent(
    base: str, services, username: str, role: StaffRole = StaffRole.SUPPORT_AGENT
) -> dict[str, str]:
    services.platform_people.create_staff(
        username,
        f"{username}@example.com",
        role,
        STAFF_PASSWORD,
        Actor(ActorKind.SYSTEM, "test"),
    )
    _, _, grant = call(
        "POST",
        f"{base}/api/v1/sessions",
        {"username": username, "password": STAFF_PASSWORD},
    )
    auth = {"Authorization": f"Bearer {grant['token']}"}
    _, _, enrolment = call("POST", f"{base}/api/v1/me/two-step", headers=auth)
    code = Totp().code_at(enrolment["secret"], datetime.now(UTC))
    call("POST", f"{base}/api/v1/me/two-step/confirm", {"code": code}, auth)
    return auth


def serving_with_mail(settings, relay: SmtpRelay):
    env = settings_env(settings.data_dir, settings.database_url)
    env["SELLERGUARD_SMTP_URL"] = relay.url
    env["SELLERGUARD_RESET_URL"] = "https://shop.example/recover"
    return running_server(env, "--workers", "2")


def open_case(base: str, name: str, opener: dict[str, str]) -> dict:
    shop = call(
        "POST",
        f"{base}/api/v1/sellers",
        {"username": name, "email": f"{name}@example.com", "password": PASSWORD},
    )[2]
    opened = call(
        "POST",
        f"{base}/api/v1/recovery-cases",
        {
            "account_id": shop["id"],
            "reason": "phished",
            "contact_email": f"{name}.private@example.com",
        },
        opener,
    )
    assert opened[0] == 201, opened
    return opened[2]


def mailed(relay: SmtpRelay, to: str, subject: str) -> str:
    """The token of the link in the mail with that subject, once it arrived."""
    for _ in range(300):
        for mail in relay.to(to):
            if mail.subject == subject:
                return str(mail.token())
        relay.wait_for(len(relay.mails) + 1, timeout=0.1)
    raise AssertionError(f"no mail {subject!r} to {to}: {relay.mails}")


def sign_in(base: str, username: str, password: str):
    body = {"username": username, "password": password}
    return call("POST", f"{base}/api/v1/sessions", body)


def test_a_shop_is_recovered_over_http_and_smtp_with_no_token_seen_by_staff(
    settings, services, smtp_relay
):
    with serving_with_mail(settings, smtp_relay) as base:
        opener = agent(base, services, "agent.one")
        decider = agent(base, services, "agent.two")
        auditor = agent(base, services, "auditor.one", StaffRole.AUDITOR)
        for _ in range(5):  # the owner locks their own address out, then asks for help
            sign_in(base, "lost.shop", "not-my-password")
        case = open_case(base, "lost.shop", opener)
        case_url = f"{base}/api/v1/recovery-cases/{case['id']}"
        contact = "lost.shop.private@example.com"
        upload_token = mailed(
            smtp_relay, contact, "Upload documents to recover your shop"
        )
        uploaded = upload(base, {**case, "upload_token": upload_token}, PDF)
        decided = call(
            "POST",
            f"{case_url}/decision",
            {"decision": "approve", "note": "ok"},
            decider,
        )
        agent_saw = [case, decided, call("GET", case_url, headers=decider)[2]]
        agent_saw.append(
            call("GET", f"{base}/api/v1/recovery-cases", headers=opener)[2]
        )
        reset_token = mailed(smtp_relay, contact, "Your recovery was approved")
        reset = call(
            "POST",
            f"{case_url}/reset",
            {"reset_token": reset_token, "new_password": NEW_PASSWORD},
        )
        signed_in = sign_in(base, "lost.shop", NEW_PASSWORD)
        mailed(
            smtp_relay, "lost.shop@example.com", "The recovery of your shop is complete"
        )
        audit = call("GET", f"{base}/api/v1/audit/events?limit=500", headers=auditor)
        history = call(
            "GET",
            f"{base}/api/v1/audit/aggregates/{case['id']}/events",
            headers=auditor,
        )

    assert upload_token == case["upload_token"]
    assert uploaded == 201
    assert decided[:1] == (200,)
    assert decided[2] == {"status": "approved"}
    assert reset[0] == 200
    assert signed_in[0] == 201, signed_in  # at once, from the locked-out address
    secret = reset_token.rsplit(".", 1)[1]
    seen = json.dumps([agent_saw, audit[2], history[2]])
    assert audit[0] == history[0] == 200
    assert "Decided" in seen
    assert reset_token not in seen
    assert secret not in seen
    registered = [m.subject for m in smtp_relay.to("lost.shop@example.com")]
    assert registered == [
        "A recovery case about your shop was opened",
        "The recovery of your shop was approved",
        "The recovery of your shop is complete",
    ]
    for mail in smtp_relay.to("lost.shop@example.com"):
        assert mail.links()[0].startswith("https://shop.example/recover/object?")
        assert secret not in mail.body
        assert upload_token not in mail.body


def test_an_objection_by_the_registered_owner_voids_the_mailed_link(
    settings, services, smtp_relay
):
    with serving_with_mail(settings, smtp_relay) as base:
        opener = agent(base, services, "agent.one")
        decider = agent(base, services, "agent.two")
        case = open_case(base, "taken.shop", opener)
        case_url = f"{base}/api/v1/recovery-cases/{case['id']}"
        upload(base, case, PDF)
        call(
            "POST",
            f"{case_url}/decision",
            {"decision": "approve", "note": "ok"},
            decider,
        )
        contact, owner = "taken.shop.private@example.com", "taken.shop@example.com"
        reset_token = mailed(smtp_relay, contact, "Your recovery was approved")
        objection = mailed(smtp_relay, owner, "The recovery of your shop was approved")
        forged = call("POST", f"{case_url}/objection", {"objection_token": reset_token})
        objected = call(
            "POST",
            f"{case_url}/objection",
            {"objection_token": objection, "note": "I did not ask for this"},
        )
        reset = call(
            "POST",
            f"{case_url}/reset",
            {"reset_token": reset_token, "new_password": NEW_PASSWORD},
        )
        queue = call("GET", f"{base}/api/v1/recovery-cases", headers=decider)[2]
        again = call(
            "POST",
            f"{case_url}/decision",
            {"decision": "approve", "note": "x"},
            decider,
        )
        still_frozen = sign_in(base, "taken.shop", PASSWORD)

    assert (forged[0], forged[2]["code"]) == (403, "forbidden")
    assert objected[0] == 200
    assert objected[2]["status"] == "disputed"
    assert (reset[0], reset[2]["code"]) == (403, "forbidden")
    assert queue["items"][0]["id"] == case["id"]
    assert (again[0], again[2]["code"]) == (409, "no_documents")
    assert (still_frozen[0], still_frozen[2]["code"]) == (403, "account_frozen")
