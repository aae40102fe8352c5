"""Invitations and the owner's controls over employees, through the API.

The owner invites an employee instead of choosing their password; the mailed
one-time link sets it. Attacks replayed: a used, expired, revoked, replaced
or altered link, and one link turned on another account, are all refused.
"""

from __future__ import annotations

import pytest

from infrastructure.notifier import SmtpNotifier
from infrastructure.totp import Totp
from tests.api.helpers import bearer, hire, login, register, token_of

TOTP = Totp()
CHOSEN = "Bl0ssom-Tide!Harbor"
OTHER_CHOSEN = "Qu1et-Orchard!Signal"


@pytest.fixture
def mail(services, smtp_relay):
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sg@example.com")

    def received(address):
        services.read_models.catch_up()
        services.outbox.dispatch()
        return smtp_relay.to(address)

    return received


@pytest.fixture
def token(client):
    register(client)
    return token_of(client)


def invite(client, token, username="anna"):
    return hire(client, token, username, password=None)


def link_token(mail, username="anna"):
    return mail(f"{username}@example.com")[-1].token("/invitation")


def accept(client, invitation, password=CHOSEN):
    return client.post(
        "/api/v1/invitations/accept", json={"token": invitation, "password": password}
    )


def test_an_invited_employee_chooses_their_password_with_the_mailed_link(
    client, token, mail
):
    anna = invite(client, token)
    (letter,) = mail("anna@example.com")

    accepted = accept(client, letter.token("/invitation"))

    assert anna["status"] == "invited"
    assert "72 hours" in letter.body
    assert accepted.status_code == 200
    assert accepted.get_json()["status"] == "active"
    assert login(client, username="anna", password=CHOSEN).status_code == 201


def test_an_invited_account_cannot_sign_in_before_accepting(client, token):
    invite(client, token)

    assert login(client, username="anna", password=CHOSEN).status_code == 401


def test_a_used_invitation_is_refused(client, token, mail):
    invite(client, token)
    invitation = link_token(mail)
    accept(client, invitation)

    again = accept(client, invitation, OTHER_CHOSEN)

    assert (again.status_code, again.get_json()["code"]) == (403, "forbidden")
    assert login(client, username="anna", password=OTHER_CHOSEN).status_code == 401
    assert login(client, username="anna", password=CHOSEN).status_code == 201


def test_an_expired_invitation_is_refused(client, token, mail, clock):
    invite(client, token)
    invitation = link_token(mail)
    clock.advance(hours=72)

    response = accept(client, invitation)

    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")


def test_an_invitation_just_before_it_expires_still_works(client, token, mail, clock):
    invite(client, token)
    invitation = link_token(mail)
    clock.advance(hours=71, minutes=59)

    assert accept(client, invitation).status_code == 200


def test_a_revoked_invitation_is_refused(client, token, mail):
    anna = invite(client, token)
    invitation = link_token(mail)

    revoked = client.delete(
        f"/api/v1/sub-accounts/{anna['id']}/invitation", headers=bearer(token)
    )
    response = accept(client, invitation)

    assert revoked.status_code == 204
    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")


def test_a_resent_invitation_replaces_the_old_link(client, token, mail):
    anna = invite(client, token)
    first = link_token(mail)

    resent = client.post(
        f"/api/v1/sub-accounts/{anna['id']}/invitation", headers=bearer(token)
    )
    second = link_token(mail)

    assert resent.status_code == 200
    assert second != first
    assert accept(client, first).status_code == 403
    assert accept(client, second).status_code == 200


@pytest.mark.parametrize("position", [0, 10, -1])
def test_a_tampered_invitation_is_refused(client, token, mail, position):
    invite(client, token)
    invitation = link_token(mail)
    flipped = "A" if invitation[position] != "A" else "B"
    tampered = invitation[:position] + flipped + invitation[position + 1 :]
    if position == -1:
        tampered = invitation[:-1] + flipped

    response = accept(client, tampered)

    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")
    assert accept(client, invitation).status_code == 200


def test_an_invitation_cannot_open_another_account(client, token, mail):
    anna = invite(client, token)
    ben = invite(client, token, "ben")
    annas = link_token(mail, "anna")
    turned = annas.replace(anna["id"].replace("-", ""), ben["id"].replace("-", ""))

    response = accept(client, turned)

    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")
    assert login(client, username="ben", password=CHOSEN).status_code == 401
    assert client.get(
        f"/api/v1/sub-accounts/{ben['id']}", headers=bearer(token)
    ).get_json()["status"] == ("invited")


