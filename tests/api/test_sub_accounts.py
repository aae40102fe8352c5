"""A seller's employees: sub-accounts with marketplace roles, over the HTTP API."""

from __future__ import annotations

import uuid

import pytest

from domain.sub_account import SubAccount
from tests.api.helpers import bearer, login, register, token_of

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"


@pytest.fixture
def seller_token(client):
    register(client)
    return token_of(client)


def create(
    client,
    token,
    username="Emp.One",
    role="finance_specialist",
    password=EMPLOYEE_PASSWORD,
):
    return client.post(
        "/api/v1/sub-accounts",
        headers=bearer(token),
        json={
            "username": username,
            "email": f"{username.lower()}@example.com",
            "role": role,
            "password": password,
        },
    )


def test_a_seller_creates_a_sub_account_that_can_sign_in(client, seller_token):
    response = create(client, seller_token)

    assert response.status_code == 201
    view = response.get_json()
    assert (view["username"], view["role"], view["status"]) == (
        "Emp.One",
        "finance_specialist",
        "active",
    )
    assert response.headers["ETag"] == '"1"'
    grant = login(client, username="emp.one", password=EMPLOYEE_PASSWORD)
    assert grant.status_code == 201
    assert grant.get_json()["principal"] == {
        "id": view["id"],
        "kind": "sub_account",
        "role": "finance_specialist",
    }


def test_the_password_policy_applies_to_sub_accounts(client, seller_token):
    response = create(client, seller_token, password="abcd1234")

    assert response.status_code == 422
    assert response.get_json()["code"] == "password_policy"


def test_a_login_name_is_unique_across_sellers_and_sub_accounts(client, seller_token):
    response = create(client, seller_token, username="SHOP.one")

    assert (response.status_code, response.get_json()["code"]) == (
        409,
        "username_taken",
    )


def test_an_unknown_role_is_422(client, seller_token):
    response = create(client, seller_token, role="shop_owner")

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]


def test_sub_accounts_are_listed_and_viewed(client, seller_token):
    first = create(client, seller_token, "Emp.One").get_json()
    create(client, seller_token, "Emp.Two", "order_fulfilment_specialist")

    listed = client.get("/api/v1/sub-accounts?limit=1", headers=bearer(seller_token))
    rest = client.get(
        f"/api/v1/sub-accounts?limit=1&cursor={listed.get_json()['next']}",
        headers=bearer(seller_token),
    )
    one = client.get(
        f"/api/v1/sub-accounts/{first['id']}", headers=bearer(seller_token)
    )

    assert [s["username"] for s in listed.get_json()["items"]] == ["Emp.One"]
    assert [s["username"] for s in rest.get_json()["items"]] == ["Emp.Two"]
    assert rest.get_json()["next"] is None
    assert one.get_json()["id"] == first["id"]


def test_another_sellers_sub_account_is_not_found(client, seller_token):
    theirs = create(client, seller_token).get_json()
    register(client, "Other.Shop")
    other = token_of(client, username="Other.Shop")

    for method, suffix, body in [
        ("get", "", None),
        ("patch", "", {"role": "finance_specialist"}),
        ("post", "/deactivate", {}),
        ("post", "/reactivate", None),
    ]:
        response = getattr(client, method)(
            f"/api/v1/sub-accounts/{theirs['id']}{suffix}",
            headers=bearer(other),
            json=body,
        )
        assert (response.status_code, response.get_json()["code"]) == (404, "not_found")


def test_a_main_administrator_cannot_manage_sub_accounts(client, seller_token):
    create(client, seller_token, "Main.Admin", "main_administrator")
    admin = token_of(client, username="Main.Admin", password=EMPLOYEE_PASSWORD)

    response = create(client, admin, "Emp.Three")

    assert (response.status_code, response.get_json()["code"]) == (403, "forbidden")


def test_changing_the_role_is_alerted_and_versioned(client, seller_token):
    sub = create(client, seller_token).get_json()

    response = client.patch(
        f"/api/v1/sub-accounts/{sub['id']}",
        json={"role": "marketing_specialist"},
        headers={**bearer(seller_token), "If-Match": '"1"'},
    )

    assert response.status_code == 200
    assert response.get_json()["role"] == "marketing_specialist"
    assert response.headers["ETag"] == '"2"'
    alerts = client.get("/api/v1/me/alerts", headers=bearer(seller_token)).get_json()
    assert [a["kind"] for a in alerts["items"]] == [
        "sub_account_role_changed",
        "sub_account_created",
    ]


