"""Idempotency records in the read models' database (SQLite or PostgreSQL).

Nothing in a row names its caller or holds a response in clear: the row id is
an HMAC of (scope, key), the request's fingerprint an HMAC too (a body may
carry a password, which a plain hash would let an insider guess offline), and
the response (which may hold a TOTP secret or an upload token) is sealed with
the document cipher, bound to its row.

The store decides nothing: when a record may be taken over is the
application's rule (``application/idempotency.py``); here a record is only
inserted when absent, read, and replaced when still as it was read. A
``claimed_at`` of 0 means that no attempt is running (the last one ended
with its outcome unknown).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NO_ATTEMPT = 0  # claimed_at when no attempt runs
# Seconds a failed request waits for a connection to mark its key paused.
SUSPEND_WAIT = 0.25


def _micros(at: datetime) -> int:
    """Exact (no float): a claim's moment read back gives the same number,
    so the ids derived from it stay the same."""
    return (at - EPOCH) // MICROSECOND


def _moment(micros: int) -> datetime:
    return EPOCH + micros * MICROSECOND


def _began(claimed_at: int) -> datetime | None:
    return None if claimed_at == NO_ATTEMPT else _moment(claimed_at)


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

    def resource_id(self, scope: str, key: str, created_at: datetime) -> uuid.UUID:
        """A claim's resource id: keyed (nobody can aim at another's), and
        random-looking like any other id (version 4)."""
        digest = self._digest(f"resource\x1f{scope}\x1f{key}\x1f{_micros(created_at)}")
        return uuid.UUID(bytes=bytes.fromhex(digest)[:16], version=4)

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
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> KeyRecord | None:
        row_id = self.sealer.row_id(scope, key)
        mine = self.sealer.fingerprint(fingerprint)
        with self._file.immediate() as c:
            row = c.execute(
                "SELECT fingerprint, created_at, claimed_at, response "
                "FROM idempotency_keys WHERE id = ?",
                (row_id,),
            ).fetchone()
            if row is not None:
                return self._record(row_id, mine, row)
            c.execute(
                "INSERT INTO idempotency_keys "
                "(id, fingerprint, created_at, claimed_at, response) "
                "VALUES (?, ?, ?, ?, NULL)",
                (row_id, mine, _micros(now), _micros(now)),
            )
        return None

    def take(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        found: KeyRecord,
        *,
        renew: bool,
    ) -> bool:
        with self._file.immediate() as c:
            taken = c.execute(
                "UPDATE idempotency_keys SET fingerprint = ?, created_at = ?, "
                "claimed_at = ?, response = NULL WHERE id = ? AND created_at = ? "
                "AND claimed_at = ? AND (response IS NULL) = ?",
                _taking(self.sealer, scope, key, fingerprint, now, found, renew),
            )
        return bool(taken.rowcount == 1)

    def resource_id(self, scope: str, key: str, created_at: datetime) -> uuid.UUID:
        return self.sealer.resource_id(scope, key, created_at)

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        row_id = self.sealer.row_id(scope, key)
        with self._file.immediate() as c:
            c.execute(
                "UPDATE idempotency_keys SET response = ? "
                "WHERE id = ? AND response IS NULL",
                (self.sealer.seal(row_id, response), row_id),
            )

    def suspend(self, scope: str, key: str) -> None:
        with self._file.immediate() as c:
            c.execute(
                "UPDATE idempotency_keys SET claimed_at = ? "
                "WHERE id = ? AND response IS NULL",
                (NO_ATTEMPT, self.sealer.row_id(scope, key)),
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

    def _record(self, row_id: str, mine: str, row: Any) -> KeyRecord:
        return _record(self.sealer, row_id, mine, row)


def _record(sealer: ResponseSealer, row_id: str, mine: str, row: Any) -> KeyRecord:
    """A row (fingerprint, created_at, claimed_at, response) as the
    application sees it."""
    fingerprint, created_at, claimed_at, blob = row
    return KeyRecord(
        same_request=fingerprint == mine,
        created_at=_moment(created_at),
        attempt_began=_began(claimed_at),
        response=None if blob is None else sealer.open(row_id, bytes(blob)),
    )


def _taking(
    sealer: ResponseSealer,
    scope: str,
    key: str,
    fingerprint: str,
    now: datetime,
    found: KeyRecord,
    renew: bool,
) -> tuple[Any, ...]:
    """The parameters of a take: the new record, then the record as found."""
    began = found.attempt_began
    return (
        sealer.fingerprint(fingerprint),
        _micros(now if renew else found.created_at),
        _micros(now),
        sealer.row_id(scope, key),
        _micros(found.created_at),
        NO_ATTEMPT if began is None else _micros(began),
        found.response is None,
    )


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
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> KeyRecord | None:
        row_id = self.sealer.row_id(scope, key)
        mine = self.sealer.fingerprint(fingerprint)
        claim = (row_id, mine, _micros(now), _micros(now))
        # A record released between our insert and our read: claim again.
        for _ in range(3):
            with self.pool.connection() as conn:
                # The insert waits for a competing insert of the same id to
                # commit, so of two concurrent claims exactly one wins.
                if conn.execute(self._sql["claim"], claim).fetchone() is not None:
                    return None
                row = conn.execute(self._sql["read"], (row_id,)).fetchone()
            if row is not None:
                return _record(self.sealer, row_id, mine, row)
        # Busy: a record that keeps coming and going is in use.
        return KeyRecord(True, now, now, None)

    def take(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        found: KeyRecord,
        *,
        renew: bool,
    ) -> bool:
        params = _taking(self.sealer, scope, key, fingerprint, now, found, renew)
        with self.pool.connection() as conn:
            taken = conn.execute(self._sql["take"], params)
        return bool(taken.rowcount == 1)

    def resource_id(self, scope: str, key: str, created_at: datetime) -> uuid.UUID:
        return self.sealer.resource_id(scope, key, created_at)

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        row_id = self.sealer.row_id(scope, key)
        with self.pool.connection() as conn:
            conn.execute(
                self._sql["complete"], (self.sealer.seal(row_id, response), row_id)
            )

    def suspend(self, scope: str, key: str) -> None:
        # Called on the way to answering a failure: a database that cannot
        # give a connection at once will not give one to wait for either (the
        # record then waits out its attempt's limit), and the answer must not.
        with self.pool.connection(timeout=SUSPEND_WAIT) as conn:
            conn.execute(
                self._sql["suspend"], (NO_ATTEMPT, self.sealer.row_id(scope, key))
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


_PG = {
    "create": """CREATE TABLE IF NOT EXISTS {keys} (
        id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        claimed_at BIGINT NOT NULL,
        response BYTEA)""",
    "claim": "INSERT INTO {keys} (id, fingerprint, created_at, claimed_at, response) "
    "VALUES (%s, %s, %s, %s, NULL) ON CONFLICT (id) DO NOTHING RETURNING id",
    "read": "SELECT fingerprint, created_at, claimed_at, response FROM {keys} "
    "WHERE id = %s",
    "take": "UPDATE {keys} SET fingerprint = %s, created_at = %s, claimed_at = %s, "
    "response = NULL WHERE id = %s AND created_at = %s AND claimed_at = %s "
    "AND (response IS NULL) = %s",
    "complete": "UPDATE {keys} SET response = %s WHERE id = %s AND response IS NULL",
    "suspend": "UPDATE {keys} SET claimed_at = %s WHERE id = %s AND response IS NULL",
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
