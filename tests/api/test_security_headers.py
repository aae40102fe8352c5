"""The headers a browser and every cache in between are told on each response."""

from __future__ import annotations

import base64
import hashlib
import re

from tests.api.helpers import PASSWORD, bearer, login, register

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_hardened(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_response_carrying_a_token_is_never_cached_nor_sniffed(client):
    register(client)

    response = login(client, password=PASSWORD)

    assert "token" in response.get_json()
    assert_hardened(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"] == API_CSP


def test_personal_data_and_problems_carry_the_same_headers(client):
    register(client)
    token = login(client).get_json()["token"]

    me = client.get("/api/v1/me", headers=bearer(token))
    problem = client.get("/api/v1/me")
    missing = client.get("/api/v1/no-such-thing")

    for response in (me, problem, missing):
        assert_hardened(response)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Content-Security-Policy"] == API_CSP


def test_the_docs_page_may_run_only_its_own_scripts_and_styles(client):
    page = client.get("/docs/")

    policy = page.headers["Content-Security-Policy"]
    inline = re.findall(rb"<script>(.*?)</script>", page.get_data(), re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline[0]).digest()).decode()
    assert_hardened(page)
    assert "script-src 'self' 'sha256-" + digest + "'" in policy
    assert "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy
    assert "http" not in policy  # no other origin
