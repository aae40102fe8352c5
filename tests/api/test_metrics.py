"""``GET /metrics`` as Prometheus scrapes it, after a scripted day of sign-ins."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.actor import Actor, ActorKind
from tests.api.helpers import PASSWORD, bearer, login, register

OPERATOR = Actor(ActorKind.SYSTEM, "test")
WRONG = "Wrong-Pass-1!x"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scraper(services):
    key = services.platform_people.create_service_key(
        "prometheus", ["metrics:read"], OPERATOR
    )
    services.follower.run_once()  # the counts start from the log's head
    return bearer(key.value)


def scrape(client, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return samples(response.get_data(as_text=True))


def test_a_scrape_counts_requests_sign_ins_lockouts_and_alerts(
    client, services, scraper
):
    register(client)
    assert login(client, device_id="laptop-1").status_code == 201
    assert login(client, device_id="phone-2").status_code == 201  # a new device
    for _ in range(5):
        assert login(client, password=WRONG, ip="203.0.113.9").status_code == 401
    assert login(client, ip="203.0.113.9").status_code == 401  # locked out
    services.follower.run_once()

    found = scrape(client, scraper)

    requests = "sellerguard_http_requests_total"
    assert value(found, requests, operation="registerSeller", status="201") == 1
    assert value(found, requests, operation="createSession", status="201") == 2
    assert value(found, requests, operation="createSession", status="401") == 6
    latency = "sellerguard_http_request_duration_seconds_count"
    assert value(found, latency, operation="createSession", status="401") == 6
    assert value(found, "sellerguard_sign_ins_total", outcome="succeeded") == 2
    assert value(found, "sellerguard_sign_ins_total", outcome="failed") == 5
    assert value(found, "sellerguard_sign_ins_total", outcome="refused_locked_out") == 1
    assert value(found, "sellerguard_lockouts_total", kind="address") == 1
    alerts = "sellerguard_alerts_raised_total"
    assert value(found, alerts, kind="login_locked", severity="warning") == 1
    assert value(found, alerts, kind="new_device_login", severity="warning") == 1


def test_a_scrape_shows_what_the_follower_has_still_to_do(
    client, services, scraper, clock
):
    register(client)
    login(client)

    behind = scrape(client, scraper)
    clock.advance(seconds=2)  # a checkpoint is signed at most once a second
    services.follower.run_once()
    clock.advance(seconds=7)
    caught_up = scrape(client, scraper)

    for model in ("alerts", "login_history", "audit_index", "tree"):
        assert value(behind, "sellerguard_follower_lag", read_model=model) >= 2
        assert value(caught_up, "sellerguard_follower_lag", read_model=model) == 0
    assert value(caught_up, "sellerguard_unsigned_positions") == 0
    assert value(behind, "sellerguard_unsigned_positions") >= 2
    assert value(caught_up, "sellerguard_checkpoint_age_seconds") == 7
    assert ("sellerguard_outbox_backlog", frozenset()) in caught_up


def test_rate_limited_requests_are_counted_as_throttles(client, services, scraper):
    statuses = [
        client.post(
            "/api/v1/recovery-requests",
            json={
                "username": "x",
                "contact_email": "x@example.com",
                "description": "d",
            },
        ).status_code
        for _ in range(30)
    ]
    refused = statuses.count(429)
    assert refused > 0

    found = scrape(client, scraper)

    assert value(found, "sellerguard_throttles_total", kind="rate_limit") == refused


def test_requests_no_route_matches_share_one_label(client, scraper):
    for n in range(3):
        assert client.get(f"/no/such/path/{n}").status_code == 404

    found = scrape(client, scraper)

    requests = "sellerguard_http_requests_total"
    assert value(found, requests, operation="unmatched", status="404") == 3
    assert not any("/no/such" in str(labels) for _, labels in found)


def test_metrics_need_a_key_with_the_metrics_scope(client, services):
    other = services.platform_people.create_service_key(
        "orders", ["blocklist:check"], OPERATOR
    )
    register(client)
    seller = {"Authorization": f"Bearer {_token(client)}"}

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer(other.value)).status_code == 403
    assert client.get("/metrics", headers=seller).status_code == 403


def _token(client) -> str:
    return str(login(client, password=PASSWORD).get_json()["token"])
