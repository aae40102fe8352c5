"""Auditors check the integrity chain over HTTP: verification, checkpoints, the key."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask

from application.integrity import IntegrityChain
from domain.roles import StaffRole
from interface.app import create_app
from interface.blueprints import audit_integrity
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import staff_token
from tests.application.test_integrity import Tables, open_chain, record

PATHS = (
    "/api/v1/audit/integrity",
    "/api/v1/audit/checkpoints",
    "/api/v1/audit/public-key",
)
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture
def integrity(services: Any, settings: Any) -> Iterator[IntegrityChain]:
    chain = open_chain(services, settings)
    yield chain
    chain.close()


@pytest.fixture
def app(services: Any, integrity: IntegrityChain) -> Flask:
    # Until the composition root builds the chain and the app registers the
    # blueprint, the test does both; afterwards these branches do nothing.
    if not hasattr(services, "integrity"):
        services.integrity = integrity
    app = create_app(services=services)
    if "audit_integrity" not in app.blueprints:
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        api.register_blueprint(audit_integrity.blp)
    return app


@pytest.fixture
def auditor(client, services, clock) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.AUDITOR))


def test_an_auditor_sees_an_untouched_log_verified_to_its_head(
    client, auditor, services
):
    record(services, 30)

    response = client.get("/api/v1/audit/integrity", headers=auditor)

    assert response.status_code == 200
    body = response.get_json()
    head = services.ledger.last_position()
    assert body["ok"] is True
    assert body["first_failure"] is None
    assert body["events_verified"] == head
    assert body["head"]["position"] == head
    assert re.fullmatch(r"[0-9a-f]{64}", body["head"]["hash"])
    assert body["checkpoints_verified"] >= 1


def test_an_auditor_is_told_where_the_log_was_changed(
    client, auditor, services, settings
):
    positions = record(services, 30)
    client.get("/api/v1/audit/integrity", headers=auditor)
    tables = Tables(settings)
    try:
        tables.flip_state_byte(positions[12])
    finally:
        tables.close()

    body = client.get("/api/v1/audit/integrity", headers=auditor).get_json()

    assert body["ok"] is False
    assert body["first_failure"] == {"position": positions[12], "reason": "changed"}


def test_checkpoints_page_by_cursor_and_verify_with_the_served_key(
    client, auditor, services
):
    record(services, 2_100)
    client.get("/api/v1/audit/integrity", headers=auditor)

    first = client.get("/api/v1/audit/checkpoints?limit=1", headers=auditor)
    rest = client.get(
        f"/api/v1/audit/checkpoints?cursor={first.get_json()['next']}",
        headers=auditor,
    )
    served = client.get("/api/v1/audit/public-key", headers=auditor).get_json()

    items = first.get_json()["items"] + rest.get_json()["items"]
    assert [c["position"] for c in items] == [1000, 2000]
    assert rest.get_json()["next"] is None
    key = serialization.load_pem_public_key(served["public_key_pem"].encode())
    for c in items:
        assert RFC3339_UTC.fullmatch(c["signed_at"])
        assert c["key_id"] == served["key_id"]
        message = (
            f"sellerguard-checkpoint:v1:{c['position']}:{c['hash']}:{c['signed_at']}"
        )
        key.verify(base64.b64decode(c["signature"]), message.encode())


def test_the_public_key_is_ed25519_named_by_its_digest(client, auditor):
    body = client.get("/api/v1/audit/public-key", headers=auditor).get_json()

    assert body["algorithm"] == "Ed25519"
    assert re.fullmatch(r"[0-9a-f]{16}", body["key_id"])
    assert body["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize("query", ["cursor=abc", "cursor=-1", "limit=501", "limit=0"])
def test_a_bad_checkpoint_page_request_is_a_validation_error(client, auditor, query):
    response = client.get(f"/api/v1/audit/checkpoints?{query}", headers=auditor)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


@pytest.mark.parametrize("path", PATHS)
def test_a_seller_is_forbidden(client, path):
    register(client)

    response = client.get(path, headers=bearer(token_of(client)))

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


@pytest.mark.parametrize("path", PATHS)
def test_an_anonymous_caller_is_unauthorized(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_the_openapi_document_describes_the_three_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in PATHS:
        operation = spec["paths"][path]["get"]
        assert {"200", "401", "403"} <= set(operation["responses"])
