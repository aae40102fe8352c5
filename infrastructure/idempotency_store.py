"""Idempotency records in the read models' database (SQLite or PostgreSQL).

Nothing in a row names its caller or holds a response in clear: the row id is
an HMAC of (scope, key), the request's fingerprint an HMAC too (a body may
carry a password, which a plain hash would let an insider guess offline), and
the response (which may hold a TOTP secret or an upload token) is sealed with
the document cipher, bound to its row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from psycopg import sql

from application.idempotency import KeyRecord, StoredResponse
from infrastructure.database import Database
from infrastructure.document_vault import EnvelopeCipher
from infrastructure.settings import Settings
from infrastructure.sqlite_file import SQLiteFile
from infrastructure.view_store import PostgresViewStore

SQLITE_SCHEMA = """CREATE TABLE IF NOT EXISTS idempotency_keys (
    id TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    claimed_at INTEGER NOT NULL,
    response BLOB
)"""


def _micros(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000)


class ResponseSealer:
    """Keyed digests of ids and fingerprints, and sealed responses."""

    def __init__(self, digest_key: bytes, cipher: EnvelopeCipher) -> None:
        self._key = digest_key
        self._cipher = cipher

    def row_id(self, scope: str, key: str) -> str:
        """The row of a caller's key; the store never sees either in clear."""
        return self._digest(f"row\x1f{scope}\x1f{key}")

    def fingerprint(self, fingerprint: str) -> str:
        """A request's fingerprint as stored: keyed, so not guessable offline."""
        return self._digest(f"request\x1f{fingerprint}")

    def seal(self, row_id: str, response: StoredResponse) -> bytes:
        """The response encrypted and bound to its row."""
        document = {
            "status": response.status,
            "headers": [list(pair) for pair in response.headers],
            "body": base64.b64encode(response.body).decode("ascii"),
        }
        return self._cipher.seal(_place(row_id), json.dumps(document).encode())

    def open(self, row_id: str, blob: bytes) -> StoredResponse:
        """The response a row holds (raises when it was moved or changed)."""
        document: dict[str, Any] = json.loads(self._cipher.open(_place(row_id), blob))
        return StoredResponse(
            status=int(document["status"]),
            headers=tuple((str(n), str(v)) for n, v in document["headers"]),
            body=base64.b64decode(document["body"]),
        )

    def _digest(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


def _place(row_id: str) -> str:
    return f"idempotency\x1f{row_id}"


class SQLiteIdempotencyStore:
    """Records in the views' SQLite file, in a table of their own."""

    def __init__(self, path: Path, sealer: ResponseSealer) -> None:
        self.sealer = sealer
        # Not the views' REBUILDABLE pragmas: these rows cannot be rebuilt.
        self._file = SQLiteFile(path)
        with self._file.immediate() as c:
            c.execute(SQLITE_SCHEMA)

    def create_tables(self) -> None:
        """Nothing to do: the table is created when the file is opened."""

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        *,
        free_before: datetime,
        stale_before: datetime,
    ) -> KeyRecord | None:
        row_id = self.sealer.row_id(scope, key)
        mine = self.sealer.fingerprint(fingerprint)
        with self._file.immediate() as c:
            row = c.execute(
                "SELECT fingerprint, created_at, claimed_at, response "
                "FROM idempotency_keys WHERE id = ?",
                (row_id,),
            ).fetchone()
            if row is not None and not _free(
                row, mine, _micros(free_before), _micros(stale_before)
            ):
                return self._record(row_id, row[0] == mine, row[3])
            c.execute(
                "INSERT INTO idempotency_keys "
                "(id, fingerprint, created_at, claimed_at, response) "
                "VALUES (?, ?, ?, ?, NULL) ON CONFLICT (id) DO UPDATE SET "
                "fingerprint = excluded.fingerprint, "
                "created_at = excluded.created_at, "
                "claimed_at = excluded.claimed_at, response = NULL",
                (row_id, mine, _micros(now), _micros(now)),
            )
        return None

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        row_id = self.sealer.row_id(scope, key)
        with self._file.immediate() as c:
            c.execute(
                "UPDATE idempotency_keys SET response = ? "
                "WHERE id = ? AND response IS NULL",
                (self.sealer.seal(row_id, response), row_id),
            )

    def release(self, scope: str, key: str) -> None:
        with self._file.immediate() as c:
            c.execute(
                "DELETE FROM idempotency_keys WHERE id = ? AND response IS NULL",
                (self.sealer.row_id(scope, key),),
            )

    def purge(self, created_before: datetime) -> int:
        with self._file.immediate() as c:
            gone = c.execute(
                "DELETE FROM idempotency_keys WHERE created_at < ?",
                (_micros(created_before),),
            )
        return int(gone.rowcount)

    def close(self) -> None:
        """Close every thread's connection."""
        self._file.close()

    def _record(self, row_id: str, same: bool, blob: bytes | None) -> KeyRecord:
        response = None if blob is None else self.sealer.open(row_id, bytes(blob))
        return KeyRecord(same_request=same, response=response)


