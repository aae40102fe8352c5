"""The platform admin's console pages through the test client: the same use
cases, permissions and events as the API, confirmations, CSRF, no secrets.

The browser test (tests/e2e/test_console_admin_browser.py) walks the same
pages in Chromium; these check the rules page by page, on both stores.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from domain.block_list import BlockList, block_list_id
from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import OPERATOR
from tests.api.test_console_pages import csrf_of, sign_in, staff


@pytest.fixture
def admin(client, services, clock) -> Any:
    secret = staff(client, services, clock, "admin.one", StaffRole.PLATFORM_ADMIN)
    sign_in(client, clock, "admin.one", secret)
    return client


@pytest.fixture
def shop(client) -> dict[str, Any]:
    seller_id = register(client, "Shop.One")["id"]
    return {"id": seller_id, "headers": bearer(token_of(client, username="Shop.One"))}


def block(client: Any, shop: dict[str, Any], buyer: str) -> Any:
    return client.post(
        "/api/v1/blocklist",
        headers=shop["headers"],
        json={
            "buyer": buyer,
            "reason": "fake_review",
            "scope": "linked_ids",
            "duration": "90d",
        },
    )


def post(client: Any, path: str, page: str, **fields: str) -> Any:
    """Post a console form with the CSRF token of the page it is on."""
    form = client.get(page).get_data(as_text=True)
    return client.post(path, data={"csrf": csrf_of(form), **fields})


def blocked_buyers(client: Any, shop: dict[str, Any]) -> list[str]:
    listed = client.get("/api/v1/blocklist", headers=shop["headers"]).get_json()
    return [entry["buyer"] for entry in listed["items"]]


def test_lifting_a_block_is_confirmed_first_then_the_shop_is_alerted(
    client, services, admin, shop
):
    block(client, shop, "Fake_Reviewer")
    fields = {
        "seller_id": shop["id"],
        "buyer": "Fake_Reviewer",
        "reason": "the review was genuine",
    }

    asked = post(client, "/console/blocks/override", "/console/blocks", **fields)

    assert asked.status_code == 200
    confirmation = asked.get_data(as_text=True)
    assert "Confirm: lift this block?" in confirmation
    assert "from <strong>Shop.One</strong> again" in confirmation
    assert "fake review" in confirmation
    assert blocked_buyers(client, shop) == ["Fake_Reviewer"]
    done = client.post(
        "/console/blocks/override",
        data={
            "csrf": csrf_of(asked.get_data(as_text=True)),
            "confirmed": "yes",
            **fields,
        },
    )
    assert done.status_code == 200
    assert blocked_buyers(client, shop) == []
    alerts = client.get("/api/v1/me/alerts", headers=shop["headers"]).get_json()
    assert alerts["items"][0]["kind"] == "block_overridden"
    assert "the review was genuine" in alerts["items"][0]["detail"]
    admin_id = services.platform_people.names.account_named("admin.one").id
    [overridden] = [
        e
        for e in services.ledger.events.get(block_list_id(UUID(shop["id"])))
        if isinstance(e, BlockList.BlockOverridden)
    ]
    assert overridden.actor.id == str(admin_id)


def test_a_revoked_shop_can_block_nobody_new_until_granted_again(client, admin, shop):
    revoke = {"seller_id": shop["id"], "granted": "false", "reason": "abuse of blocks"}

    asked = post(client, "/console/blocks/access", "/console/blocks", **revoke)
    assert "Confirm: revoke blocking access?" in asked.get_data(as_text=True)
    assert block(client, shop, "Still_Allowed").status_code == 201
    client.post(
        "/console/blocks/access",
        data={
            "csrf": csrf_of(asked.get_data(as_text=True)),
            "confirmed": "yes",
            **revoke,
        },
    )

    refused = block(client, shop, "Buyer_Two")
    assert (refused.status_code, refused.get_json()["code"]) == (
        403,
        "blocking_access_revoked",
    )
    granted = post(
        client,
        "/console/blocks/access",
        "/console/blocks",
        seller_id=shop["id"],
        granted="true",
        reason="appeal accepted",
    )
    assert "may block buyers again" in granted.get_data(as_text=True)
    assert block(client, shop, "Buyer_Two").status_code == 201


def test_linked_buyers_are_covered_by_a_linked_ids_block(client, services, admin, shop):
    checker = bearer(
        services.platform_people.create_service_key(
            "orders", ["blocklist:check"], OPERATOR
        ).value
    )
    block(client, shop, "Main_Id")
    fields = {"buyer": "Main_Id", "linked": "Alt_One\nAlt_Two, "}

    asked = post(client, "/console/buyers/links", "/console/buyers", **fields)
    client.post(
        "/console/buyers/links",
        data={
            "csrf": csrf_of(asked.get_data(as_text=True)),
            "confirmed": "yes",
            **fields,
        },
    )

    for buyer in ("Alt_One", "Alt_Two"):
        answer = client.get(
            f"/api/v1/sellers/{shop['id']}/blocklist/check",
            headers=checker,
            query_string={"buyer": buyer, "action": "place_order"},
        ).get_json()
        assert answer == {"allowed": False, "blocked": True}


OVERRIDE = "/console/blocks/override"
ACCESS = "/console/blocks/access"
LINKS = "/console/buyers/links"


@pytest.mark.parametrize(
    ("path", "fields", "field"),
    [
        (OVERRIDE, {"seller_id": "shop-one", "buyer": "B", "reason": "r"}, "seller_id"),
        (OVERRIDE, {"buyer": "B", "reason": "r"}, "seller_id"),
        (ACCESS, {"seller_id": "{shop}", "granted": "maybe", "reason": "r"}, "granted"),
        (LINKS, {"buyer": "has space", "linked": "B"}, "buyer"),
        (LINKS, {"buyer": "A", "linked": ""}, "linked"),
        (LINKS, {"buyer": "A", "linked": "A, A"}, "linked"),
    ],
)
def test_a_bad_form_says_which_field_and_changes_nothing(
    client, services, admin, shop, path, fields, field
):
    block(client, shop, "B")
    filled = {k: v.replace("{shop}", shop["id"]) for k, v in fields.items()}

    response = post(client, path, "/console/blocks", **filled, confirmed="yes")

    assert response.status_code == 422
    assert f"{field}:" in response.get_data(as_text=True)
    assert blocked_buyers(client, shop) == ["B"]
    assert block(client, shop, "C").status_code == 201


@pytest.mark.parametrize("confirmed", ["yes", ""])
def test_an_unknown_shop_is_refused_before_or_after_confirming(
    client, admin, confirmed
):
    response = post(
        client,
        "/console/blocks/access",
        "/console/blocks",
        seller_id="00000000-0000-4000-8000-000000000000",
        granted="false",
        reason="abuse",
        confirmed=confirmed,
    )

    assert response.status_code == 404
    assert "That did not work" in response.get_data(as_text=True)


def test_lifting_a_block_that_is_not_in_force_is_refused_before_confirming(
    client, admin, shop
):
    block(client, shop, "Other_Buyer")

    response = post(
        client,
        "/console/blocks/override",
        "/console/blocks",
        seller_id=shop["id"],
        buyer="other_buyer",  # names match exactly, letter case included
        reason="a mistake",
    )

    assert response.status_code == 404
    assert "Confirm" not in response.get_data(as_text=True)
    assert blocked_buyers(client, shop) == ["Other_Buyer"]


def test_a_form_without_its_csrf_token_changes_nothing(client, admin, shop):
    forged = client.post(
        "/console/blocks/access",
        data={
            "seller_id": shop["id"],
            "granted": "false",
            "reason": "forged",
            "confirmed": "yes",
        },
    )

    assert forged.status_code == 403
    assert block(client, shop, "Buyer_One").status_code == 201


def test_the_admin_sees_staff_and_keys_without_a_secret(client, services, admin):
    key = services.platform_people.create_service_key(
        "checkout", ["blocklist:check"], OPERATOR
    )

    staff_response = client.get("/console/staff")
    staff_page = staff_response.get_data(as_text=True)
    keys_page = client.get("/console/service-keys").get_data(as_text=True)
    blocks_page = client.get("/console/blocks").get_data(as_text=True)

    assert staff_response.headers["Cache-Control"] == "no-store"
    for html in (staff_page, keys_page, blocks_page):
        assert "<script" not in html
        assert "style=" not in html

    assert "admin.one" in staff_page
    assert "platform admin" in staff_page
    assert "$argon2" not in staff_page
    assert "checkout" in keys_page
    assert "blocklist:check" in keys_page
    assert key.value not in keys_page
    assert key.value.split(".")[-1] not in keys_page


@pytest.mark.parametrize("role", [StaffRole.SUPPORT_AGENT, StaffRole.AUDITOR])
def test_other_staff_get_the_forbidden_page_for_admin_pages(
    app, services, clock, shop, role
):
    other = app.test_client()
    secret = staff(other, services, clock, "staff.other", role)
    sign_in(other, clock, "staff.other", secret)

    for path in ("/console/staff", "/console/service-keys", "/console/buyers"):
        refused = other.get(path)
        assert refused.status_code == 403, path
        assert "does not have the permission" in refused.get_data(as_text=True)
    form = csrf_of(other.get("/console/accounts").get_data(as_text=True))
    revoked = other.post(
        "/console/blocks/access",
        data={
            "csrf": form,
            "seller_id": shop["id"],
            "granted": "false",
            "reason": "not mine to do",
            "confirmed": "yes",
        },
    )
    assert revoked.status_code == 403
    assert block(other, shop, "Buyer_One").status_code == 201


def test_an_agent_may_lift_a_block_but_sees_no_access_form(app, services, clock, shop):
    agent = app.test_client()
    secret = staff(agent, services, clock, "agent.one", StaffRole.SUPPORT_AGENT)
    sign_in(agent, clock, "agent.one", secret)
    block(agent, shop, "Fake_Reviewer")

    page = agent.get("/console/blocks").get_data(as_text=True)
    done = agent.post(
        "/console/blocks/override",
        data={
            "csrf": csrf_of(page),
            "seller_id": shop["id"],
            "buyer": "Fake_Reviewer",
            "reason": "the review was genuine",
            "confirmed": "yes",
        },
    )

    assert 'id="access"' not in page
    assert done.status_code == 200
    assert blocked_buyers(agent, shop) == []
