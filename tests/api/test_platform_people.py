"""Platform admins list staff accounts and service keys, and see no secret.

Both are created at the command line; these lists are where an admin finds
out who can act on shops and which services hold keys.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.audit_trail import AuditTrail
from domain.roles import StaffRole
from domain.service_key import ServiceKey
from infrastructure.totp import Totp
from tests.api.helpers import bearer, token_of
from tests.api.principals import OPERATOR, STAFF_PASSWORD, staff_token

STAFF = "/api/v1/platform/staff"
KEYS = "/api/v1/platform/service-keys"


@pytest.fixture
def admin(client, services, clock) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.PLATFORM_ADMIN))


def enrolled_agent(client: Any, services: Any, clock: Any) -> tuple[str, str]:
    """An agent who signed in and turned two-step on: (token, TOTP secret)."""
    services.platform_people.create_staff(
        "agent.one", "agent.one@example.com", StaffRole.SUPPORT_AGENT,
        STAFF_PASSWORD, OPERATOR,
    )  # fmt: skip
    token = token_of(client, username="agent.one", password=STAFF_PASSWORD)
    secret = client.post("/api/v1/me/two-step", headers=bearer(token)).get_json()[
        "secret"
    ]
    confirmed = client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(token),
        json={"code": Totp().code_at(secret, clock.now())},
    )
    assert confirmed.status_code == 200
    return token, str(secret)


def reads_of(services: Any, client: Any, headers: dict[str, str]) -> list[Any]:
    reader = client.get("/api/v1/me", headers=headers).get_json()["id"]
    return [
        e
        for e in services.ledger.events.get(AuditTrail.id_for(reader))
        if isinstance(e, AuditTrail.Read)
    ]


def test_an_admin_sees_each_staff_member_with_role_and_second_step(
    client, services, clock, admin
):
    enrolled_agent(client, services, clock)
    services.platform_people.create_staff(
        "auditor.new", "auditor.new@example.com", StaffRole.AUDITOR,
        STAFF_PASSWORD, OPERATOR,
    )  # fmt: skip

    response = client.get(STAFF, headers=admin)

    assert response.status_code == 200
    body = response.get_json()
    by_name = {member["username"]: member for member in body["items"]}
    assert list(by_name) == ["auditor.new", "agent.one", "staff.platform-admin"]
    assert by_name["agent.one"]["role"] == "support_agent"
    assert by_name["agent.one"]["two_step"] is True
    assert by_name["agent.one"]["last_active_at"] is not None
    assert by_name["auditor.new"]["two_step"] is False
    assert by_name["auditor.new"]["last_active_at"] is None
    assert by_name["auditor.new"]["status"] == "active"
    assert body["next"] is None


def test_no_secret_of_a_staff_member_is_in_the_list(client, services, clock, admin):
    token, secret = enrolled_agent(client, services, clock)

    text = client.get(STAFF, headers=admin).get_data(as_text=True)

    assert "agent.one" in text
    assert secret not in text
    assert token not in text
    assert "$argon2" not in text
    assert "password" not in text
    assert "@example.com" not in text  # no address either: it is not needed here


def test_an_admin_sees_service_keys_revoked_or_not_without_their_values(
    client, services, admin
):
    people = services.platform_people
    checkout = people.create_service_key("checkout", ["blocklist:check"], OPERATOR)
    risk = people.create_service_key(
        "risk engine", ["risk:write", "authz:check"], OPERATOR
    )
    key = services.ledger.find(risk.id, ServiceKey)
    key.revoke("leaked in a ticket", OPERATOR, services.clock.now())
    services.ledger.save(key)

    response = client.get(KEYS, headers=admin)

    text = response.get_data(as_text=True)
    listed = {k["name"]: k for k in response.get_json()["items"]}
    assert listed["checkout"]["scopes"] == ["blocklist:check"]
    assert listed["checkout"]["revoked"] is False
    assert listed["risk engine"]["scopes"] == ["authz:check", "risk:write"]
    assert listed["risk engine"]["revoked"] is True
    assert listed["checkout"]["id"] == str(checkout.id)
    for created in (checkout, risk):
        hashed = services.ledger.find(created.id, ServiceKey).key_hash
        assert created.value not in text
        assert hashed not in text


def test_the_lists_page_with_a_cursor(client, services, admin):
    for name in ("first", "second", "third"):
        services.platform_people.create_service_key(name, ["authz:check"], OPERATOR)

    first = client.get(KEYS, headers=admin, query_string={"limit": 2}).get_json()
    rest = client.get(
        KEYS, headers=admin, query_string={"limit": 2, "cursor": first["next"]}
    ).get_json()

    assert [k["name"] for k in first["items"]] == ["third", "second"]
    assert [k["name"] for k in rest["items"]] == ["first"]
    assert rest["next"] is None


@pytest.mark.parametrize(
    "query", [{"cursor": "not-a-cursor"}, {"limit": 0}, {"role": "auditor"}]
)
def test_a_bad_query_is_refused_and_recorded_nowhere(client, services, admin, query):
    response = client.get(STAFF, headers=admin, query_string=query)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert reads_of(services, client, admin) == []


def test_each_listing_is_recorded_on_the_admins_trail(client, services, admin):
    client.get(STAFF, headers=admin)
    client.get(KEYS, headers=admin, query_string={"limit": 5})

    reads = reads_of(services, client, admin)

    assert [(r.what, r.query) for r in reads] == [
        ("staff_list", {"limit": "50"}),
        ("service_key_list", {"limit": "5"}),
    ]


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_AGENT, StaffRole.AUDITOR])
def test_other_staff_are_refused_naming_the_permission(client, services, clock, role):
    other = bearer(staff_token(client, services, clock, role))

    staff = client.get(STAFF, headers=other)
    keys = client.get(KEYS, headers=other)

    assert (staff.status_code, staff.get_json()["permission"]) == (
        403,
        "platform:staff",
    )
    assert (keys.status_code, keys.get_json()["permission"]) == (
        403,
        "platform:service_keys",
    )


def test_a_staff_member_made_before_the_list_existed_is_listed(
    client, services, clock, admin
):
    # The list is a read model of its own: rebuilt from the whole log, it
    # still holds everyone, however old.
    services.read_models.rebuild(["platform_directory"])

    listed = client.get(STAFF, headers=admin).get_json()["items"]

    assert [m["username"] for m in listed] == ["staff.platform-admin"]
