"""A hostile client's inputs, by one table, against every operation of the API.

Every row is tried on every operation that can take it (read from the served
OpenAPI document, so a new endpoint is covered without a new test), anonymously
and as a signed-in seller: never a 5xx, always problem details with the
status of the row, and the security headers on every answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import staff_token

ANY_ID = "00000000-0000-4000-8000-000000000000"
PARAMETER = re.compile(r"\{([a-z_]+)\}")
PATH_VALUES = {"buyer": "b1", "session_id": "s1", "document_id": "d1"}
PROBLEM_JSON = "application/problem+json"


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


# (what is sent, where it goes, the statuses it may get). A body row applies
# to every operation that takes a JSON body; a query row to every operation.
TABLE: list[tuple[str, str, Any, tuple[int, ...]]] = [
    ("objects 1,000 deep", "body", nested(1_000), (400,)),
    ("objects 100,000 deep", "body", nested(100_000), (400,)),
    ("arrays 1,000 deep", "body", b"[" * 1_000 + b"]" * 1_000, (400,)),
    ("arrays 100,000 deep", "body", b"[" * 100_000 + b"]" * 100_000, (400,)),
    ("not UTF-8", "body", b'{"username": "\xff\xfe"}', (400,)),
    ("not JSON", "body", b"{'username': ", (400,)),
    ("a lone surrogate", "strings", "\\ud800", (422,)),
    ("a lone low surrogate", "strings", "x\\udfffx", (422,)),
    ("a NUL character", "strings", "a\\u0000b", (422,)),
    ("JSON sent as text/plain", "media", b'{"a": 1}', (415,)),
    ("a 5 KB query string", "query", "q=" + "a" * 5_000, (414,)),
    ("a 20 KB query string", "query", "q=" + "a" * 20_000, (414,)),
    ("a NUL in the query", "query", "buyer=%00", (422,)),
]


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for template, ops in spec["paths"].items():
        path = PARAMETER.sub(lambda m: PATH_VALUES.get(m[1], ANY_ID), template)
        for method, op in ops.items():
            if method != "parameters":
                yield method.upper(), path, op


def json_schema(spec: dict[str, Any], op: dict[str, Any]) -> dict[str, Any] | None:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return dict(schema)


def string_fields(schema: dict[str, Any]) -> list[str]:
    return [
        name
        for name, prop in schema.get("properties", {}).items()
        if prop.get("type") == "string" or "enum" in prop
    ]


def requests_of(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, dict, tuple]]:
    """(label, method, path, request kwargs, allowed statuses) for the whole table."""
    for method, path, op in operations(spec):
        schema = json_schema(spec, op)
        for label, kind, value, statuses in TABLE:
            where = f"{label}: {method} {path}"
            if kind == "query":
                yield where, method, f"{path}?{value}", {}, statuses
            elif schema is None:
                continue
            elif kind == "body":
                kwargs = {"data": value, "content_type": "application/json"}
                yield where, method, path, kwargs, statuses
            elif kind == "media":
                kwargs = {"data": value, "content_type": "text/plain"}
                yield where, method, path, kwargs, statuses
            else:
                for field in string_fields(schema):
                    body = '{"%s": "%s"}' % (field, value)  # noqa: UP031
                    kwargs = {"data": body, "content_type": "application/json"}
                    yield f"{where} .{field}", method, path, kwargs, statuses


@pytest.fixture
def seller(client) -> dict[str, str]:
    register(client, "Shop.One")
    return bearer(token_of(client, username="Shop.One"))


@pytest.mark.parametrize("caller", ["anonymous", "seller"])
def test_no_malformed_request_gets_anything_but_its_problem_details(
    client, seller, caller
):
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = seller if caller == "seller" else {}
    failures = []
    count = 0
    for where, method, url, kwargs, statuses in requests_of(spec):
        count += 1
        response = client.open(url, method=method, headers=headers, **kwargs)
        body = response.get_json(silent=True) or {}
        if (
            response.status_code not in statuses
            or response.mimetype != PROBLEM_JSON
            or body.get("status") != response.status_code
            or response.headers.get("X-Content-Type-Options") != "nosniff"
        ):
            failures.append(f"{where}: {response.status_code} {body.get('code')}")

    assert count > 100  # the spec really was walked
    assert failures == []


def test_a_rejected_string_is_not_echoed_back(client):
    response = client.post(
        "/api/v1/sessions",
        data='{"username": "evil\\u0000<script>", "password": "x"}',
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.get_json()["errors"].keys() == {"username"}
    assert b"script" not in response.get_data()


def test_a_lone_surrogate_password_changes_nothing_and_still_signs_in_later(
    client, seller
):
    refused = client.post(
        "/api/v1/me/password",
        headers=seller,
        data='{"current_password": "Corr3ct-Horse!Battery", '
        '"new_password": "abc\\ud800def-Long-Enough1"}',
        content_type="application/json",
    )

    assert refused.status_code == 422
    assert token_of(client, username="Shop.One")


def test_the_audit_event_list_takes_a_cursor_as_every_list_does(
    client, services, clock
):
    auditor = bearer(staff_token(client, services, clock, StaffRole.AUDITOR))
    first = client.get("/api/v1/audit/events?limit=1", headers=auditor).get_json()

    by_cursor = client.get(
        f"/api/v1/audit/events?limit=1&cursor={first['next']}", headers=auditor
    )
    by_after = client.get(
        f"/api/v1/audit/events?limit=1&after={first['next']}", headers=auditor
    )

    assert by_cursor.status_code == 200
    assert by_cursor.get_json()["items"] == by_after.get_json()["items"]
    assert by_cursor.get_json()["items"] != first["items"]


def test_a_method_nobody_serves_is_405_whatever_body_it_carries(client):
    response = client.open(
        f"/api/v1/recovery-cases/{ANY_ID}/documents",
        method="TRACE",
        data="x",
        content_type="multipart/form-data; boundary=b",
    )

    assert (response.status_code, response.get_json()["code"]) == (
        405,
        "method_not_allowed",
    )


def test_a_trailing_newline_does_not_slip_past_a_pattern(client, seller):
    # Python's ``$`` matches before a final newline: "buyer_1\n" would have
    # been blocked as a buyer no order ever names, and the check let through.
    response = client.post(
        "/api/v1/blocklist",
        json={
            "buyer": "buyer_1\n",
            "reason": "fake_review",
            "scope": "this_id",
            "duration": "90d",
        },
        headers=seller,
    )
    listed = client.get("/api/v1/blocklist", headers=seller).get_json()

    assert response.status_code == 422
    assert listed["items"] == []


def test_every_documented_pattern_reads_the_same_in_every_client(client):
    # The document's patterns are ECMA-262, where ``\\Z`` is a literal "Z":
    # each is anchored with ``^`` and ``$`` and uses no Python-only escape.
    spec = client.get("/api/v1/openapi.json").get_json()
    patterns = list(patterns_in(spec))

    assert patterns
    assert [p for p in patterns if not re.fullmatch(r"\^.*\$", p)] == []
    assert [p for p in patterns if re.search(r"\\[AZz]", p)] == []


def patterns_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns_in(value)
