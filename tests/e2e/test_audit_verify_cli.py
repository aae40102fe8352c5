"""`sellerguard audit verify` on a real SQLite file, untouched and tampered with."""

from __future__ import annotations

import subprocess
import sys

import pytest

from interface.cli import cli
from tests.application.test_integrity import Tables, open_chain, record
from tests.e2e_helpers import SELLERGUARD, settings_env

# Until `verify` is wired into the `audit` group and `Services` builds the
# chain, run the command itself with the chain attached the way the
# composition root will attach it.
STANDALONE = """
from application.integrity import IntegrityChain
from infrastructure.chain_store import open_chain_store
from infrastructure.integrity_signer import Ed25519Signer
from interface import cli_integrity, composition


def build_services(settings):
    services = composition.build_services(settings)
    if not hasattr(services, "integrity"):
        store = open_chain_store(settings)
        signer = Ed25519Signer(settings.signing_key_file)
        services.integrity = IntegrityChain(
            services.ledger, store, signer, services.clock, log=store
        )
    return services


cli_integrity.build_services = build_services
cli_integrity.verify(prog_name="sellerguard audit verify")
"""


def verify_command() -> list[str]:
    audit = cli.commands.get("audit")
    if audit is not None and "verify" in getattr(audit, "commands", {}):
        return [str(SELLERGUARD), "audit", "verify"]
    return [sys.executable, "-c", STANDALONE]


def run_verify(settings):
    return subprocess.run(
        verify_command(),
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


@pytest.fixture
def positions(settings, services):
    """Events linked by a chain in this process, then every connection closed."""
    chain = open_chain(services, settings)
    try:
        positions = record(services, 1_200)
        chain.extend()
    finally:
        chain.close()
        services.close()
    return positions


@pytest.mark.parametrize("store", ["sqlite"])
def test_an_untouched_store_verifies_with_exit_status_0(settings, positions):
    result = run_verify(settings)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("intact: 1200 events")


@pytest.mark.parametrize("store", ["sqlite"])
def test_a_tampered_file_exits_1_naming_the_first_failing_position(settings, positions):
    tables = Tables(settings)
    try:
        tables.flip_state_byte(positions[777])
    finally:
        tables.close()

    result = run_verify(settings)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"TAMPERED at position {positions[777]}: changed" in result.stdout
