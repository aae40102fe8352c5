"""POST /api/v1/sellers, as the seller centre's front end calls it."""

from __future__ import annotations

import logging
import uuid

import pytest

STRONG = "Corr3ct-Horse!Battery"
REGISTRATION = {
    "username": "Shop.One",
    "email": "owner@example.com",
    "password": STRONG,
}


def test_registering_answers_201_with_the_account_view(client, clock):
    response = client.post("/api/v1/sellers", json=REGISTRATION)

    assert response.status_code == 201
    body = response.get_json()
    assert body["username"] == "Shop.One"
    assert body["email"] == "owner@example.com"
    assert body["kind"] == "seller"
    assert body["status"] == "active"
    assert body["two_step_enabled"] is False
    assert body["seller_id"] == body["id"]
    assert body["created_at"] == "2026-03-03T14:02:00.000000Z"
    assert response.headers["ETag"] == '"1"'
    assert "password" not in body


def test_a_weak_password_is_refused_with_every_violation(client, services):
    response = client.post(
        "/api/v1/sellers", json={**REGISTRATION, "password": "abcd1234"}
    )

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == "password_policy"
    assert [v["code"] for v in body["violations"]] == [
        "missing_uppercase",
        "missing_symbol",
        "sequential_characters",
        "keyboard_sequence",
        "common_password",
    ]
    assert services.ledger.last_position() == 0


def test_the_same_username_in_other_letter_case_is_409(client):
    client.post("/api/v1/sellers", json=REGISTRATION)

    response = client.post(
        "/api/v1/sellers", json={**REGISTRATION, "username": "shop.ONE"}
    )

    assert response.status_code == 409
    assert response.get_json()["code"] == "username_taken"


def test_a_password_containing_the_birth_date_is_refused(client):
    response = client.post(
        "/api/v1/sellers",
        json={
            **REGISTRATION,
            "password": "Blue-Harbour-1990!",
            "birth_date": "1990-07-21",
        },
    )

    assert response.status_code == 422
    assert "contains_birth_date" in [
        v["code"] for v in response.get_json()["violations"]
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**REGISTRATION, "nickname": "x"}, "nickname"),
        ({k: v for k, v in REGISTRATION.items() if k != "email"}, "email"),
        ({**REGISTRATION, "email": "not-an-address"}, "email"),
        ({**REGISTRATION, "username": "a b"}, "username"),
        ({**REGISTRATION, "username": "Шоп.One"}, "username"),
        ({**REGISTRATION, "username": 12345}, "username"),
        ({**REGISTRATION, "birth_date": "15/03/1990"}, "birth_date"),
        ({**REGISTRATION, "password": None}, "password"),
    ],
)
def test_invalid_fields_are_422_naming_the_field_and_store_nothing(
    client, services, body, field
):
    response = client.post("/api/v1/sellers", json=body)

    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "validation_error"
    assert field in problem["errors"]
    assert services.ledger.last_position() == 0


@pytest.mark.parametrize("raw", ["{bad json", "", "[1, 2", '{"username": "x",}'])
def test_malformed_json_is_400_problem_details(client, raw):
    response = client.post("/api/v1/sellers", data=raw, content_type="application/json")

    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] in ("bad_request", "validation_error")


def test_a_body_that_is_not_json_at_all_is_400(client):
    response = client.post(
        "/api/v1/sellers", data=b"\xff\xfe\x00garbage", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.get_json()["code"] == "bad_request"


def test_a_json_list_instead_of_an_object_is_422(client):
    response = client.post("/api/v1/sellers", json=[REGISTRATION])

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


def test_an_oversized_body_is_413_problem_details(client, services):
    response = client.post(
        "/api/v1/sellers", json={**REGISTRATION, "password": "A1!" * 500_000}
    )

    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    assert services.ledger.last_position() == 0


def test_an_unknown_route_is_404_problem_details(client):
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "not_found"


def test_an_unsupported_method_is_405_with_allow(client):
    response = client.put("/api/v1/sellers", json=REGISTRATION)

    assert response.status_code == 405
    assert response.get_json()["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")

    assert len(response.headers["X-Request-Id"]) >= 8


def test_a_well_formed_incoming_request_id_is_kept_and_recorded(client, services):
    response = client.post(
        "/api/v1/sellers",
        json=REGISTRATION,
        headers={"X-Request-Id": "frontend-4711-abc"},
    )

    assert response.headers["X-Request-Id"] == "frontend-4711-abc"
    account_id = response.get_json()["id"]
    (event,) = services.ledger.events.get(uuid.UUID(account_id))
    assert event.actor.request_id == "frontend-4711-abc"
    assert event.actor.ip == "127.0.0.1"


def test_a_hostile_request_id_is_replaced(client):
    response = client.get(
        "/healthz", headers={"X-Request-Id": "<script>alert(1)</script>"}
    )

    assert response.headers["X-Request-Id"] != "<script>alert(1)</script>"


def test_forwarded_for_is_ignored_without_trusted_proxies(client, services):
    response = client.post(
        "/api/v1/sellers",
        json=REGISTRATION,
        headers={"X-Forwarded-For": "198.51.100.9"},
    )

    (event,) = services.ledger.events.get(uuid.UUID(response.get_json()["id"]))
    assert event.actor.ip == "127.0.0.1"


def test_no_log_line_contains_the_password(client, caplog):
    with caplog.at_level(logging.DEBUG):
        client.post("/api/v1/sellers", json=REGISTRATION)
        client.post("/api/v1/sellers", json={**REGISTRATION, "password": "abcd1234"})

    assert caplog.records
    for record in caplog.records:
        line = record.getMessage() + repr(record.__dict__)
        assert STRONG not in line
        assert "abcd1234" not in line


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_the_openapi_document_describes_registration_and_its_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    responses = spec["paths"]["/api/v1/sellers"]["post"]["responses"]
    assert {"201", "409", "422", "400"} <= set(responses)
    assert "application/problem+json" in responses["409"]["content"]


def test_interactive_docs_are_served(client):
    response = client.get("/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.data.lower()
    assert b"/api/v1/openapi.json" in response.data


def test_behind_one_trusted_proxy_the_forwarded_client_ip_is_recorded(services):
    import dataclasses

    from interface.app import create_app

    behind_proxy = dataclasses.replace(services.settings, proxy_hops=1)
    client = create_app(behind_proxy, services).test_client()

    response = client.post(
        "/api/v1/sellers",
        json=REGISTRATION,
        headers={"X-Forwarded-For": "198.51.100.9"},
    )

    (event,) = services.ledger.events.get(uuid.UUID(response.get_json()["id"]))
    assert event.actor.ip == "198.51.100.9"
