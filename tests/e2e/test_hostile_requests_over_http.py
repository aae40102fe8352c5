"""What gunicorn and the app make of a hostile client's requests, over real HTTP."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

from tests.e2e_helpers import running_server, settings_env


def raw(base: str, method: str, target: str, body: bytes = b"") -> tuple[int, dict]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"} if body else {}
        connection.request(method, target, body=body or None, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


@pytest.fixture(params=["sqlite"])
def store(request):
    return request.param


def test_the_served_api_refuses_hostile_requests_with_problem_details(settings):
    env = settings_env(settings.data_dir, settings.database_url)
    with running_server(env) as base:
        long_query = raw(base, "GET", "/api/v1/me?q=" + "a" * 5_000)
        too_long = raw(base, "GET", "/api/v1/me?q=" + "a" * 20_000)
        deep = raw(base, "POST", "/api/v1/sessions", b"[" * 100_000)

    # Within gunicorn's request-line limit, the app refuses with problem details.
    assert long_query[0] == 414
    assert long_query[1]["Content-Type"] == "application/problem+json"
    assert long_query[1]["X-Content-Type-Options"] == "nosniff"
    assert long_query[1]["Cache-Control"] == "no-store"
    # Beyond it gunicorn itself refuses (README, "Limits"): never a 5xx.
    assert too_long[0] == 414
    assert deep[0] == 400
    assert deep[1]["Content-Type"] == "application/problem+json"
