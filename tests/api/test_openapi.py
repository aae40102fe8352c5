"""The served OpenAPI document as a client generator reads it, and the problem
pages its error ``type`` links lead to."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema_rs

ROOT = Path(__file__).resolve().parents[2]
METHODS = {"get", "post", "put", "patch", "delete"}
CAMEL_CASE = re.compile(r"[a-z]+(?:[A-Z][a-z0-9]*)*")


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in METHODS
    ]


def test_every_operation_has_its_own_readable_operation_id(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    ids = [op.get("operationId") for _, _, op in operations(spec)]

    assert None not in ids
    assert len(ids) == len(set(ids))
    assert all(CAMEL_CASE.fullmatch(i) for i in ids), ids
    by_route = {(m, p): op["operationId"] for m, p, op in operations(spec)}
    assert by_route["POST", "/api/v1/sellers"] == "registerSeller"
    assert by_route["GET", "/api/v1/me/logins"] == "getLogins"
    assert by_route["GET", "/api/v1/sellers/{seller_id}/blocklist/check"] == (
        "checkBuyer"
    )


def test_every_json_request_body_has_an_example_its_schema_accepts(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    missing, refused = [], []
    for method, path, op in operations(spec):
        content = op.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        media = content["application/json"]
        if "example" not in media:
            missing.append(f"{method} {path}")
            continue
        # Python's end anchor, which ECMA-262 patterns do not know (see the note).
        components = json.loads(json.dumps(spec["components"]).replace("\\\\Z", "$"))
        schema = {**media["schema"], "components": components}
        errors = list(jsonschema_rs.validator_for(schema).iter_errors(media["example"]))
        if errors:
            refused.append(f"{method} {path}: {errors[0].message}")

    assert missing == []
    assert refused == []


def test_the_registration_example_registers_a_seller(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    body = spec["paths"]["/api/v1/sellers"]["post"]["requestBody"]["content"]
    example = body["application/json"]["example"]

    response = client.post("/api/v1/sellers", json=example)

    assert response.status_code == 201
    assert response.get_json()["username"] == example["username"]


def test_no_schema_is_listed_that_no_operation_uses(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    text = json.dumps(spec["paths"]) + json.dumps(spec["components"].get("responses"))
    schemas = spec["components"]["schemas"]
    # A schema counts as used when a path, a response or a used schema refers to it.
    used: set[str] = set(re.findall(r"#/components/schemas/(\w+)", text))
    while True:
        more = set(
            re.findall(
                r"#/components/schemas/(\w+)", json.dumps([schemas[n] for n in used])
            )
        )
        if more <= used:
            break
        used |= more

    assert "PaginationMetadata" not in schemas
    assert set(schemas) - used == set()


def test_an_error_links_to_a_page_the_product_serves_about_its_code(client):
    problem = client.post("/api/v1/sellers", json={"username": "x"}).get_json()

    assert problem["type"] == "/problems/validation_error"
    page = client.get(problem["type"])
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "<h1>validation_error</h1>" in text
    assert "422 Unprocessable Entity" in text
    assert "<code>errors</code>" in text


def test_every_code_in_the_code_base_has_a_page(client):
    sources = [
        path.read_text()
        for package in ("domain", "application", "interface", "infrastructure")
        for path in (ROOT / package).rglob("*.py")
    ]
    codes = {
        code
        for text in sources
        for code in re.findall(r'^\s+code = "([a-z_]+)"', text, re.MULTILINE)
        + re.findall(r'problem\(\s*\d{3},\s*"([a-z_]+)"', text)
    }
    assert {"validation_error", "not_ready", "internal_error"} <= codes

    unserved = [
        c for c in sorted(codes) if client.get(f"/problems/{c}").status_code != 200
    ]

    assert unserved == []
    index = client.get("/problems/").get_data(as_text=True)
    assert all(f'href="/problems/{c}"' in index for c in codes)


def test_a_code_that_does_not_exist_has_no_page(client):
    response = client.get("/problems/no_such_code")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
