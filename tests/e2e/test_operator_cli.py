"""What operators do at the machine: staff accounts and service keys."""

from __future__ import annotations

import subprocess
import uuid

from domain.staff_account import StaffAccount
from tests.e2e_helpers import SELLERGUARD, settings_env

STAFF_PASSWORD = "Qu1et-Orchard!Signal"


def run(settings, *args, password=None):
    env = settings_env(settings.data_dir, settings.database_url)
    if password:
        env["SELLERGUARD_PASSWORD"] = password
    return subprocess.run(
        [SELLERGUARD, *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def test_staff_create_prints_the_id_of_an_account_that_signs_in(settings, services):
    result = run(
        settings,
        "staff",
        "create",
        "--username",
        "agent.ann",
        "--email",
        "ann@example.com",
        "--role",
        "support_agent",
        password=STAFF_PASSWORD,
    )

    assert result.returncode == 0, result.stderr
    account = services.ledger.load(uuid.UUID(result.stdout.strip()), StaffAccount)
    assert (account.username, account.role.value) == ("agent.ann", "support_agent")
    assert STAFF_PASSWORD not in result.stdout + result.stderr


def test_staff_create_refuses_a_weak_password_with_the_reasons(settings):
    result = run(
        settings,
        "staff",
        "create",
        "--username",
        "agent.bob",
        "--email",
        "bob@example.com",
        "--role",
        "auditor",
        password="abcd1234",
    )

    assert result.returncode == 1
    assert "password refused" in result.stderr
    assert "abcd1234" not in result.stderr


def test_service_keys_create_prints_a_working_key_once(settings, services):
    result = run(
        settings,
        "service-keys",
        "create",
        "--name",
        "orders",
        "--scope",
        "authz:check",
        "--scope",
        "blocklist:check",
    )

    key = result.stdout.strip()
    principal = services.sign_in.authenticate(key, None, None)
    assert principal.kind.value == "service"
    assert principal.permissions == {"authz:check", "blocklist:check"}
    assert key not in repr(list(services.ledger.events.get(principal.id)))


def test_an_unknown_scope_is_refused(settings):
    result = run(
        settings, "service-keys", "create", "--name", "x", "--scope", "everything"
    )

    assert result.returncode == 2
    assert "everything" in result.stderr
