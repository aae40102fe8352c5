"""Fixtures shared by every test: settings on a real store, a clock tests move."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from infrastructure.scratch_schema import scratch_schema, store_url
from infrastructure.settings import Settings
from interface.composition import Services, build_services, initialise
from tests.smtp_relay import SmtpRelay

POSTGRES_URL = os.environ.get(
    "SELLERGUARD_TEST_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"
)
# In CI the PostgreSQL tests must run: a missing server fails, never skips.
POSTGRES_REQUIRED = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@functools.cache
def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it can (probed once)."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return f"PostgreSQL at {POSTGRES_URL} unreachable: {error}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    problem = postgres_problem()
    if problem:
        terminalreporter.write_line(
            f"NOTE: PostgreSQL tests were skipped ({problem.splitlines()[0]}); "
            "set SELLERGUARD_TEST_POSTGRES_URL or run in CI to include them.",
            yellow=True,
        )


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self) -> None:
        self.current = datetime(2026, 3, 3, 14, 2, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def require_postgres() -> None:
    """Fail in CI, skip elsewhere, when PostgreSQL cannot be reached."""
    problem = postgres_problem()
    if problem and POSTGRES_REQUIRED:
        pytest.fail(f"PostgreSQL is required in CI: {problem}")
    if problem:
        pytest.skip(problem)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> str:
    """Each test that asks for a store runs once on SQLite and once on PostgreSQL."""
    if request.param == "postgres":
        require_postgres()
    return str(request.param)


@contextlib.contextmanager
def fresh_settings(store: str, tmp_path: Path) -> Iterator[Settings]:
    """Settings on a fresh store: a SQLite file, or a PostgreSQL schema of its own."""
    env = {
        "SELLERGUARD_DATA_DIR": str(tmp_path / "var"),
        "SELLERGUARD_ARGON2_PROFILE": "CHEAPEST",
    }
    with contextlib.ExitStack() as stack:
        if store == "postgres":
            schema = stack.enter_context(scratch_schema(POSTGRES_URL, "sg_test"))
            env["SELLERGUARD_DATABASE_URL"] = store_url(POSTGRES_URL, schema)
        settings = Settings.from_env(env)
        initialise(settings)
        yield settings


@pytest.fixture
def settings(store: str, tmp_path: Path) -> Iterator[Settings]:
    with fresh_settings(store, tmp_path) as settings:
        yield settings


@pytest.fixture
def postgres_settings(tmp_path: Path) -> Iterator[Settings]:
    """A fresh PostgreSQL store only: for what needs a shared server database."""
    require_postgres()
    with fresh_settings("postgres", tmp_path) as settings:
        yield settings


@pytest.fixture
def services(settings: Settings, clock: FakeClock) -> Iterator[Services]:
    services = build_services(settings, clock)
    yield services
    services.close()


@pytest.fixture
def smtp_relay() -> Iterator[SmtpRelay]:
    """A real SMTP server on loopback, collecting what it is sent."""
    relay = SmtpRelay().start()
    yield relay
    relay.stop()
