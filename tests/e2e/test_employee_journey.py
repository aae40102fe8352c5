"""An employee's whole life in a shop, over the real server and a real SMTP relay.

The owner requires two-step of staff and invites an employee; the employee
reads the mail, chooses a password with its link, is held to enrolling
two-step, works, and is deactivated: from then on nothing of theirs opens.
"""

from __future__ import annotations

from datetime import UTC, datetime

from infrastructure.totp import Totp
from tests.e2e_helpers import call, running_server, settings_env
from tests.smtp_relay import SmtpRelay

OWNER_PASSWORD = "Corr3ct-Horse!Battery"
CHOSEN = "Bl0ssom-Tide!Harbor"
INVITED_SUBJECT = 'You are invited to the seller centre of "corner.shop"'


def invitation_mail(relay: SmtpRelay, to: str):
    for _ in range(300):
        for mail in relay.to(to):
            if mail.subject == INVITED_SUBJECT:
                return mail
        relay.wait_for(len(relay.mails) + 1, timeout=0.1)
    raise AssertionError(f"no invitation to {to}: {relay.mails}")


def signed_in(base: str, username: str, password: str) -> dict[str, str]:
    status, _, grant = call(
        "POST",
        f"{base}/api/v1/sessions",
        {"username": username, "password": password},
    )
    assert status == 201, grant
    return {"Authorization": f"Bearer {grant['token']}"}


def grouped(code: str) -> str:
    return f"{code[:3]} {code[3:]}"  # as the authenticator app shows it


def test_an_invited_employee_joins_enrols_works_and_is_let_go(settings, smtp_relay):
    env = settings_env(settings.data_dir, settings.database_url)
    env["SELLERGUARD_SMTP_URL"] = smtp_relay.url
    env["SELLERGUARD_INVITATION_URL"] = "https://shop.example/invitation"
    with running_server(env) as base:
        api = f"{base}/api/v1"
        call(
            "POST",
            f"{api}/sellers",
            {
                "username": "corner.shop",
                "email": "owner@example.com",
                "password": OWNER_PASSWORD,
            },
        )
        owner = signed_in(base, "corner.shop", OWNER_PASSWORD)
        policy = call(
            "PUT",
            f"{api}/me/policies",
            {"sub_accounts_require_two_step": True},
            owner,
        )
        invited = call(
            "POST",
            f"{api}/sub-accounts",
            {
                "username": "anna",
                "email": "anna@example.com",
                "role": "customer_service_agent",
            },
            owner,
        )
        letter = invitation_mail(smtp_relay, "anna@example.com")
        accepted = call(
            "POST",
            f"{api}/invitations/accept",
            {"token": letter.token("/invitation"), "password": CHOSEN},
        )
        anna = signed_in(base, "anna", CHOSEN)
        held = call("GET", f"{api}/blocklist", headers=anna)
        secret = call("POST", f"{api}/me/two-step", headers=anna)[2]["secret"]
        code = Totp().code_at(secret, datetime.now(UTC))
        enrolled = call(
            "POST", f"{api}/me/two-step/confirm", {"code": grouped(code)}, anna
        )
        works = call("GET", f"{api}/blocklist", headers=anna)
        listed = call("GET", f"{api}/sub-accounts", headers=owner)[2]["items"]
        deactivated = call(
            "POST",
            f"{api}/sub-accounts/{invited[2]['id']}/deactivate",
            {"reason": "Left the company."},
            owner,
        )
        after = call("GET", f"{api}/me", headers=anna)
        again = call(
            "POST", f"{api}/sessions", {"username": "anna", "password": CHOSEN}
        )
        alerts = call("GET", f"{api}/me/alerts", headers=owner)[2]["items"]

    assert policy[:1] == (200,)
    assert (invited[0], invited[2]["status"]) == (201, "invited")
    assert len(letter.links()) == 1  # its own link, nothing else
    assert letter.links()[0].startswith("https://shop.example/invitation?token=")
    assert OWNER_PASSWORD not in letter.body
    assert (accepted[0], accepted[2]["status"]) == (200, "active")
    assert (held[0], held[2]["code"]) == (403, "two_step_required")
    assert enrolled[0] == 200
    assert len(enrolled[2]["recovery_codes"]) == 10
    assert works[0] == 200
    assert listed[0]["last_active_at"] is not None
    assert (deactivated[0], deactivated[2]["status"]) == (200, "deactivated")
    assert (after[0], after[2]["code"]) == (401, "unauthorized")
    assert (again[0], again[2]["code"]) == (401, "invalid_credentials")
    assert "15 minutes" in again[2]["detail"]
    assert "Sub-account anna was deactivated." in [a["detail"] for a in alerts]
