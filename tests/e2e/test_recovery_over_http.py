"""Account-takeover recovery against the real server: approve and reject."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime

import pytest

from domain.actor import Actor, ActorKind
from domain.roles import StaffRole
from infrastructure.totp import Totp
from tests import documents
from tests.e2e_helpers import call, running_server, settings_env

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


def agent(base: str, services, username: str) -> dict[str, str]:
    services.platform_people.create_staff(
        username,
        f"{username}@example.com",
        StaffRole.SUPPORT_AGENT,
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


@pytest.mark.parametrize("first_decision", ["approve", "reject"])
def test_a_shop_is_recovered_over_real_http(settings, services, first_decision):
    env = settings_env(settings.data_dir, settings.database_url)
    with running_server(env, "--workers", "2") as base:
        seller = call(
            "POST",
            f"{base}/api/v1/sellers",
            {"username": "Lost.Shop", "email": "l@example.com", "password": PASSWORD},
        )
        opener, decider = (
            agent(base, services, "agent.one"),
            agent(base, services, "agent.two"),
        )
        opened = call(
            "POST",
            f"{base}/api/v1/recovery-cases",
            {
                "account_id": seller[2]["id"],
                "reason": "phished",
                "contact_email": "owner@example.com",
            },
            opener,
        )
        frozen = call(
            "POST",
            f"{base}/api/v1/sessions",
            {"username": "Lost.Shop", "password": PASSWORD},
        )
        uploaded = upload(base, opened[2], PDF)
        case_url = f"{base}/api/v1/recovery-cases/{opened[2]['id']}"
        decided = call(
            "POST",
            f"{case_url}/decision",
            {"decision": first_decision, "note": "checked"},
            decider,
        )
        if first_decision == "reject":
            assert upload(base, opened[2], PDF) == 201
            decided = call(
                "POST",
                f"{case_url}/decision",
                {"decision": "approve", "note": "now it is clear"},
                decider,
            )
        reset = call(
            "POST",
            f"{case_url}/reset",
            {"reset_token": decided[2]["reset_token"], "new_password": NEW_PASSWORD},
        )
        signed_in = call(
            "POST",
            f"{base}/api/v1/sessions",
            {"username": "Lost.Shop", "password": NEW_PASSWORD},
        )
        final = call("GET", case_url, headers=opener)

    assert opened[0] == 201
    assert (frozen[0], frozen[2]["code"]) == (403, "account_frozen")
    assert uploaded == 201
    assert decided[2]["status"] == "approved"
    assert reset[0] == 200
    assert signed_in[0] == 201
    assert final[2]["status"] == "closed"