def test_a_stale_if_match_is_412_and_changes_nothing(client, seller_token):
    sub = create(client, seller_token).get_json()
    client.patch(
        f"/api/v1/sub-accounts/{sub['id']}",
        headers=bearer(seller_token),
        json={"role": "marketing_specialist"},
    )

    stale = client.patch(
        f"/api/v1/sub-accounts/{sub['id']}",
        json={"role": "advertising_manager"},
        headers={**bearer(seller_token), "If-Match": '"1"'},
    )

    assert (stale.status_code, stale.get_json()["code"]) == (412, "precondition_failed")
    view = client.get(
        f"/api/v1/sub-accounts/{sub['id']}", headers=bearer(seller_token)
    ).get_json()
    assert view["role"] == "marketing_specialist"


def test_deactivation_ends_its_sessions_at_once_and_reactivation_restores(
    client, seller_token
):
    sub = create(client, seller_token).get_json()
    employee = token_of(client, username="Emp.One", password=EMPLOYEE_PASSWORD)

    response = client.post(
        f"/api/v1/sub-accounts/{sub['id']}/deactivate",
        json={"reason": "left the company"},
        headers=bearer(seller_token),
    )

    assert response.get_json()["status"] == "deactivated"
    assert client.get("/api/v1/me", headers=bearer(employee)).status_code == 401
    refused = login(client, username="Emp.One", password=EMPLOYEE_PASSWORD)
    assert refused.get_json()["code"] == "invalid_credentials"
    again = client.post(
        f"/api/v1/sub-accounts/{sub['id']}/deactivate",
        json={},
        headers=bearer(seller_token),
    )
    assert again.status_code == 409
    client.post(
        f"/api/v1/sub-accounts/{sub['id']}/reactivate", headers=bearer(seller_token)
    )
    assert (
        login(client, username="Emp.One", password=EMPLOYEE_PASSWORD).status_code == 201
    )


def test_freezing_the_shop_ends_its_sub_accounts_sessions(client, seller_token):
    create(client, seller_token)
    employee = token_of(client, username="Emp.One", password=EMPLOYEE_PASSWORD)

    client.post(
        "/api/v1/me/freeze", json={"reason": "phished"}, headers=bearer(seller_token)
    )

    assert client.get("/api/v1/me", headers=bearer(employee)).status_code == 401
    refused = login(client, username="Emp.One", password=EMPLOYEE_PASSWORD)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "account_frozen")


def test_a_sub_account_unused_for_30_days_is_flagged_once(client, seller_token, clock):
    create(client, seller_token, "Emp.Idle")
    create(client, seller_token, "Emp.Busy")
    clock.advance(days=29)
    token_of(client, username="Emp.Busy", password=EMPLOYEE_PASSWORD)
    clock.advance(days=1, minutes=1)
    seller = token_of(client)

    first = client.get("/api/v1/me/alerts", headers=bearer(seller)).get_json()
    second = client.get("/api/v1/me/alerts", headers=bearer(seller)).get_json()

    dormant = [a for a in first["items"] if a["kind"] == "sub_account_dormant"]
    assert len(dormant) == 1
    assert second["items"] == first["items"]


def test_the_roles_are_served_from_the_matrix(client, seller_token):
    roles = client.get("/api/v1/roles", headers=bearer(seller_token)).get_json()

    by_name = {r["name"]: set(r["permissions"]) for r in roles["roles"]}
    assert len(by_name) == 8
    assert "sub_account_management:manage" not in by_name["main_administrator"]
    assert "sensitive_shop_information:view" not in by_name["main_administrator"]
    assert "orders:manage" in by_name["main_administrator"]
    assert by_name["finance_specialist"] == {
        "finance:view",
        "finance:manage",
        "own_account",
    }
    assert "block_list:view" in by_name["customer_service_agent"]
    assert "block_list:manage" not in by_name["customer_service_agent"]


def test_a_role_at_any_past_version_is_reconstructed(client, seller_token, services):
    sub = create(client, seller_token).get_json()
    for role in ("marketing_specialist", "advertising_manager"):
        client.patch(
            f"/api/v1/sub-accounts/{sub['id']}",
            json={"role": role},
            headers=bearer(seller_token),
        )

    versions = [
        services.ledger.repository.get(uuid.UUID(sub["id"]), version=v)
        for v in (1, 2, 3)
    ]

    assert all(isinstance(v, SubAccount) for v in versions)
    assert [v.role.value for v in versions] == [
        "finance_specialist",
        "marketing_specialist",
        "advertising_manager",
    ]
