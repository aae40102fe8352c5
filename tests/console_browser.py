"""Driving the console in a real browser: Debian's Chromium via Playwright.

Shared by the console's browser tests (``tests/e2e/test_console*_browser.py``);
their fixtures (``server``, ``browser``) are in ``tests/e2e/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infrastructure.totp import Totp
from tests.e2e_helpers import SELLERGUARD, call

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts" / "console"
STAFF_PASSWORD = "Qu1et-Orchard!Signal"


def chromium() -> Path:
    """Debian's Chromium: required in CI, else the test says why it skips."""
    found = CHROMIUM if CHROMIUM.exists() else None
    if found is None and shutil.which("chromium"):
        found = Path(str(shutil.which("chromium")))
    if found is None:
        reason = "no Chromium (/usr/bin/chromium): `apt-get install -y chromium`"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"Chromium is required in CI: {reason}")
        pytest.skip(reason)
    return found


def staff_session(base: str, env: dict[str, str], username: str, role: str) -> str:
    """A staff member created at the command line (no second step yet), and
    a session token of theirs."""
    subprocess.run(
        [SELLERGUARD, "staff", "create", "--username", username,
         "--email", f"{username}@example.com", "--role", role],
        env={**env, "SELLERGUARD_PASSWORD": STAFF_PASSWORD},
        check=True,
        capture_output=True,
    )  # fmt: skip
    status, _, grant = call(
        "POST",
        f"{base}/api/v1/sessions",
        {"username": username, "password": STAFF_PASSWORD},
    )
    assert status == 201, grant
    return str(grant["token"])


class Staff:
    """A staff member created at the command line, with two-step turned on."""

    def __init__(self, base: str, env: dict[str, str], username: str, role: str):
        self.username = username
        bearer = {"Authorization": f"Bearer {staff_session(base, env, username, role)}"}
        _, _, started = call("POST", f"{base}/api/v1/me/two-step", {}, bearer)
        self.secret = started["secret"]
        status, _, _ = call(
            "POST",
            f"{base}/api/v1/me/two-step/confirm",
            {"code": Totp().code_at(self.secret, datetime.now(UTC))},
            bearer,
        )
        assert status == 200

    def next_code(self) -> str:
        """The code of the next time step (accepted with one step of drift),
        never the one used to turn two-step on."""
        return Totp().code_at(self.secret, datetime.now(UTC) + timedelta(seconds=30))


def shot(page: Any, name: str) -> None:
    """A screenshot of the whole page under ``tests/artifacts/console/``."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def signed_in(browser: Any, base: str, who: Staff) -> Any:
    """A browser of its own, signed in with password and code."""
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(f"{base}/console/")
    assert "/console/sign-in" in page.url
    page.fill("input[name=username]", who.username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    shot(page, f"sign-in-{who.username}")
    page.click("button[type=submit]")
    page.fill("input[name=code]", who.next_code())
    shot(page, f"second-step-{who.username}")
    page.click("button[type=submit]")
    assert "/console/sign-in" not in page.url, page.content()
    return page
