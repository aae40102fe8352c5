"""What someone holding the database files, but no key, finds after a demo seed."""

from __future__ import annotations

import stat

import psycopg
import pytest
from psycopg import sql

from application.outbox import OUTBOX
from application.recovery_requests import ALL, REQUEST_QUEUE
from application.security_views import LOGINS
from infrastructure.event_store import postgres_conninfo
from interface.composition import build_services
from tests.e2e.test_demo_seed import SELLERS, run_seed


@pytest.fixture
def seeded(settings):
    result = run_seed(settings)
    assert result.returncode == 0, result.stderr
    services = build_services(settings)
    services.read_models.catch_up()
    yield services
    services.close()


def personal_data(services) -> set[str]:
    """What the views show (decrypted): contact addresses, descriptions,
    mail bodies, sign-in addresses and user agents."""
    views = services.views
    found: set[str] = set()
    for item in views.items(REQUEST_QUEUE, ALL, limit=500):
        found |= {item.data["contact_email"], item.data["description"]}
    for item in views.items(OUTBOX, ALL, limit=500):
        found.add(item.data["body"])  # the outbox holds no address at all
    for name in SELLERS:
        account = services.sign_in.names.account_named(name)
        for item in views.items(LOGINS, str(account.id), limit=500):
            found |= {item.data["ip"], item.data["user_agent"]}
    return {text for text in found if text and len(text) >= 8}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_data_files_hold_no_personal_data_in_clear(settings, seeded):
    secrets = personal_data(seeded)
    files = [p for p in settings.data_dir.rglob("*") if p.is_file()]
    raw = b"".join(path.read_bytes() for path in files)

    assert any("@" in s for s in secrets)  # contact addresses were there to find
    assert any(s.count(".") == 3 for s in secrets)  # and sign-in addresses
    assert [s for s in secrets if s.encode() in raw] == []


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_the_data_directory_and_every_file_in_it_are_the_owners_alone(settings, seeded):
    paths = [settings.data_dir, *settings.data_dir.rglob("*")]

    modes = {
        str(p.relative_to(settings.data_dir)): stat.S_IMODE(p.stat().st_mode)
        for p in paths
    }

    assert {p: m for p, m in modes.items() if m & 0o077} == {}
    assert any(name.endswith("-wal") for name in modes)  # WAL files included


@pytest.mark.postgres
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_the_view_tables_hold_no_personal_data_in_clear(settings, seeded):
    secrets = personal_data(seeded)
    conninfo, schema = postgres_conninfo(settings.database_url)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            sql.SQL("SELECT data::text FROM {}").format(
                sql.Identifier(schema, "sellerguard_view_items")
            )
        ).fetchall()
    stored = "\n".join(row[0] for row in rows)

    assert [s for s in secrets if s in stored] == []
