"""Fixtures: PostgreSQL reached through a TCP proxy the test can break.

Import them into a test module (``from tests.proxied_store import proxy,
proxied_services``) to get services whose every connection goes through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from infrastructure.settings import Settings
from interface.composition import Services, build_services
from scripts.tcp_proxy import TcpProxy


@pytest.fixture
def proxy(postgres_settings: Settings) -> Iterator[TcpProxy]:
    url = urlsplit(postgres_settings.database_url)
    proxy = TcpProxy((url.hostname or "127.0.0.1", url.port or 5432)).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied_services(
    postgres_settings: Settings, proxy: TcpProxy, clock
) -> Iterator[Services]:
    url = urlsplit(postgres_settings.database_url)
    through_proxy = url._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
    settings = dataclasses.replace(postgres_settings, database_url=through_proxy)
    services = build_services(settings, clock)
    yield services
    if proxy.refusing:
        proxy.start()  # let the services close their connections cleanly
    services.close()
