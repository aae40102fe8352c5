"""Our own SQLite files (read models, audit index, integrity chain): one
connection per thread, write transactions that take the lock at once."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

BUSY_TIMEOUT_SECONDS = 10.0
CACHE_KIB = 32 * 1024
CHECKPOINT_PAGES = 10_000

# For files rebuilt from the log (views, the audit index): a power cut may
# cost the last commits, a crashed process nothing; a larger page cache and
# fewer, larger checkpoints (each one fsyncs) make rebuilds about twice as fast.
REBUILDABLE = (
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA cache_size=-{CACHE_KIB}",
    f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}",
)


def private_file(path: Path) -> None:
    """Make the database file (and its -wal and -shm) readable by the owner only.

    SQLite creates -wal and -shm with the mode of the database file, so a
    file made 0600 before SQLite opens it keeps all three private.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # Never open and close a file SQLite may already have open in this
        # process: closing any descriptor of it drops every POSIX lock the
        # process holds on it, and another process closing last would then
        # delete the -wal and -shm under SQLite's feet ("disk I/O error").
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for sibling in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if sibling.exists():
            sibling.chmod(0o600)


class SQLiteFile:
    """One SQLite file, a connection per thread, all closed by :meth:`close`."""

    def __init__(
        self, path: Path, pragmas: Sequence[str] = (), *, wal: bool = True
    ) -> None:
        self.path = path
        private_file(path)
        self._pragmas = tuple(pragmas)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._closed = False
        if wal:
            self.connection().execute("PRAGMA journal_mode=WAL")

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._guard:
            if self._closed:
                msg = f"{self.path} is closed"
                raise sqlite3.ProgrammingError(msg)
            # check_same_thread is off only so that close() can close them all.
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_SECONDS,
                isolation_level=None,
                check_same_thread=False,
            )
            for pragma in self._pragmas:
                connection.execute(pragma)
            self._all.append(connection)
        self._local.connection = connection
        return connection

    @contextmanager
    def immediate(self) -> Iterator[sqlite3.Connection]:
        """A write transaction holding the write lock from its start (no upgrade)."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        if connection.in_transaction:
            connection.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; the file cannot be used afterwards."""
        with self._guard:
            self._closed = True
            connections, self._all = self._all, []
        for connection in connections:
            connection.close()