def _free(row: Any, mine: str, free_before: int, stale_before: int) -> bool:
    """Whether a found row may be taken: expired, or the same request's
    in-flight record left by a process that died."""
    fingerprint, created_at, claimed_at, response = row
    if created_at < free_before:
        return True
    return response is None and claimed_at < stale_before and fingerprint == mine


class PostgresIdempotencyStore:
    """Records in a table beside the views, over the views' connection pool."""

    def __init__(self, pool: Database, schema: str, sealer: ResponseSealer):
        self.pool = pool
        self.sealer = sealer
        names = {"keys": sql.Identifier(schema, "sellerguard_idempotency_keys")}
        self._sql = {name: sql.SQL(text).format(**names) for name, text in _PG.items()}

    def create_tables(self) -> None:
        """Create the table when missing (run by ``sellerguard init``)."""
        with self.pool.connection() as conn:
            conn.execute(self._sql["create"])

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        *,
        free_before: datetime,
        stale_before: datetime,
    ) -> KeyRecord | None:
        row_id = self.sealer.row_id(scope, key)
        mine = self.sealer.fingerprint(fingerprint)
        claim = {
            "id": row_id,
            "fingerprint": mine,
            "now": _micros(now),
            "free": _micros(free_before),
            "stale": _micros(stale_before),
        }
        # A record released between our insert and our read: claim again.
        for _ in range(3):
            with self.pool.connection() as conn:
                # The upsert waits for a competing insert of the same id to
                # commit, so of two concurrent claims exactly one wins.
                if conn.execute(self._sql["claim"], claim).fetchone() is not None:
                    return None
                row = conn.execute(self._sql["read"], (row_id,)).fetchone()
            if row is not None:
                return self._record(row_id, row[0] == mine, row[1])
        return KeyRecord(same_request=True, response=None)  # busy: retry later

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        row_id = self.sealer.row_id(scope, key)
        with self.pool.connection() as conn:
            conn.execute(
                self._sql["complete"], (self.sealer.seal(row_id, response), row_id)
            )

    def release(self, scope: str, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(self._sql["release"], (self.sealer.row_id(scope, key),))

    def purge(self, created_before: datetime) -> int:
        with self.pool.connection() as conn:
            gone = conn.execute(self._sql["purge"], (_micros(created_before),))
        return int(gone.rowcount)

    def close(self) -> None:
        """Nothing of its own: the pool is the view store's, closed with it."""

    def _record(self, row_id: str, same: bool, blob: bytes | None) -> KeyRecord:
        response = None if blob is None else self.sealer.open(row_id, bytes(blob))
        return KeyRecord(same_request=same, response=response)


_PG = {
    "create": """CREATE TABLE IF NOT EXISTS {keys} (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        claimed_at BIGINT NOT NULL,
        response BYTEA)""",
    "claim": "INSERT INTO {keys} AS k "
    "(id, fingerprint, created_at, claimed_at, response) "
    "VALUES (%(id)s, %(fingerprint)s, %(now)s, %(now)s, NULL) "
    "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "created_at = excluded.created_at, claimed_at = excluded.claimed_at, "
    "response = NULL "
    "WHERE k.created_at < %(free)s OR (k.response IS NULL "
    "AND k.claimed_at < %(stale)s AND k.fingerprint = excluded.fingerprint) "
    "RETURNING k.id",
    "read": "SELECT fingerprint, response FROM {keys} WHERE id = %s",
    "complete": "UPDATE {keys} SET response = %s WHERE id = %s AND response IS NULL",
    "release": "DELETE FROM {keys} WHERE id = %s AND response IS NULL",
    "purge": "DELETE FROM {keys} WHERE created_at < %s",
}


def open_idempotency_store(
    settings: Settings, views: object, digest_key: bytes
) -> SQLiteIdempotencyStore | PostgresIdempotencyStore:
    """The records beside the read models: the views' file, or their schema and
    connection pool (no connections of its own)."""
    sealer = ResponseSealer(
        digest_key, EnvelopeCipher.from_key_file(settings.document_key_file)
    )
    if isinstance(views, PostgresViewStore):
        return PostgresIdempotencyStore(views.pool, views.schema, sealer)
    return SQLiteIdempotencyStore(settings.data_dir / "views.sqlite", sealer)
