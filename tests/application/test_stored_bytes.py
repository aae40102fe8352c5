"""What someone holding only the database file or table could read."""

from __future__ import annotations

from pathlib import Path

import psycopg

from domain.actor import Actor, ActorKind
from infrastructure.settings import Settings
from interface.composition import Services
from tests.conftest import POSTGRES_URL

USERNAME = "Plaintext.Shop"
EMAIL = "findable.owner@example.com"
PASSWORD = "Corr3ct-Horse!Battery"


def raw_store_bytes(settings: Settings) -> bytes:
    if not settings.uses_postgres:
        files = sorted(Path(settings.data_dir).glob("sellerguard.sqlite*"))
        return b"".join(path.read_bytes() for path in files)
    schema = settings.database_url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            f'SELECT t::text FROM "{schema}".sellerguard_events AS t'
        ).fetchall()
    return "\n".join(row[0] for row in rows).encode()


def test_the_raw_store_holds_no_username_email_or_hash(
    services: Services, settings: Settings
):
    view = services.sellers.register(
        USERNAME, EMAIL, PASSWORD, None, Actor(ActorKind.ANONYMOUS, None, None, None)
    )
    password_hash = services.ledger.repository.get(view.id).password_hash
    services.close()  # flush SQLite's write-ahead log into the file

    raw = raw_store_bytes(settings)

    # The event is there (topics stay in clear, by design)...
    assert b"sellerguard:SellerAccount.Registered" in raw
    for secret in (
        USERNAME,
        USERNAME.lower(),
        EMAIL,
        "findable",
        PASSWORD,
        password_hash,
        "$argon2id$",
    ):
        assert secret.encode() not in raw, secret  # ...but none of this is
