"""The follower's leader lock: a file lock on SQLite, an advisory lock on PostgreSQL.

Either lock dies with the process (or connection) holding it, so another
process takes over at its next try.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from datetime import timedelta
from pathlib import Path

import psycopg

from infrastructure.database import database_conninfo
from infrastructure.settings import Settings


class FileLeaderLock:
    """``flock`` on a file in the data directory: one leader per machine and store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._mutex = threading.Lock()

    def try_acquire(self) -> bool:
        with self._mutex:
            if self._fd is not None:
                return True
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return False
            self._fd = fd
            return True

    def release(self) -> None:
        with self._mutex:
            if self._fd is not None:
                os.close(self._fd)  # closing drops the flock
                self._fd = None


class PostgresLeaderLock:
    """A session advisory lock keyed by the schema, on a connection of its own."""

    def __init__(self, url: str) -> None:
        # Bounded like the pool's: connecting, keepalives, statements.
        self.conninfo, schema = database_conninfo(url, timedelta(seconds=5))
        digest = hashlib.sha256(f"sellerguard/log-follower/{schema}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._mutex = threading.Lock()

    def try_acquire(self) -> bool:
        with self._mutex:
            if self._conn is not None:
                try:  # still ours while the session lives
                    self._conn.execute("SELECT 1")
                    return True
                except psycopg.Error:
                    self._drop()
            try:
                conn = psycopg.connect(self.conninfo, autocommit=True)
            except psycopg.Error:
                return False
            row = conn.execute(
                "SELECT pg_try_advisory_lock(%s)", (self.key,)
            ).fetchone()
            if not row or not row[0]:
                conn.close()
                return False
            self._conn = conn
            return True

    def release(self) -> None:
        with self._mutex:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # ending the session frees the lock
            self._conn = None


def open_leader_lock(settings: Settings) -> FileLeaderLock | PostgresLeaderLock:
    """The leader lock beside the configured store."""
    if settings.database_url is None:
        return FileLeaderLock(settings.data_dir / "log-follower.lock")
    return PostgresLeaderLock(settings.database_url)
