"""`sellerguard audit verify`, its witness file, and exports that carry their proofs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.e2e_helpers import SELLERGUARD, settings_env
from tests.integrity.raw_store import RawStore
from tests.integrity.test_tamper import record, sealed


def sellerguard(settings, *args, cwd=None):
    return subprocess.run(
        [str(SELLERGUARD), *args],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=180,
        cwd=cwd,
    )


@pytest.fixture
def positions(settings, services):
    """Sealed events, then every connection of this process closed."""
    try:
        positions = sealed(services, 1_200)
        record(services, 3)
    finally:
        services.close()
    return positions


def test_an_untouched_store_verifies_with_exit_status_0(settings, positions):
    result = sellerguard(settings, "audit", "verify")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("intact: 1200 events")
    assert "3 unsealed" in result.stdout


def test_a_tampered_store_exits_1_naming_the_first_failing_position(
    settings, positions
):
    raw = RawStore(settings)
    try:
        raw.flip_state_byte(positions[777])
    finally:
        raw.close()

    result = sellerguard(settings, "audit", "verify")

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"TAMPERED at position {positions[777]}: changed" in result.stdout


def test_a_witness_file_catches_the_tail_deleted_with_its_tree_and_checkpoints(
    settings, positions, tmp_path
):
    witness = tmp_path / "auditor" / "witness.note"
    witness.parent.mkdir()
    assert (
        sellerguard(settings, "audit", "verify", "--witness", str(witness)).returncode
        == 0
    )
    assert witness.read_text().splitlines()[1] == "1200"
    raw = RawStore(settings)
    try:
        raw.truncate_from(positions[1000])
    finally:
        raw.close()

    alone = sellerguard(settings, "audit", "verify")
    witnessed = sellerguard(settings, "audit", "verify", "--witness", str(witness))

    assert alone.returncode == 0  # the store alone cannot tell
    assert witnessed.returncode == 1
    assert (
        "truncated or rewritten since the witnessed checkpoint of size 1200"
        in witnessed.stdout
    )


def test_an_export_with_proofs_verifies_with_only_the_public_key(
    settings, positions, tmp_path
):
    export = tmp_path / "export.jsonl"
    pem = tmp_path / "public.pem"
    made = sellerguard(settings, "audit", "export", "--with-proofs", "-o", str(export))
    assert made.returncode == 0, made.stderr
    pem.write_text(_public_key_pem(settings))
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    shutil.copy(export, empty / "export.jsonl")
    shutil.copy(pem, empty / "public.pem")
    bare_env = {"PATH": "/usr/bin:/bin"}

    checked = subprocess.run(
        [
            str(SELLERGUARD),
            "audit",
            "verify-export",
            "export.jsonl",
            "--public-key",
            "public.pem",
        ],
        cwd=empty,
        env=bare_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "verified: 1200 events" in checked.stdout
    # Nothing else was needed, nor made.
    assert {p.name for p in empty.iterdir()} == {"export.jsonl", "public.pem"}
    lines = (empty / "export.jsonl").read_text().splitlines()
    event = json.loads(lines[5])
    event["version"] += 1
    lines[5] = json.dumps(event)
    (empty / "export.jsonl").write_text("\n".join(lines) + "\n")
    forged = subprocess.run(
        [
            str(SELLERGUARD),
            "audit",
            "verify-export",
            "export.jsonl",
            "--public-key",
            "public.pem",
        ],
        cwd=empty,
        env=bare_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert forged.returncode == 1
    assert "NOT VERIFIED" in forged.stdout


def _public_key_pem(settings) -> str:
    from infrastructure.integrity_signer import Ed25519Signer

    return Ed25519Signer(settings.signing_key_file).public_key_pem()
