"""The integrity chain's store beside the events, on SQLite or PostgreSQL.

Each store keeps the chain's links and signed checkpoints (idempotent
inserts: a position already stored is left alone, so processes extending the
chain at once agree) and reads the ledger's stored events as raw rows, the
fast path of verification. It implements the ``ChainStore`` and ``StoredLog``
ports of ``application.ports``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg import sql

from application.integrity_check import Checkpoint, Link, Row
from application.ledger import Ledger
from infrastructure.event_store import open_pool, postgres_conninfo
from infrastructure.settings import Settings
from infrastructure.sqlite_file import SQLiteFile

PG_EVENTS_TABLE = f"{Ledger.name}_events"  # the library's name for the ledger's table

SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS links (
        position INTEGER PRIMARY KEY,
        hash BLOB NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        position INTEGER PRIMARY KEY,
        hash BLOB NOT NULL,
        signed_at TEXT NOT NULL,
        signature BLOB NOT NULL,
        key_id TEXT NOT NULL
    )""",
)

SQLITE_ROWS = (
    "SELECT rowid, originator_id, originator_version, CAST(topic AS BLOB), state "
    "FROM stored_events WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
)
SQLITE_CHECKPOINT = (
    "SELECT position, hash, signed_at, signature, key_id FROM checkpoints"
)


class SQLiteChainStore:
    """Links and checkpoints in their own file (WAL); events read from the ledger's."""

    def __init__(self, path: Path, events_path: Path) -> None:
        self.path = path
        self._chain = SQLiteFile(path)
        self._events = SQLiteFile(events_path, wal=False)  # the ledger's own file
        connection = self._chain.connection()
        for statement in SQLITE_SCHEMA:
            connection.execute(statement)

    def create_tables(self) -> None:
        """Nothing to do: the file's tables are created when it is opened."""

    def last_link(self) -> Link | None:
        row = (
            self._chain.connection()
            .execute("SELECT position, hash FROM links ORDER BY position DESC LIMIT 1")
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def links(self, after: int, upto: int) -> Sequence[Link]:
        return (
            self._chain.connection()
            .execute(
                "SELECT position, hash FROM links "
                "WHERE position > ? AND position <= ? ORDER BY position",
                (after, upto),
            )
            .fetchall()
        )

    def add(self, links: Sequence[Link], checkpoints: Sequence[Checkpoint]) -> None:
        if not links and not checkpoints:
            return
        connection = self._chain.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT OR IGNORE INTO links (position, hash) VALUES (?, ?)", links
            )
            connection.executemany(
                "INSERT OR IGNORE INTO checkpoints "
                "(position, hash, signed_at, signature, key_id) VALUES (?, ?, ?, ?, ?)",
                [_sqlite_checkpoint_row(c) for c in checkpoints],
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def last_checkpoint(self) -> Checkpoint | None:
        row = (
            self._chain.connection()
            .execute(f"{SQLITE_CHECKPOINT} ORDER BY position DESC LIMIT 1")
            .fetchone()
        )
        return _checkpoint(row, datetime.fromisoformat(row[2])) if row else None

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        rows = (
            self._chain.connection()
            .execute(
                f"{SQLITE_CHECKPOINT} WHERE position > ? ORDER BY position LIMIT ?",
                (after, -1 if limit is None else limit),
            )
            .fetchall()
        )
        return [_checkpoint(row, datetime.fromisoformat(row[2])) for row in rows]

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        return (
            self._events.connection()
            .execute(SQLITE_ROWS, (after, upto, limit))
            .fetchall()
        )

    def close(self) -> None:
        """Close every thread's connections; the store cannot be used afterwards."""
        self._chain.close()
        self._events.close()


class PostgresChainStore:
    """Links and checkpoints in PostgreSQL tables in the event store's schema."""

    def __init__(self, conninfo: str, schema: str, *, timeout: float = 5.0) -> None:
        self.schema = schema
        names = {
            "links": sql.Identifier(schema, "sellerguard_integrity_links"),
            "checkpoints": sql.Identifier(schema, "sellerguard_integrity_checkpoints"),
            "events": sql.Identifier(schema, PG_EVENTS_TABLE),
        }
        self._sql = {name: sql.SQL(text).format(**names) for name, text in _PG.items()}
        self.pool = open_pool(conninfo, "sellerguard-integrity", timeout)

    def create_tables(self) -> None:
        """Create the tables when missing (run by ``sellerguard init``)."""
        with self.pool.connection() as conn:
            conn.execute(self._sql["create_links"])
            conn.execute(self._sql["create_checkpoints"])

    def last_link(self) -> Link | None:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["last_link"]).fetchone()
        return (row[0], row[1]) if row else None

    def links(self, after: int, upto: int) -> Sequence[Link]:
        with self.pool.connection() as conn:
            return conn.execute(self._sql["links"], (after, upto)).fetchall()

    def add(self, links: Sequence[Link], checkpoints: Sequence[Checkpoint]) -> None:
        if not links and not checkpoints:
            return
        with self.pool.connection() as conn, conn.cursor() as cur:
            if links:
                positions, hashes = zip(*links, strict=True)
                cur.execute(self._sql["add_links"], (list(positions), list(hashes)))
            if not checkpoints:
                return
            cur.executemany(
                self._sql["add_checkpoint"],
                [
                    (c.position, c.hash, c.signed_at, c.signature, c.key_id)
                    for c in checkpoints
                ],
            )

    def last_checkpoint(self) -> Checkpoint | None:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["last_checkpoint"]).fetchone()
        return _checkpoint(row, row[2]) if row else None

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["checkpoints"], (after, limit)).fetchall()
        return [_checkpoint(row, row[2]) for row in rows]

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        with self.pool.connection() as conn:
            return conn.execute(self._sql["rows"], (after, upto, limit)).fetchall()

    def close(self) -> None:
        """Close the connection pool."""
        self.pool.close()


