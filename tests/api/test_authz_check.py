"""GET /authz/check: other services ask whether a person may do something."""

from __future__ import annotations

import uuid

import pytest

from domain.actor import Actor, ActorKind
from domain.service_key import ServiceKey
from tests.api.helpers import bearer, register, token_of

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")


@pytest.fixture
def shop(client):
    seller_id = register(client)["id"]
    token = token_of(client)
    employee = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": "Emp.Finance",
            "email": "f@example.com",
            "role": "finance_specialist",
            "password": EMPLOYEE_PASSWORD,
        },
    ).get_json()
    return {"seller_id": seller_id, "token": token, "employee_id": employee["id"]}


@pytest.fixture
def service(services):
    key = services.platform_people.create_service_key(
        "orders", ["authz:check"], OPERATOR
    )
    return bearer(key.value)


def check(client, service, principal_id, permission):
    response = client.get(
        f"/api/v1/authz/check?principal_id={principal_id}&permission={permission}",
        headers=service,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["allowed"]


@pytest.mark.parametrize(
    ("permission", "allowed"),
    [
        ("finance:view", True),
        ("finance:manage", True),
        ("orders:view", False),
        ("block_list:manage", False),
        ("sub_account_management:manage", False),
    ],
)
def test_a_role_allows_exactly_its_module(client, shop, service, permission, allowed):
    assert check(client, service, shop["employee_id"], permission) is allowed


def test_the_seller_may_do_everything(client, shop, service):
    assert (
        check(client, service, shop["seller_id"], "sensitive_shop_information:manage")
        is True
    )


def test_a_deactivated_sub_account_may_do_nothing(client, shop, service):
    client.post(
        f"/api/v1/sub-accounts/{shop['employee_id']}/deactivate",
        json={},
        headers=bearer(shop["token"]),
    )

    assert check(client, service, shop["employee_id"], "finance:view") is False


def test_the_sub_accounts_of_a_frozen_shop_may_do_nothing(client, shop, service):
    client.post(
        "/api/v1/me/freeze", json={"reason": "phished"}, headers=bearer(shop["token"])
    )

    assert check(client, service, shop["employee_id"], "finance:view") is False


def test_an_unknown_principal_may_do_nothing(client, shop, service):
    assert check(client, service, uuid.uuid4(), "finance:view") is False


def test_an_unknown_permission_is_422(client, shop, service):
    response = client.get(
        f"/api/v1/authz/check?principal_id={shop['employee_id']}&permission=root",
        headers=service,
    )

    assert response.status_code == 422
    assert "permission" in response.get_json()["errors"]


def test_a_revoked_or_forged_service_key_is_401(client, services, shop):
    key = services.platform_people.create_service_key(
        "orders", ["authz:check"], OPERATOR
    )
    forged = key.value[: key.value.rindex(".") + 1] + "x" * 43
    stored = services.ledger.load(key.id, ServiceKey)
    stored.revoke("rotated", OPERATOR, services.clock.now())
    services.ledger.save(stored)

    for value in (key.value, forged):
        response = client.get(
            f"/api/v1/authz/check?principal_id={shop['employee_id']}"
            "&permission=finance:view",
            headers=bearer(value),
        )
        assert response.status_code == 401
