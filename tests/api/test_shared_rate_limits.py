"""With Redis storage, the sign-in limit is shared by every worker and host."""

from __future__ import annotations

import dataclasses
import os

import pytest
import redis

from interface.app import create_app
from tests.api.helpers import login, register

REDIS_URL = os.environ.get("SELLERGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_storage():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()  # database 15 is the tests' own
    except redis.ConnectionError as error:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Redis is required in CI: {error}")
        pytest.skip(f"Redis at {REDIS_URL} unreachable: {error}")
    finally:
        client.close()
    return REDIS_URL


def test_two_app_instances_share_one_limit_through_redis(services, redis_storage):
    settings = dataclasses.replace(
        services.settings,
        rate_limit_storage=redis_storage,
        login_rate_limit="4/minute",
    )
    first = create_app(settings, services).test_client()
    second = create_app(settings, services).test_client()
    register(first)
    statuses = [
        login(client).status_code for client in (first, second, first, second, first)
    ]

    assert statuses == [201, 201, 201, 201, 429]