_PG = {
    "create_links": """CREATE TABLE IF NOT EXISTS {links} (
        position BIGINT PRIMARY KEY,
        hash BYTEA NOT NULL)""",
    "create_checkpoints": """CREATE TABLE IF NOT EXISTS {checkpoints} (
        position BIGINT PRIMARY KEY,
        hash BYTEA NOT NULL,
        signed_at TIMESTAMPTZ NOT NULL,
        signature BYTEA NOT NULL,
        key_id TEXT NOT NULL)""",
    "last_link": "SELECT position, hash FROM {links} ORDER BY position DESC LIMIT 1",
    "links": "SELECT position, hash FROM {links} "
    "WHERE position > %s AND position <= %s ORDER BY position",
    "add_links": "INSERT INTO {links} (position, hash) "
    "SELECT * FROM unnest(%s::bigint[], %s::bytea[]) "
    "ON CONFLICT (position) DO NOTHING",
    "add_checkpoint": "INSERT INTO {checkpoints} "
    "(position, hash, signed_at, signature, key_id) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (position) DO NOTHING",
    "last_checkpoint": "SELECT position, hash, signed_at, signature, key_id "
    "FROM {checkpoints} ORDER BY position DESC LIMIT 1",
    "checkpoints": "SELECT position, hash, signed_at, signature, key_id "
    "FROM {checkpoints} WHERE position > %s ORDER BY position LIMIT %s",
    # Raw columns as the chain encodes them: the UUID's 16 bytes as hex, the
    # topic's UTF-8 bytes, the state as stored.
    "rows": "SELECT notification_id, encode(uuid_send(originator_id), 'hex'), "
    "originator_version, convert_to(topic, 'UTF8'), state FROM {events} "
    "WHERE notification_id > %s AND notification_id <= %s "
    "ORDER BY notification_id LIMIT %s",
}


def _checkpoint(row: tuple[Any, ...], signed_at: datetime) -> Checkpoint:
    position, hash_, _, signature, key_id = row
    return Checkpoint(
        position, bytes(hash_), signed_at.astimezone(UTC), bytes(signature), key_id
    )


def _sqlite_checkpoint_row(c: Checkpoint) -> tuple[int, bytes, str, bytes, str]:
    at = c.signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return (c.position, c.hash, at, c.signature, c.key_id)


def open_chain_store(settings: Settings) -> SQLiteChainStore | PostgresChainStore:
    """The chain store beside the configured event store."""
    if settings.database_url is None:
        return SQLiteChainStore(
            settings.data_dir / "integrity.sqlite", settings.sqlite_path
        )
    return PostgresChainStore(*postgres_conninfo(settings.database_url))
