"""A store the previous version wrote: refused until `sellerguard init` migrates it."""

from __future__ import annotations

import subprocess
from uuid import UUID

import pytest
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from infrastructure.keys import cipher_keys
from infrastructure.sealed_records import (
    EVENT,
    SNAPSHOT,
    SealingCipher,
    associated_data,
)
from infrastructure.store_format import StoreFormatError
from interface.app import create_app
from interface.composition import build_services
from tests.api.helpers import login, register
from tests.e2e_helpers import SELLERGUARD, settings_env
from tests.integrity.raw_store import RawStore


def as_previous_version_wrote_it(settings) -> None:
    """Every record in the library's own AES format (no place bound), no marker."""
    keys = cipher_keys(settings)
    sealed = SealingCipher(Environment("t", {"CIPHER_KEY": ",".join(keys)}))
    old = AESCipher(Environment("t", {"CIPHER_KEY": keys[0]}))
    raw = RawStore(settings)
    try:
        for table, purpose in (("events", EVENT), ("snapshots", SNAPSHOT)):
            rows = raw.run(
                "SELECT originator_id, originator_version, topic, state "
                f"FROM {{{table}}}"
            )
            for originator, version, topic, state in rows:
                place = associated_data(purpose, UUID(str(originator)), version, topic)
                plain = sealed.open(bytes(state), place)
                raw.overwrite(table, originator, version, topic, old.encrypt(plain))
        raw.run("DROP TABLE {format}".replace("{format}", _format_table(settings)))
    finally:
        raw.close()


def _format_table(settings) -> str:
    if settings.uses_postgres:
        schema = settings.database_url.rsplit("schema=", 1)[1]
        return f'"{schema}".sellerguard_format'
    return "sellerguard_format"


def init(settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SELLERGUARD, "init"],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_an_older_store_is_refused_with_what_to_run_then_migrated_by_init(
    settings, clock
):
    services = build_services(settings, clock)
    client = create_app(services=services).test_client()
    seller = register(client, "Old.Shop")["id"]
    services.ledger.take_snapshot(UUID(seller))
    services.close()
    as_previous_version_wrote_it(settings)

    with pytest.raises(StoreFormatError, match="run 'sellerguard init'"):
        build_services(settings, clock)
    first, again = init(settings), init(settings)

    assert first.returncode == 0, first.stderr
    assert "re-sealed" in first.stderr
    assert again.returncode == 0, again.stderr
    assert "re-sealed" not in again.stderr  # nothing left to do
    services = build_services(settings, clock)
    try:
        client = create_app(services=services).test_client()
        assert login(client, username="Old.Shop").status_code == 201
    finally:
        services.close()
