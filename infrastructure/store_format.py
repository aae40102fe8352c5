"""Which record format a store holds, and the migration of an older store.

Stores written before records were sealed in place hold the library's AES
format (no associated data, no key id). ``sellerguard init`` re-seals every
event and snapshot in one transaction, then marks the store; the app refuses
an unmarked store that holds events, saying what to run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment
from psycopg import sql

from application.ledger import Ledger
from infrastructure.event_store import postgres_conninfo
from infrastructure.sealed_records import (
    EVENT,
    SNAPSHOT,
    SealingCipher,
    associated_data,
)
from infrastructure.settings import Settings

SEALED = "sealed-v1"
BATCH = 2_000
Progress = Callable[[int, int], None]


class StoreFormatError(RuntimeError):
    """The store was written by an earlier version and must be migrated first."""


def check(settings: Settings) -> None:
    """Refuse a store written in an older format; mark a new, empty one."""
    with _store(settings) as store:
        if store.marked():
            return
        if store.count() == 0:
            store.mark()
            return
    msg = (
        "this store was written by an earlier SellerGuard (records not sealed "
        "in place); run 'sellerguard init' to migrate it"
    )
    raise StoreFormatError(msg)


def migrate(settings: Settings, keys: list[str], progress: Progress) -> int:
    """Re-seal an older store's records in place, all or nothing; idempotent.

    Returns how many records were re-sealed (0 when already migrated).
    """
    with _store(settings) as store:
        if not store.exists() or store.marked():
            return 0
        old = AESCipher(Environment("old", {"CIPHER_KEY": keys[0]}))
        new = SealingCipher(Environment("new", {"CIPHER_KEY": ",".join(keys)}))
        total, done = store.count(), 0
        with store.transaction():
            for table, purpose in (("events", EVENT), ("snapshots", SNAPSHOT)):
                for rows in store.batches(table):
                    updates = [
                        (
                            new.seal(
                                old.decrypt(state),  # still compressed: kept so
                                associated_data(purpose, _uuid(o), v, t),
                            ),
                            o,
                            v,
                        )
                        for o, v, t, state in rows
                    ]
                    store.update(table, updates)
                    done += len(updates)
                    progress(done, total)
            store.mark()
        return done


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


@contextmanager
def _store(settings: Settings) -> Iterator[_SQLite | _Postgres]:
    store: _SQLite | _Postgres
    if settings.database_url is None:
        store = _SQLite(settings)
    else:
        store = _Postgres(settings.database_url)
    try:
        yield store
    finally:
        store.close()


class _SQLite:
    tables = {"events": "stored_events", "snapshots": "stored_snapshots"}

    def __init__(self, settings: Settings) -> None:
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS sellerguard_format (format TEXT NOT NULL)"
        )

    def exists(self) -> bool:
        return bool(
            self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'stored_events'"
            ).fetchone()
        )

    def marked(self) -> bool:
        row = self.conn.execute("SELECT format FROM sellerguard_format").fetchone()
        return bool(row) and row[0] == SEALED

    def mark(self) -> None:
        self.conn.execute("DELETE FROM sellerguard_format")
        self.conn.execute("INSERT INTO sellerguard_format VALUES (?)", (SEALED,))

    def count(self) -> int:
        total = 0
        for name in self.tables.values():
            exists = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = ?", (name,)
            ).fetchone()
            if exists:
                query = f"SELECT COUNT(*) FROM {name}"  # noqa: S608 (our fixed names)
                total += self.conn.execute(query).fetchone()[0]
        return int(total)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def batches(self, table: str) -> Iterator[list[tuple[Any, int, str, bytes]]]:
        if not self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (self.tables[table],)
        ).fetchone():
            return
        after: tuple[Any, int] = ("", -(2**63))
        query = (
            "SELECT originator_id, originator_version, topic, state "  # noqa: S608
            f"FROM {self.tables[table]} "
            "WHERE (originator_id, originator_version) > (?, ?) "
            "ORDER BY originator_id, originator_version LIMIT ?"
        )
        while rows := self.conn.execute(query, (*after, BATCH)).fetchall():
            after = (rows[-1][0], rows[-1][1])
            yield rows

    def update(self, table: str, updates: list[tuple[bytes, Any, int]]) -> None:
        query = (
            f"UPDATE {self.tables[table]} SET state = ? "  # noqa: S608 (fixed names)
            "WHERE originator_id = ? AND originator_version = ?"
        )
        self.conn.executemany(query, updates)

    def close(self) -> None:
        self.conn.close()


class _Postgres:
    def __init__(self, url: str) -> None:
        conninfo, schema = postgres_conninfo(url)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.schema = schema
        self.tables = {
            "events": sql.Identifier(schema, f"{Ledger.name}_events"),
            "snapshots": sql.Identifier(schema, f"{Ledger.name}_snapshots"),
        }
        self.format = sql.Identifier(schema, "sellerguard_format")
        self.conn.execute(
            sql.SQL("CREATE TABLE IF NOT EXISTS {} (format TEXT NOT NULL)").format(
                self.format
            )
        )

    def _exists(self, table: str) -> bool:
        row = self.conn.execute(
            "SELECT to_regclass(%s)", (f'"{self.schema}"."{Ledger.name}_{table}"',)
        ).fetchone()
        return bool(row and row[0])

    def exists(self) -> bool:
        return self._exists("events")

    def marked(self) -> bool:
        row = self.conn.execute(
            sql.SQL("SELECT format FROM {}").format(self.format)
        ).fetchone()
        return row is not None and row[0] == SEALED

    def mark(self) -> None:
        self.conn.execute(sql.SQL("DELETE FROM {}").format(self.format))
        self.conn.execute(
            sql.SQL("INSERT INTO {} VALUES (%s)").format(self.format), (SEALED,)
        )

    def count(self) -> int:
        total = 0
        for name, table in self.tables.items():
            if self._exists(name):
                row = self.conn.execute(
                    sql.SQL("SELECT COUNT(*) FROM {}").format(table)
                ).fetchone()
                total += row[0] if row else 0
        return total

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def batches(self, table: str) -> Iterator[list[tuple[Any, int, str, bytes]]]:
        if not self._exists(table):
            return
        with self.conn.cursor(name="sellerguard_migrate") as cursor:
            cursor.execute(
                sql.SQL(
                    "SELECT originator_id, originator_version, topic, state FROM {}"
                ).format(self.tables[table])
            )
            while rows := cursor.fetchmany(BATCH):
                yield [(o, v, t, bytes(s)) for o, v, t, s in rows]

    def update(self, table: str, updates: list[tuple[bytes, Any, int]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(
                sql.SQL(
                    "UPDATE {} SET state = %s "
                    "WHERE originator_id = %s AND originator_version = %s"
                ).format(self.tables[table]),
                updates,
            )

    def close(self) -> None:
        self.conn.close()
