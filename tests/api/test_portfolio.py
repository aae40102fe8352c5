"""Portfolios: linking an owner's stores with one-time codes, and one inspection."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from infrastructure.totp import Totp
from tests.api.helpers import bearer, register, token_of

EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"


@pytest.fixture
def stores(client):
    """Three stores of one owner, each signed in."""
    found = {}
    for name in ("Shop.One", "Shop.Two", "Shop.Three"):
        store_id = register(client, name)["id"]
        found[name] = {"id": store_id, "token": token_of(client, username=name)}
    return found


def invite(client, store):
    response = client.post(
        "/api/v1/me/portfolio/invitations", headers=bearer(store["token"])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def link(client, store, code):
    return client.post(
        "/api/v1/me/portfolio/links",
        headers=bearer(store["token"]),
        json={"code": code},
    )


def problem_of(response):
    return response.status_code, response.get_json()["code"]


def test_a_code_links_two_stores_of_one_owner(client, stores, clock):
    one, two = stores["Shop.One"], stores["Shop.Two"]
    invitation = invite(client, one)

    response = link(client, two, invitation["code"])

    assert response.status_code == 201
    body = response.get_json()
    assert {s["username"] for s in body["stores"]} == {"Shop.One", "Shop.Two"}
    expires = datetime.fromisoformat(invitation["expires_at"].replace("Z", "+00:00"))
    assert expires == clock.now() + timedelta(minutes=10)


def test_a_code_is_accepted_in_lower_case_with_spaces(client, stores):
    code = invite(client, stores["Shop.One"])["code"]

    response = link(client, stores["Shop.Two"], code.lower().replace("-", " "))

    assert response.status_code == 201


def test_a_code_used_twice_is_refused(client, stores):
    code = invite(client, stores["Shop.One"])["code"]
    assert link(client, stores["Shop.Two"], code).status_code == 201

    again = link(client, stores["Shop.Three"], code)

    assert problem_of(again) == (403, "invalid_portfolio_code")


def test_an_expired_code_is_refused(client, stores, clock):
    code = invite(client, stores["Shop.One"])["code"]
    clock.advance(minutes=10)

    assert problem_of(link(client, stores["Shop.Two"], code)) == (
        403,
        "invalid_portfolio_code",
    )


def test_an_unknown_code_is_refused(client, stores):
    assert problem_of(link(client, stores["Shop.Two"], "ABCDE-FGHJK")) == (
        403,
        "invalid_portfolio_code",
    )


def test_the_store_that_made_the_code_cannot_use_it(client, stores):
    one = stores["Shop.One"]
    code = invite(client, one)["code"]

    assert problem_of(link(client, one, code)) == (409, "same_store")
    # The refusal did not spend the code: the other store still can.
    assert link(client, stores["Shop.Two"], code).status_code == 201


def test_a_sub_account_cannot_use_a_code(client, stores):
    one, two = stores["Shop.One"], stores["Shop.Two"]
    created = client.post(
        "/api/v1/sub-accounts",
        headers=bearer(two["token"]),
        json={
            "username": "Admin.Two",
            "email": "admin.two@example.com",
            "role": "main_administrator",
            "password": EMPLOYEE_PASSWORD,
        },
    )
    assert created.status_code == 201
    admin = {
        "token": token_of(client, username="Admin.Two", password=EMPLOYEE_PASSWORD)
    }
    code = invite(client, one)["code"]

    assert problem_of(link(client, admin, code)) == (403, "forbidden")
    assert link(client, two, code).status_code == 201


def test_a_third_store_joins_the_portfolio_of_the_inviter(client, stores):
    one, two, three = stores["Shop.One"], stores["Shop.Two"], stores["Shop.Three"]
    first = link(client, two, invite(client, one)["code"]).get_json()

    second = link(client, three, invite(client, two)["code"])

    assert second.status_code == 201
    body = second.get_json()
    assert body["portfolio_id"] == first["portfolio_id"]
    assert len(body["stores"]) == 3


def test_stores_already_linked_together_are_told_so(client, stores):
    one, two = stores["Shop.One"], stores["Shop.Two"]
    link(client, two, invite(client, one)["code"])

    assert problem_of(link(client, one, invite(client, two)["code"])) == (
        409,
        "already_linked",
    )


def test_a_store_in_another_portfolio_is_refused_not_merged(client, stores):
    one, two, three = stores["Shop.One"], stores["Shop.Two"], stores["Shop.Three"]
    register(client, "Shop.Four")
    four = {"token": token_of(client, username="Shop.Four")}
    link(client, two, invite(client, one)["code"])
    link(client, four, invite(client, three)["code"])

    refused = link(client, three, invite(client, one)["code"])

    assert problem_of(refused) == (409, "portfolio_conflict")
    inspected = client.get(
        "/api/v1/me/portfolio/inspection", headers=bearer(one["token"])
    ).get_json()
    assert {s["store"]["username"] for s in inspected["stores"]} == {
        "Shop.One",
        "Shop.Two",
    }


def test_unlinking_a_store_from_either_side(client, stores):
    one, two, three = stores["Shop.One"], stores["Shop.Two"], stores["Shop.Three"]
    link(client, two, invite(client, one)["code"])
    link(client, three, invite(client, one)["code"])

    removed = client.delete(
        f"/api/v1/me/portfolio/links/{three['id']}", headers=bearer(two["token"])
    )

    assert removed.status_code == 204
    left = client.get("/api/v1/me/portfolio/inspection", headers=bearer(three["token"]))
    assert [s["store"]["username"] for s in left.get_json()["stores"]] == ["Shop.Three"]
    # A portfolio of one is no portfolio: unlinking the last pair dissolves it.
    client.delete(
        f"/api/v1/me/portfolio/links/{one['id']}", headers=bearer(one["token"])
    )
    alone = client.get("/api/v1/me/portfolio/inspection", headers=bearer(two["token"]))
    assert len(alone.get_json()["stores"]) == 1


def test_a_store_outside_the_portfolio_cannot_be_unlinked(client, stores):
    one, two, three = stores["Shop.One"], stores["Shop.Two"], stores["Shop.Three"]
    link(client, two, invite(client, one)["code"])

    response = client.delete(
        f"/api/v1/me/portfolio/links/{one['id']}", headers=bearer(three["token"])
    )

    assert problem_of(response) == (404, "not_found")


def test_the_portfolio_inspection_puts_the_worst_store_first(client, stores, clock):
    one, two = stores["Shop.One"], stores["Shop.Two"]
    link(client, two, invite(client, one)["code"])
    secret = client.post(
        "/api/v1/me/two-step", headers=bearer(one["token"])
    ).get_json()["secret"]
    client.post(
        "/api/v1/me/two-step/confirm",
        headers=bearer(one["token"]),
        json={"code": Totp().code_at(secret, clock.now())},
    )

    body = client.get(
        "/api/v1/me/portfolio/inspection", headers=bearer(one["token"])
    ).get_json()

    assert [s["store"]["username"] for s in body["stores"]] == ["Shop.Two", "Shop.One"]
    assert body["summary"] == {"ok": 1, "warn": 0, "fail": 1}
