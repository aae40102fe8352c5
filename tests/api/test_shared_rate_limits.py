"""With Redis storage, the sign-in limit is shared by every worker and host."""

from __future__ import annotations

import dataclasses
import os
import secrets

import pytest
import redis

from interface.app import create_app
from tests.api.helpers import login, register

REDIS_URL = os.environ.get("SELLERGUARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_storage():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
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
    # An address of this run's own: counts are keyed by address, and another
    # run of the suite may share this Redis database at the same time.
    ip = (
        f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    )
    statuses = [
        login(client, ip=ip).status_code
        for client in (first, second, first, second, first)
    ]

    assert statuses == [201, 201, 201, 201, 429]
