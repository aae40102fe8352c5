"""``/readyz`` as the load balancer sees it when the log follower stops."""

from __future__ import annotations

import dataclasses
import time

import pytest

from application.follower_watch import lag_check
from application.readiness import NotReadyError
from interface.app import create_app
from interface.composition import build_services
from tests.api.helpers import register, token_of


@pytest.fixture
def strict(settings, clock):
    """Services that call a follower 3 positions behind the log not ready."""
    services = build_services(dataclasses.replace(settings, ready_max_lag=3), clock)
    yield services
    services.close()


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.05)


def test_a_stopped_follower_turns_readyz_503_naming_the_lag(strict):
    client = create_app(services=strict).test_client()
    strict.follower.poll_interval = 0.05
    strict.follower.start()
    register(client)
    wait_until(lambda: client.get("/readyz").status_code == 200)

    strict.follower.stop()
    for shop in ("Shop.Two", "Shop.Three"):
        register(client, shop)
        token_of(client, username=shop)
    response = client.get("/readyz")

    assert response.status_code == 503
    problem = response.get_json()
    assert problem["code"] == "not_ready"
    head = strict.ledger.last_position()
    lag = head - strict.watch.positions()["alerts"]
    assert lag > 3
    assert f"alerts {lag}" in problem["detail"]
    assert "audit_index" in problem["detail"]
    assert "tree" in problem["detail"]
    assert "SELLERGUARD_READY_MAX_LAG=3" in problem["detail"]
    assert problem["failing"] == ["log_follower_lag"]


def test_readyz_is_ready_again_once_the_follower_catches_up(strict):
    client = create_app(services=strict).test_client()
    register(client)
    register(client, "Shop.Two")
    assert client.get("/readyz").status_code == 503

    strict.follower.run_once()

    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_a_lag_up_to_the_threshold_is_ready(strict):
    client = create_app(services=strict).test_client()
    register(client)
    strict.follower.run_once()
    token_of(client)  # a sign-in the follower has not seen yet
    lag = strict.ledger.last_position() - strict.watch.positions()["login_history"]
    assert lag > 0

    at_threshold = lag_check(strict.watch, lag)
    beyond = lag_check(strict.watch, lag - 1)

    at_threshold.probe(1.0)  # passes
    with pytest.raises(NotReadyError, match=f"login_history {lag}"):
        beyond.probe(1.0)
