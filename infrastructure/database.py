"""One PostgreSQL connection pool per process, shared by every store.

The event store (through the library's datastore), the read models, the
audit index, the Merkle tree, the document vault and the idempotency records
all borrow from this pool, so a process holds at most ``pool_size``
connections however many stores it has, and one idle connection when quiet.

Each connection is checked before it is handed out (a dead one, left by a
restarted server or a cut network, is discarded and replaced, never used),
and every wait is bounded: connecting (``connect_timeout``, TCP keepalives),
waiting for a free connection (``POOL_TIMEOUT``), statements and abandoned
transactions (``statement_timeout``, ``idle_in_transaction_session_timeout``).
A request on a dead database therefore fails within about two seconds, and
the interface answers it ``503 service_unavailable``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from time import monotonic
from typing import Any

import psycopg
from eventsourcing import persistence
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row, tuple_row
from psycopg_pool import ConnectionPool

from infrastructure.event_store import postgres_env
from infrastructure.postgres_recorder import LedgerPostgresFactory
from infrastructure.settings import Settings

logger = logging.getLogger(__name__)

# Seconds. libpq's connect_timeout cannot be below 2.
CONNECT_TIMEOUT = 2
POOL_TIMEOUT = 0.8  # waiting for a free connection (or for one to be made)
# A slot that cannot reconnect for this long is given up and made again on
# demand, so a server back from an outage is used within about a second
# (psycopg_pool's own backoff would wait up to minutes between attempts).
RECONNECT_TIMEOUT = 2.0
# Above min_size, the pool closes one connection unused for this long, every
# this long (psycopg_pool shrinks one at a time): a pool of 10 is back to 1
# within about 100 s of quiet.
MAX_IDLE = 10.0
MAX_LIFETIME = 30 * 60.0
MIN_SIZE = 1
# TCP keepalives: a peer that vanished without closing is noticed in ~10 s;
# data sent and not acknowledged for 3 s breaks the connection (Linux).
KEEPALIVES = {
    "tcp_user_timeout": 3000,
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 2,
}


def database_conninfo(
    url: str, statement_timeout: timedelta, application_name: str = "sellerguard"
) -> tuple[str, str]:
    """The pool's connection string (with its timeouts) and the schema."""
    env = postgres_env(url)
    millis = int(statement_timeout.total_seconds() * 1000)
    params: dict[str, Any] = {
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "dbname": env["POSTGRES_DBNAME"],
        "user": env["POSTGRES_USER"],
        "connect_timeout": CONNECT_TIMEOUT,
        "application_name": env.get("POSTGRES_APPLICATION_NAME") or application_name,
        "options": (
            f"-c statement_timeout={millis} "
            f"-c lock_timeout={millis} "
            f"-c idle_in_transaction_session_timeout={max(millis, 5000)}"
        ),
        **KEEPALIVES,
    }
    if env["POSTGRES_PASSWORD"]:
        params["password"] = env["POSTGRES_PASSWORD"]
    return make_conninfo(**params), env["POSTGRES_SCHEMA"] or "public"


def _restore(conn: psycopg.Connection[Any]) -> None:
    """Back to psycopg's defaults when returned (the library's checkouts change
    them): transactions, tuple rows."""
    conn.autocommit = False
    conn.row_factory = tuple_row


