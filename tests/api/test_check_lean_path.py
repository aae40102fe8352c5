"""The checkout check's lean path answers exactly as the Flask view would.

The lean path (``interface.fast_check``) answers a service's well-formed check
before Flask; everything else goes on to the view. These tests compare the
two answers byte for byte, and show that whatever the lean path should not
answer (refusals, odd queries, a revoked key) still gets the view's answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from flask import Flask
from werkzeug.test import Client

from domain.service_key import ServiceKey
from interface.fast_check import FastCheck
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import OPERATOR

CHECK = "/api/v1/sellers/{shop}/blocklist/check"


@pytest.fixture
def views_seen(app: Flask) -> list[str]:
    """The checks that reached the Flask app (the lean path's do not)."""
    seen: list[str] = []
    fast = lean(app)
    flask_app = fast.app

    def counting(environ, start_response):
        if environ["PATH_INFO"].endswith("/blocklist/check"):
            seen.append("view")
        return flask_app(environ, start_response)

    fast.app = counting
    return seen


@pytest.fixture
def shop(client, views_seen):
    seller_id = register(client)["id"]
    headers = bearer(token_of(client))
    for buyer, scope in (("Main_Id", "linked_ids"), ("Solo_Id", "this_id")):
        response = client.post(
            "/api/v1/blocklist",
            headers=headers,
            json={
                "buyer": buyer,
                "reason": "fake_review",
                "scope": scope,
                "duration": "90d",
            },
        )
        assert response.status_code == 201
    return {"id": seller_id, "headers": headers}


@pytest.fixture
def key(services):
    return services.platform_people.create_service_key(
        "orders", ["blocklist:check"], OPERATOR
    )


def lean(app: Flask) -> FastCheck:
    found = app.wsgi_app
    assert isinstance(found, FastCheck)
    return found


def both(app, client, url, headers):
    """The answer through the whole app, and from the Flask view alone."""
    whole = client.get(url, headers=headers)
    view = Client(lean(app).app).get(url, headers=headers)
    return whole, view


def comparable(response):
    headers = sorted(
        (name, value) for name, value in response.headers if name != "X-Request-Id"
    )
    return response.status_code, response.get_data(), headers


@pytest.mark.parametrize(
    "query",
    [
        "buyer=Main_Id&action=place_order",  # blocked
        "action=message&buyer=Main_Id",  # blocked, but allowed to message
        "buyer=Solo_Id&action=review",
        "buyer=Nobody&action=place_order",  # not blocked
        "buyer=%C3%A9l%C3%A8ve&action=after_sales",  # percent-encoded UTF-8
    ],
)
def test_the_lean_answer_is_the_views_answer_byte_for_byte(
    app, client, services, shop, key, views_seen, query
):
    url = CHECK.format(shop=shop["id"]) + "?" + query
    whole, view = both(app, client, url, bearer(key.value))

    assert views_seen == ["view"]  # only the direct call reached Flask
    assert whole.status_code == 200
    assert comparable(whole) == comparable(view)
    assert len(whole.headers["X-Request-Id"]) == 32


def test_a_request_id_the_caller_offers_is_echoed_as_by_the_view(
    app, client, shop, key, views_seen
):
    headers = {**bearer(key.value), "X-Request-Id": "order-4711-check"}
    whole, view = both(
        app, client, CHECK.format(shop=shop["id"]) + "?buyer=b&action=review", headers
    )

    assert whole.headers["X-Request-Id"] == view.headers["X-Request-Id"]
    assert whole.headers["X-Request-Id"] == "order-4711-check"
    assert views_seen == ["view"]


def test_a_buyer_linked_later_is_blocked_on_the_lean_path(
    client, services, shop, key, views_seen
):
    services.block_lists.link("Main_Id", ["Alt_Id"], OPERATOR)

    url = CHECK.format(shop=shop["id"]) + "?buyer=Alt_Id&action=place_order"
    answer = client.get(url, headers=bearer(key.value))

    assert answer.get_json() == {"allowed": False, "blocked": True}
    assert views_seen == []


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("buyer=Main_Id&action=steal", 422),
        ("buyer=Main_Id", 422),
        ("buyer=Main_Id&action=place_order&extra=1", 422),
        ("buyer=Main_Id&buyer=Other&action=place_order", 200),
        ("buyer=a%2Fb&action=place_order", 422),
        ("buyer=a%01b&action=place_order", 422),
        ("buyer=&action=place_order", 422),
    ],
)
def test_queries_the_lean_path_does_not_take_get_the_views_answer(
    app, client, shop, key, views_seen, query, status
):
    url = CHECK.format(shop=shop["id"]) + "?" + query
    whole, view = both(app, client, url, bearer(key.value))

    assert whole.status_code == status
    assert comparable(whole) == comparable(view)
    assert views_seen == ["view", "view"]


def test_refusals_come_from_the_view(app, client, services, shop, views_seen):
    url = CHECK.format(shop=shop["id"]) + "?buyer=Main_Id&action=place_order"
    other_scope = services.platform_people.create_service_key(
        "payments", ["authz:check"], OPERATOR
    )
    callers = {
        "no token": {},
        "not a token": bearer("sgk1.nonsense"),
        "unknown key": bearer(f"sgk1.{uuid4().hex}.key.guessed"),
        "key without the scope": bearer(other_scope.value),
        "the shop's own session": shop["headers"],
    }
    for name, headers in callers.items():
        whole, view = both(app, client, url, headers)
        assert whole.status_code in (401, 403), name
        assert whole.mimetype == "application/problem+json", name
        assert comparable(whole) == comparable(view), name
    assert len(views_seen) == 2 * len(callers)


def test_a_revoked_key_is_refused_at_once(client, services, shop, key, views_seen):
    url = CHECK.format(shop=shop["id"]) + "?buyer=Main_Id&action=place_order"
    assert client.get(url, headers=bearer(key.value)).status_code == 200

    services.ledger.update(
        key.id,
        ServiceKey,
        lambda k: k.revoke("leaked", OPERATOR, datetime(2026, 3, 3, tzinfo=UTC)),
    )

    refused = client.get(url, headers=bearer(key.value))
    assert (refused.status_code, refused.get_json()["code"]) == (401, "unauthorized")


def test_a_head_request_or_a_body_goes_to_the_view(client, shop, key, views_seen):
    url = CHECK.format(shop=shop["id"]) + "?buyer=Main_Id&action=place_order"
    head = client.head(url, headers=bearer(key.value))
    with_body = client.get(url, headers=bearer(key.value), data="x")

    assert head.status_code == 200
    assert with_body.status_code == 415
    assert views_seen == ["view", "view"]
