"""The buyer block list and the checkout check, over the HTTP API."""

from __future__ import annotations

import threading

import pytest

from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import OPERATOR, staff_token


@pytest.fixture
def shop(client):
    seller_id = register(client)["id"]
    return {"id": seller_id, "headers": bearer(token_of(client))}


@pytest.fixture
def checker(services):
    key = services.platform_people.create_service_key(
        "orders", ["blocklist:check"], OPERATOR
    )
    return bearer(key.value)


def block(client, shop, buyer, scope="this_id", duration="90d"):
    return client.post(
        "/api/v1/blocklist",
        headers=shop["headers"],
        json={
            "buyer": buyer,
            "reason": "fake_review",
            "scope": scope,
            "duration": duration,
        },
    )


def check(client, shop, checker, buyer, action="place_order"):
    response = client.get(
        f"/api/v1/sellers/{shop['id']}/blocklist/check?buyer={buyer}&action={action}",
        headers=checker,
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_blocked_buyer_may_not_order_but_may_do_the_rest(client, shop, checker):
    created = block(client, shop, "Buyer_One")

    assert created.status_code == 201
    assert created.get_json()["expires_at"] == "2026-06-01T14:02:00.000000Z"
    assert check(client, shop, checker, "Buyer_One") == {
        "allowed": False,
        "blocked": True,
    }
    for action in ("message", "review", "after_sales"):
        assert check(client, shop, checker, "Buyer_One", action) == {
            "allowed": True,
            "blocked": True,
        }


def test_the_username_is_matched_exactly(client, shop, checker):
    block(client, shop, "Buyer_One")

    assert check(client, shop, checker, "buyer_one")["allowed"] is True


def test_the_list_shows_blocks_and_what_is_left_of_the_limits(client, shop):
    block(client, shop, "Buyer_One")
    block(client, shop, "Buyer_Two", duration="permanent")

    listed = client.get("/api/v1/blocklist", headers=shop["headers"]).get_json()

    assert [b["buyer"] for b in listed["items"]] == ["Buyer_Two", "Buyer_One"]
    assert listed["items"][0]["expires_at"] is None
    assert (listed["active_count"], listed["remaining_today"]) == (2, 8)
    assert listed["limits"] == {"max_active": 100, "max_per_day": 10}


def test_blocking_twice_is_409_and_unblocking_lifts_it(client, shop, checker):
    block(client, shop, "Buyer_One")

    again = block(client, shop, "Buyer_One")
    lifted = client.delete("/api/v1/blocklist/Buyer_One", headers=shop["headers"])
    missing = client.delete("/api/v1/blocklist/Buyer_One", headers=shop["headers"])

    assert (again.status_code, again.get_json()["code"]) == (409, "already_blocked")
    assert lifted.status_code == 204
    assert check(client, shop, checker, "Buyer_One") == {
        "allowed": True,
        "blocked": False,
    }
    assert (missing.status_code, missing.get_json()["code"]) == (404, "not_found")


def test_a_90_day_block_lapses_by_itself_exactly_then(client, shop, checker, clock):
    block(client, shop, "Buyer_One")
    clock.advance(days=90, seconds=-1)
    assert check(client, shop, checker, "Buyer_One")["blocked"] is True

    clock.advance(seconds=1)

    assert check(client, shop, checker, "Buyer_One")["blocked"] is False
    shop["headers"] = bearer(token_of(client))  # the old session has expired
    listed = client.get("/api/v1/blocklist", headers=shop["headers"]).get_json()
    assert listed["active_count"] == 0
    assert block(client, shop, "Buyer_One").status_code == 201


def test_the_eleventh_block_of_a_utc_day_is_refused_and_changes_nothing(
    client, shop, services, clock
):
    for n in range(10):
        assert block(client, shop, f"buyer{n}").status_code == 201
    before = services.ledger.last_position()

    refused = block(client, shop, "buyer10")

    assert (refused.status_code, refused.get_json()["code"]) == (
        422,
        "daily_block_limit_reached",
    )
    assert services.ledger.last_position() == before
    clock.advance(hours=10)  # 00:02 the next UTC day
    shop["headers"] = bearer(token_of(client))
    assert block(client, shop, "buyer10").status_code == 201


def test_the_hundred_and_first_active_block_is_refused(client, shop, clock):
    for day in range(10):
        for n in range(10):
            assert (
                block(client, shop, f"b{day}x{n}", duration="permanent").status_code
                == 201
            )
        clock.advance(days=1)
        shop["headers"] = bearer(token_of(client))

    refused = block(client, shop, "one_too_many")

    assert (refused.status_code, refused.get_json()["code"]) == (
        422,
        "block_limit_reached",
    )
    client.delete("/api/v1/blocklist/b0x0", headers=shop["headers"])
    assert block(client, shop, "one_too_many").status_code == 201


def test_a_linked_ids_block_covers_buyers_linked_even_later(
    client, services, shop, checker, clock
):
    admin = bearer(staff_token(client, services, clock, StaffRole.PLATFORM_ADMIN))
    block(client, shop, "Main_Id", scope="linked_ids")
    block(client, shop, "Solo_Id", scope="this_id")

    for buyer, linked in (("Main_Id", ["Alt_Id"]), ("Solo_Id", ["Solo_Alt"])):
        response = client.post(
            f"/api/v1/platform/buyers/{buyer}/links",
            json={"linked": linked},
            headers=admin,
        )
        assert response.status_code == 204

    assert check(client, shop, checker, "Alt_Id")["allowed"] is False
    assert check(client, shop, checker, "Solo_Alt")["allowed"] is True


def test_a_platform_override_lifts_the_block_and_alerts_the_seller(
    client, services, shop, checker, clock
):
    agent = bearer(staff_token(client, services, clock, StaffRole.SUPPORT_AGENT))
    block(client, shop, "Buyer_One")

    response = client.post(
        f"/api/v1/platform/sellers/{shop['id']}/blocklist/Buyer_One/override",
        json={"reason": "the review was genuine"},
        headers=agent,
    )

    assert response.status_code == 200
    assert check(client, shop, checker, "Buyer_One")["blocked"] is False
    alerts = client.get("/api/v1/me/alerts", headers=shop["headers"]).get_json()
    assert alerts["items"][0]["kind"] == "block_overridden"
    assert "the review was genuine" in alerts["items"][0]["detail"]


def test_while_blocking_access_is_revoked_new_blocks_are_403(
    client, services, shop, clock
):
    admin = bearer(staff_token(client, services, clock, StaffRole.PLATFORM_ADMIN))
    url = f"/api/v1/platform/sellers/{shop['id']}/blocking-access"

    client.post(url, json={"granted": False, "reason": "abuse"}, headers=admin)
    refused = block(client, shop, "Buyer_One")
    client.post(url, json={"granted": True, "reason": "appeal"}, headers=admin)

    assert (refused.status_code, refused.get_json()["code"]) == (
        403,
        "blocking_access_revoked",
    )
    assert block(client, shop, "Buyer_One").status_code == 201
    kinds = [
        a["kind"]
        for a in client.get("/api/v1/me/alerts", headers=shop["headers"]).get_json()[
            "items"
        ]
    ]
    assert kinds == ["blocking_access_granted", "blocking_access_revoked"]


@pytest.mark.parametrize(
    "body",
    [
        {
            "buyer": "a b",
            "reason": "fake_review",
            "scope": "this_id",
            "duration": "90d",
        },
        {"buyer": "x", "reason": "dislike", "scope": "this_id", "duration": "90d"},
        {"buyer": "x", "reason": "fake_review", "scope": "all", "duration": "90d"},
        {"buyer": "x", "reason": "fake_review", "scope": "this_id", "duration": "30d"},
        {"buyer": "", "reason": "fake_review", "scope": "this_id", "duration": "90d"},
    ],
)
def test_bad_block_requests_are_422_and_change_nothing(client, shop, services, body):
    before = services.ledger.last_position()

    response = client.post("/api/v1/blocklist", headers=shop["headers"], json=body)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"
    assert services.ledger.last_position() == before


def test_a_check_with_an_unknown_action_is_422(client, shop, checker):
    response = client.get(
        f"/api/v1/sellers/{shop['id']}/blocklist/check?buyer=b&action=steal",
        headers=checker,
    )

    assert response.status_code == 422
    assert "action" in response.get_json()["errors"]


def test_twenty_concurrent_blocks_on_a_fresh_list_let_exactly_ten_through(
    app, shop, services
):
    statuses: list[tuple[int, str | None]] = []
    start = threading.Barrier(20)

    def attempt(n: int) -> None:
        client = app.test_client()
        start.wait()
        response = block(client, shop, f"racer{n}")
        statuses.append((response.status_code, (response.get_json() or {}).get("code")))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses, key=str) == sorted(
        [(201, None)] * 10 + [(422, "daily_block_limit_reached")] * 10, key=str
    )
    client = app.test_client()
    listed = client.get("/api/v1/blocklist", headers=shop["headers"]).get_json()
    assert listed["active_count"] == 10


def test_a_buyer_linked_only_with_themselves_is_422_and_changes_nothing(
    client, services, clock
):
    admin = bearer(staff_token(client, services, clock, StaffRole.PLATFORM_ADMIN))
    before = services.ledger.last_position()

    response = client.post(
        "/api/v1/platform/buyers/Main_Id/links",
        json={"linked": ["Main_Id", "Main_Id"]},
        headers=admin,
    )

    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["linked"]
    assert services.ledger.last_position() == before
