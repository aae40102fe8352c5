"""Auditors and witnesses check the Merkle log over HTTP: checks, notes, proofs."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.hazmat.primitives import serialization

from application.merkle import leaf_hash, verify_consistency, verify_inclusion
from application.signed_note import parse
from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import OPERATOR, staff_token
from tests.integrity.raw_store import RawStore
from tests.integrity.test_tamper import record, sealed

AUDITOR_PATHS = (
    "/api/v1/audit/integrity",
    "/api/v1/audit/checkpoints",
    "/api/v1/audit/public-key",
)
WITNESS_PATHS = (
    "/api/v1/audit/checkpoint",
    "/api/v1/audit/proofs/inclusion?position=1",
    "/api/v1/audit/proofs/consistency?from=1",
)
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


@pytest.fixture
def auditor(client, services, clock) -> dict[str, str]:
    return bearer(staff_token(client, services, clock, StaffRole.AUDITOR))


@pytest.fixture
def witness(services) -> dict[str, str]:
    key = services.platform_people.create_service_key(
        "transparency-witness", ["audit:witness"], OPERATOR
    )
    return bearer(key.value)


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def test_an_auditor_sees_the_log_verified_and_what_is_not_yet_sealed(
    client, auditor, services
):
    sealed(services, 30)
    record(services, 4)

    response = client.get("/api/v1/audit/integrity", headers=auditor)

    body = response.get_json()
    assert response.status_code == 200
    assert body["ok"] is True
    assert body["first_failure"] is None
    assert body["unsealed"] == 4
    assert body["events_verified"] + 4 == body["head"]["size"]
    assert len(b64(body["head"]["root"])) == 32
    assert body["checkpoints_verified"] >= 1


def test_verifying_over_http_signs_nothing(client, auditor, services):
    sealed(services, 10)
    record(services, 10)
    before = services.integrity.checkpoints(0, 100)

    client.get("/api/v1/audit/integrity", headers=auditor)

    assert services.integrity.checkpoints(0, 100) == before


def test_an_auditor_is_told_where_the_log_was_changed(
    client, auditor, services, settings
):
    positions = sealed(services, 30)
    raw = RawStore(settings)
    try:
        raw.flip_state_byte(positions[12])
    finally:
        raw.close()

    body = client.get("/api/v1/audit/integrity", headers=auditor).get_json()

    assert body["ok"] is False
    assert body["first_failure"] == {"position": positions[12], "reason": "changed"}


def test_a_witness_service_checks_inclusion_and_consistency_with_the_public_key(
    client, auditor, witness, services
):
    positions = sealed(services, 40)
    first = parse(client.get("/api/v1/audit/checkpoint", headers=witness).text)
    sealed(services, 25)
    note = client.get("/api/v1/audit/checkpoint", headers=witness)
    served = client.get("/api/v1/audit/public-key", headers=auditor).get_json()

    newest = parse(note.text)
    inclusion = client.get(
        f"/api/v1/audit/proofs/inclusion?position={positions[7]}&size={newest.size}",
        headers=witness,
    ).get_json()
    consistency = client.get(
        f"/api/v1/audit/proofs/consistency?from={first.size}&to={newest.size}",
        headers=witness,
    ).get_json()

    assert note.status_code == 200
    assert note.content_type.startswith("text/plain")
    key = serialization.load_pem_public_key(served["public_key_pem"].encode())
    key.verify(newest.signatures[0].signature, newest.body)  # raises when forged
    assert newest.origin == served["origin"]
    assert newest.signatures[0].key_id.hex() == served["key_id"]
    assert inclusion["position"] == positions[7]
    assert b64(inclusion["root"]) == newest.root
    assert verify_inclusion(
        inclusion["leaf_index"],
        newest.size,
        b64(inclusion["leaf_hash"]),
        [b64(p) for p in inclusion["proof"]],
        newest.root,
    )
    assert verify_consistency(
        first.size,
        newest.size,
        [b64(p) for p in consistency["proof"]],
        first.root,
        newest.root,
    )
    assert b64(inclusion["leaf_hash"]) != leaf_hash(b"")


def test_checkpoints_list_their_notes_and_page_by_cursor(client, auditor, services):
    record(services, 2_100)
    services.integrity.extend()

    first = client.get("/api/v1/audit/checkpoints?limit=1", headers=auditor)
    rest = client.get(
        f"/api/v1/audit/checkpoints?cursor={first.get_json()['next']}",
        headers=auditor,
    )

    items = first.get_json()["items"] + rest.get_json()["items"]
    assert [c["size"] for c in items] == [1000, 2000, services.integrity.store.size()]
    assert rest.get_json()["next"] is None
    for c in items:
        assert RFC3339_UTC.fullmatch(c["signed_at"])
        note = parse(c["note"])
        assert (note.size, note.root) == (c["size"], b64(c["hash"]))


@pytest.mark.parametrize(
    "query",
    [
        "proofs/inclusion?position=999",
        "proofs/consistency?from=999",
        "proofs/consistency?from=5&to=3",
    ],
)
def test_a_proof_outside_the_signed_log_is_not_found(client, witness, services, query):
    sealed(services, 10)

    response = client.get(f"/api/v1/audit/{query}", headers=witness)

    assert response.status_code == 404
    assert response.get_json()["code"] == "not_found"


@pytest.mark.parametrize(
    "query",
    [
        "proofs/inclusion",
        "proofs/inclusion?position=0",
        "proofs/inclusion?position=x",
        "proofs/consistency?from=-1",
        "checkpoints?cursor=abc",
        "checkpoints?limit=501",
    ],
)
def test_bad_queries_are_validation_errors(client, auditor, query):
    response = client.get(f"/api/v1/audit/{query}", headers=auditor)

    assert response.status_code == 422
    assert response.get_json()["code"] == "validation_error"


@pytest.mark.parametrize("path", AUDITOR_PATHS + WITNESS_PATHS)
def test_a_seller_is_forbidden(client, path):
    register(client)

    response = client.get(path, headers=bearer(token_of(client)))

    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


@pytest.mark.parametrize("path", AUDITOR_PATHS)
def test_a_witness_service_reads_only_the_witness_endpoints(client, witness, path):
    assert client.get(path, headers=witness).status_code == 403


@pytest.mark.parametrize("path", AUDITOR_PATHS + WITNESS_PATHS)
def test_an_anonymous_caller_is_unauthorized(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response.get_json()["code"] == "unauthorized"


def test_the_openapi_document_describes_the_six_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()

    for path in AUDITOR_PATHS + WITNESS_PATHS:
        operation = spec["paths"][path.split("?")[0]]["get"]
        assert {"200", "401", "403"} <= set(operation["responses"])