def test_accepting_enforces_the_password_policy_and_changes_nothing(
    client, token, mail
):
    invite(client, token)
    invitation = link_token(mail)

    weak = accept(client, invitation, "anna1234")

    assert (weak.status_code, weak.get_json()["code"]) == (422, "password_policy")
    assert accept(client, invitation).status_code == 200  # still unused


def test_revoking_without_an_invitation_is_409(client, token, mail):
    anna = invite(client, token)
    accept(client, link_token(mail))

    response = client.delete(
        f"/api/v1/sub-accounts/{anna['id']}/invitation", headers=bearer(token)
    )
    resend = client.post(
        f"/api/v1/sub-accounts/{anna['id']}/invitation", headers=bearer(token)
    )

    assert (response.status_code, response.get_json()["code"]) == (409, "not_invited")
    assert (resend.status_code, resend.get_json()["code"]) == (409, "not_invited")


def test_the_invitation_is_mailed_only_with_its_own_link(client, token, mail, services):
    invite(client, token)
    (letter,) = mail("anna@example.com")

    assert len(letter.links()) == 1
    assert letter.token("/invitation").startswith("sgi1.")
    for item in services.views.items("outbox", "all", limit=50):
        assert letter.token("/invitation") not in str(item.data)


def test_an_owner_reset_of_the_password_invites_again_and_ends_sessions(
    client, token, mail
):
    anna = invite(client, token)
    accept(client, link_token(mail))
    employee = token_of(client, username="anna", password=CHOSEN)

    reset = client.post(
        f"/api/v1/sub-accounts/{anna['id']}/reset-password", headers=bearer(token)
    )
    letters = mail("anna@example.com")

    assert reset.status_code == 200
    assert reset.get_json()["status"] == "invited"
    assert client.get("/api/v1/me", headers=bearer(employee)).status_code == 401
    assert login(client, username="anna", password=CHOSEN).status_code == 401
    assert letters[-1].subject == (
        'Choose a new password for the seller centre of "Shop.One"'
    )
    assert accept(
        client, letters[-1].token("/invitation"), OTHER_CHOSEN
    ).status_code == (200)
    assert login(client, username="anna", password=OTHER_CHOSEN).status_code == 201


def test_owner_resets_need_a_recent_sign_in(client, token, mail, clock):
    anna = invite(client, token)
    clock.advance(minutes=6)

    responses = [
        client.post(f"/api/v1/sub-accounts/{anna['id']}/{what}", headers=bearer(token))
        for what in ("reset-password", "reset-two-step")
    ]

    assert [r.get_json()["code"] for r in responses] == [
        "reauthentication_required"
    ] * 2


def test_an_owner_reset_of_two_step_clears_it_and_tells_the_employee(
    client, token, mail, clock
):
    anna = invite(client, token)
    accept(client, link_token(mail))
    employee = token_of(client, username="anna", password=CHOSEN)
    secret = client.post("/api/v1/me/two-step", headers=bearer(employee)).get_json()[
        "secret"
    ]
    client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(employee),
        json={"code": TOTP.code_at(secret, clock.now())},
    )
    token = token_of(client)  # the owner again, recently signed in

    reset = client.post(
        f"/api/v1/sub-accounts/{anna['id']}/reset-two-step", headers=bearer(token)
    )

    assert reset.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(employee)).status_code == 401
    assert login(client, username="anna", password=CHOSEN).status_code == 201
    letter = mail("anna@example.com")[-1]
    assert letter.subject == 'Your two-step verification for "Shop.One" was reset'
    assert letter.body.startswith('The owner of the shop "Shop.One" reset your')