class Database:
    """The process's pool of PostgreSQL connections, for every store."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int,
        statement_timeout: timedelta,
        name: str = "sellerguard",
    ) -> None:
        self.conninfo, self.schema = database_conninfo(url, statement_timeout)
        self.max_size = max_size
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self.conninfo,
            min_size=MIN_SIZE,
            max_size=max_size,
            open=False,
            name=name,
            timeout=POOL_TIMEOUT,
            # Checked in ``connection()`` instead: psycopg_pool pauses a
            # second after each dead connection it finds, so a pool full of
            # connections cut during an outage would answer 503 for seconds
            # after the database is back.
            check=None,
            reset=_restore,
            max_idle=MAX_IDLE,
            max_lifetime=MAX_LIFETIME,
            reconnect_timeout=RECONNECT_TIMEOUT,
        )
        self.pool.open(wait=False)
        self._closed = False

    def wait(self, timeout: float = 5.0) -> None:
        """Wait until the pool has its first connection (start-up: fail early)."""
        self.pool.wait(timeout)

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        """A checked connection in a transaction (committed on success)."""
        conn = self._checked(POOL_TIMEOUT if timeout is None else timeout)
        try:
            with conn:  # commit, or roll back on an exception (not closed)
                yield conn
        finally:
            self.pool.putconn(conn)

    def ping(self, timeout: float) -> None:
        """Raise unless a connection can be had and answers within ``timeout``."""
        with self.connection(timeout) as conn:
            conn.execute("SELECT 1")

    def _checked(self, timeout: float) -> psycopg.Connection[Any]:
        """A connection that answered just now; dead ones are discarded (the
        pool replaces them) and the next one tried, without pausing."""
        deadline = monotonic() + timeout
        while True:
            conn = self.pool.getconn(max(deadline - monotonic(), 0.0))
            try:
                ConnectionPool.check_connection(conn)
            except psycopg.Error:
                logger.info("discarding a dead connection")
                self.pool.putconn(conn)  # closed: the pool makes a new one
                continue
            return conn

    def for_library(self) -> LibraryConnections:
        """This pool, as the eventsourcing datastore expects its own."""
        return LibraryConnections(self)

    def close(self) -> None:
        """Close every connection (once; later calls do nothing)."""
        if not self._closed:
            self._closed = True
            self.pool.close()

    def stats(self) -> dict[str, int]:
        """The pool's size and use (psycopg_pool's counters)."""
        return dict(self.pool.get_stats())


def open_database(settings: Settings, *, wait: float = 5.0) -> Database:
    """The pool for the configured PostgreSQL store; fails when it cannot
    connect within ``wait`` seconds (start-up, ``init``, commands)."""
    if settings.database_url is None:
        msg = "no PostgreSQL store is configured"
        raise ValueError(msg)
    database = Database(
        settings.database_url,
        max_size=settings.db_pool_size,
        statement_timeout=settings.db_statement_timeout,
    )
    try:
        database.wait(wait)
    except BaseException:
        database.close()
        raise
    return database


class LibraryConnections:
    """The shared pool under the eventsourcing datastore: the library wants
    autocommit connections with dict rows, and must not close the pool."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def open(self, wait: bool = False, timeout: float = 30.0) -> None:
        """Already open: the process's pool is opened by its owner."""

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[Any]:
        with self._database.connection(timeout) as conn:
            conn.autocommit = True
            conn.row_factory = dict_row
            yield conn

    def close(self, timeout: float = 5.0) -> None:
        """The pool belongs to its owner (``Database.close``)."""

    def __enter__(self) -> LibraryConnections:
        return self

    def __exit__(self, *args: object) -> None:
        """Nothing to close here."""


def ledger_infrastructure(
    database: Database,
) -> Callable[[Environment], InfrastructureFactory[Any]]:
    """The library's PostgreSQL factory for the ledger, on the shared pool."""

    def construct(env: Environment) -> InfrastructureFactory[Any]:
        factory = LedgerPostgresFactory(env)
        # The datastore made a pool of its own, never opened (no connection):
        # replaced by the process's pool before any recorder touches it.
        factory.datastore.pool = database.for_library()  # type: ignore[assignment]
        return factory

    return construct


# What a store raises when the database cannot be reached or gave up on a
# statement (connection refused or lost, pool timeout, server shutting down,
# statement or lock timeout, SQLite busy): the request may succeed later, so
# it is answered 503 with Retry-After, never 500.
UNAVAILABLE: tuple[type[Exception], ...] = (
    persistence.OperationalError,
    persistence.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)
