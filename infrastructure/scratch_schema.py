"""A PostgreSQL schema of one's own: made fresh, dropped afterwards.

The tests, the benchmarks and the fault and load scripts each run on a store
nobody else writes to. On PostgreSQL that is a schema of its own on the
shared server (``?schema=`` in ``SELLERGUARD_DATABASE_URL``), dropped with
everything in it when the run ends, however it ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

CONNECT_TIMEOUT = 5  # seconds


@contextmanager
def scratch_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A new schema named ``{prefix}_<random>`` on the server; yields its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _execute(server_url, sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        _execute(
            server_url,
            sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)),
        )


def store_url(server_url: str, schema: str) -> str:
    """``SELLERGUARD_DATABASE_URL`` for a store in that schema."""
    return f"{server_url}?schema={schema}"


def _execute(server_url: str, statement: sql.Composed) -> None:
    with psycopg.connect(
        server_url, autocommit=True, connect_timeout=CONNECT_TIMEOUT
    ) as conn:
        conn.execute(statement)