def test_a_shop_that_requires_two_step_holds_employees_to_enrolling(
    client, token, mail, clock
):
    anna = invite(client, token)
    accept(client, link_token(mail))
    employee = token_of(client, username="anna", password=CHOSEN)

    policy = client.put(
        "/api/v1/me/policies",
        headers=bearer(token),
        json={"sub_accounts_require_two_step": True},
    )
    refused = client.get("/api/v1/roles", headers=bearer(employee))
    me = client.get("/api/v1/me", headers=bearer(employee))
    secret = client.post("/api/v1/me/two-step", headers=bearer(employee)).get_json()[
        "secret"
    ]
    client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(employee),
        json={"code": TOTP.code_at(secret, clock.now())},
    )
    allowed = client.get("/api/v1/roles", headers=bearer(employee))

    assert policy.get_json() == {"sub_accounts_require_two_step": True}
    assert (refused.status_code, refused.get_json()["code"]) == (
        403,
        "two_step_required",
    )
    assert me.status_code == 200
    assert allowed.status_code == 200
    assert anna["id"]


def test_the_rule_can_be_lifted_and_the_owner_is_never_held(client, token, mail):
    invite(client, token)
    accept(client, link_token(mail))
    employee = token_of(client, username="anna", password=CHOSEN)
    for required in (True, False):
        client.put(
            "/api/v1/me/policies",
            headers=bearer(token),
            json={"sub_accounts_require_two_step": required},
        )

    assert client.get("/api/v1/roles", headers=bearer(employee)).status_code == 200
    assert client.get("/api/v1/roles", headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/me/policies", headers=bearer(token)).get_json() == {
        "sub_accounts_require_two_step": False
    }


def test_an_employee_reactivated_before_accepting_is_invited_again(client, token, mail):
    anna = invite(client, token)
    first = link_token(mail)
    url = f"/api/v1/sub-accounts/{anna['id']}"
    client.post(f"{url}/deactivate", headers=bearer(token), json={})
    refused_while_deactivated = accept(client, first)

    back = client.post(f"{url}/reactivate", headers=bearer(token))
    client.post(f"{url}/invitation", headers=bearer(token))

    assert refused_while_deactivated.status_code == 403
    assert back.get_json()["status"] == "invited"
    assert accept(client, link_token(mail)).status_code == 200


def test_the_owner_is_alerted_when_an_employee_joins_and_when_the_rule_changes(
    client, token, mail
):
    invite(client, token)
    accept(client, link_token(mail))
    client.put(
        "/api/v1/me/policies",
        headers=bearer(token),
        json={"sub_accounts_require_two_step": True},
    )

    items = client.get("/api/v1/me/alerts", headers=bearer(token)).get_json()["items"]
    details = {a["kind"]: a["detail"] for a in items}

    assert details["sub_account_joined"] == (
        "Sub-account anna accepted the invitation and chose a password."
    )
    assert details["sub_account_policy_changed"] == (
        "Two-step verification is now required of every sub-account."
    )


def test_the_invitation_names_the_shop_who_invited_and_the_role(client, token, mail):
    invite(client, token)
    (letter,) = mail("anna@example.com")

    assert letter.subject == 'You are invited to the seller centre of "Shop.One"'
    assert letter.body.startswith(
        'The owner of the shop "Shop.One" created an account for you as '
        "finance specialist."
    )
    assert "never ask for a password or a code" in letter.body


def test_a_resent_invitation_names_the_role_the_employee_has_now(client, token, mail):
    anna = invite(client, token)
    changed = client.patch(
        f"/api/v1/sub-accounts/{anna['id']}",
        headers=bearer(token),
        json={"role": "customer_service_agent"},
    )
    resend = client.post(
        f"/api/v1/sub-accounts/{anna['id']}/invitation", headers=bearer(token)
    )
    assert (changed.status_code, resend.status_code) == (200, 200)

    first, resent = mail("anna@example.com")

    assert "as finance specialist." in first.body
    assert resent.subject == 'Your invitation to the seller centre of "Shop.One"'
    assert "as customer service agent;" in resent.body


def test_the_invitation_carries_nothing_else_the_inviter_typed(client, token, mail):
    """A shop dressing its mail as the platform's: the employee's login name
    and address are the inviter's words, and a note field does not exist."""
    lure = "Verify-Your-Bank"
    noted = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": "bob",
            "email": "bob@example.com",
            "role": "finance_specialist",
            "note": "Urgent: confirm your bank details at http://evil.example",
        },
    )
    invite(client, token, username=lure)

    (letter,) = mail(f"{lure}@example.com")
    text = f"{letter.subject}\n{letter.body}"

    assert noted.status_code == 422
    assert mail("bob@example.com") == []
    assert lure.lower() not in text.lower()
    assert "example.com" not in text.replace(letter.links()[0], "")
    assert len(letter.links()) == 1
