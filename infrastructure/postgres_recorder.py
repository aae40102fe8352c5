"""The ledger's PostgreSQL recorder: a commit whose outcome is unknown is read back.

When the connection is lost while a commit is on its way, the commit may or
may not have landed. The library retries the insert blindly, so a commit that
did land collides with itself and looks like a conflict (a new account
answered ``username_taken``). Here the outcome is settled by reading back:
are my records stored at their aggregate ids and versions, with my bytes (the
sealed state carries a random nonce, so equal bytes mean this very attempt)?
Only when they are not is the insert tried again; when the store cannot even
be asked, the caller hears :class:`CommitOutcomeUnknownError`, never a guess.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg.sql import SQL, Composed, Identifier
from psycopg_pool import PoolTimeout

T = TypeVar("T")

# How long a commit keeps trying after its connection broke, before it is
# answered as unavailable (the request's whole budget is a few seconds).
SETTLE_WITHIN = 2.0
RETRY_PAUSE = 0.05
# Reads are tried once more when a connection broke under them (not when no
# connection could be had: that already waited the pool's timeout).
READ_ATTEMPTS = 2

LOST = (OperationalError, InterfaceError)


class CommitOutcomeUnknownError(OperationalError):
    """The connection broke during a commit and the store could not be asked
    whether it landed: the caller must not guess (503, try again)."""


class SettlingApplicationRecorder(PostgresApplicationRecorder):
    """The library's application recorder, settling lost commits by reading back."""

    def __init__(
        self, datastore: PostgresDatastore, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self._select_stored = SQL(
            "SELECT originator_id, originator_version, state, notification_id "
            "FROM {schema}.{table} WHERE "
        ).format(
            schema=Identifier(self.datastore.schema),
            table=Identifier(self.events_table_name),
        )

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert in one transaction; after a lost connection, read back first."""
        insert = PostgresApplicationRecorder.insert_events.__wrapped__
        deadline = time.monotonic() + SETTLE_WITHIN
        broke = False
        while True:
            try:
                ids: Sequence[int] | None = insert(self, stored_events, **kwargs)
            except IntegrityError:
                # A conflict, unless an earlier attempt of this call, whose
                # connection broke, landed after all.
                landed = self._settle(stored_events) if broke else None
                if landed is None:
                    raise
                return landed
            except LOST as lost:
                if not broke and _waited_for_a_connection(lost):
                    raise  # nothing was sent: not saved, and known to be not
                broke = True
                landed = self._settle(stored_events, lost)
                if landed is not None:
                    return landed
                if time.monotonic() + RETRY_PAUSE >= deadline:
                    raise
                time.sleep(RETRY_PAUSE)
            else:
                return ids

    def _settle(
        self, stored_events: Sequence[StoredEvent], lost: Exception | None = None
    ) -> list[int] | None:
        """The positions of these very records, if they are stored; else None."""
        try:
            stored = self._stored_at(stored_events)
        except LOST as error:
            if lost is None:
                raise
            msg = "the commit's connection broke and the store could not be asked"
            raise CommitOutcomeUnknownError(msg) from error
        positions = []
        for event in stored_events:
            found = stored.get((str(event.originator_id), event.originator_version))
            if found is None or found[0] != bytes(event.state):
                return None
            positions.append(found[1])
        return positions

    def _stored_at(
        self, stored_events: Sequence[StoredEvent]
    ) -> dict[tuple[str, int], tuple[bytes, int]]:
        places = SQL(" OR ").join(
            SQL("(originator_id = %s AND originator_version = %s)")
            for _ in stored_events
        )
        params: list[Any] = []
        for event in stored_events:
            params += [event.originator_id, event.originator_version]
        statement: Composed = self._select_stored + places
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return {
                (str(row["originator_id"]), row["originator_version"]): (
                    bytes(row["state"]),
                    row["notification_id"],
                )
                for row in curs.fetchall()
            }

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        """The library's read, tried again only when its connection broke."""
        read = PostgresApplicationRecorder.select_events.__wrapped__
        return _read(lambda: read(self, *args, **kwargs))

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        """The library's read, tried again only when its connection broke."""
        read = PostgresApplicationRecorder.select_notifications.__wrapped__
        return _read(lambda: read(self, *args, **kwargs))

    def max_notification_id(self) -> int | None:
        """The library's read, tried again only when its connection broke."""
        read = PostgresApplicationRecorder.max_notification_id.__wrapped__
        found: int | None = _read(lambda: read(self))
        return found


class BoundedAggregateRecorder(PostgresAggregateRecorder):
    """The library's aggregate recorder (the snapshots), without its ten tries.

    A snapshot is taken after a commit has landed and only makes loading
    cheaper: one attempt to store it is enough (the ledger logs a failure).
    """

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One attempt."""
        insert = PostgresAggregateRecorder.insert_events.__wrapped__
        ids: Sequence[int] | None = insert(self, stored_events, **kwargs)
        return ids

    def select_events(self, *args: Any, **kwargs: Any) -> Sequence[StoredEvent]:
        """The library's read, tried again only when its connection broke."""
        read = PostgresAggregateRecorder.select_events.__wrapped__
        return _read(lambda: read(self, *args, **kwargs))


class LedgerPostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory with the recorders above."""

    aggregate_recorder_class = BoundedAggregateRecorder
    application_recorder_class = SettlingApplicationRecorder


def _read(call: Callable[[], T]) -> T:
    """Once more after a broken connection; never after waiting for one.

    The library tries ten times with pauses, which keeps a request waiting for
    many seconds on a dead database instead of answering 503 at once.
    """
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            return call()
        except LOST as error:
            if attempt == READ_ATTEMPTS or _waited_for_a_connection(error):
                raise
    raise AssertionError  # pragma: no cover - the loop returns or raises


def _waited_for_a_connection(error: Exception) -> bool:
    """The pool had no connection to give: the statement was never sent, and
    trying again (or reading back) would only wait as long once more."""
    return isinstance(error, PoolTimeout) or isinstance(error.__cause__, PoolTimeout)
