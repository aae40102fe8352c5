"""Fixtures of the console's browser tests: a served console, a browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.console_browser import ARTIFACTS, chromium
from tests.e2e_helpers import running_server, settings_env


@pytest.fixture
def server(settings) -> Iterator[tuple[str, dict[str, str]]]:
    """``sellerguard serve`` with the console's cookies allowed over plain
    HTTP on loopback: its base URL and environment."""
    env = settings_env(settings.data_dir, settings.database_url)
    env["SELLERGUARD_CONSOLE_INSECURE_COOKIES"] = "1"
    with running_server(env) as base:
        yield base, env


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium (skipped with the reason when absent, outside CI)."""
    from playwright.sync_api import sync_playwright

    executable = chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(executable),
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            launched.close()
