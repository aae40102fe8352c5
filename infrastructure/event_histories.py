"""Several aggregates' stored events in one query (SQLite and PostgreSQL).

The library reads one aggregate per query; a list of cases would otherwise
cost a query per case. Works on the library's recorders (and subclasses of
them) through their datastore and table name; any other recorder is read
one aggregate at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

MAX_VERSION = (1 << 63) - 1  # the largest version either store can hold


class StoredHistories:
    """Reads the stored events of many aggregates with one SELECT."""

    def select(
        self,
        recorder: AggregateRecorder,
        originator_ids: Sequence[UUID],
        up_to_version: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Every stored event of those aggregates (up to that version, if
        given), each one's in version order."""
        if not originator_ids:
            return []
        last = MAX_VERSION if up_to_version is None else up_to_version
        if isinstance(recorder, SQLiteAggregateRecorder):
            return _from_sqlite(recorder, originator_ids, last)
        if isinstance(recorder, PostgresAggregateRecorder):
            return _from_postgres(recorder, originator_ids, last)
        return [e for i in originator_ids for e in recorder.select_events(i, lte=last)]


def _from_sqlite(
    recorder: SQLiteAggregateRecorder, originator_ids: Sequence[UUID], last: int
) -> list[StoredEvent]:
    marks = ",".join("?" * len(originator_ids))
    statement = (
        f"SELECT * FROM {recorder.events_table_name} "  # noqa: S608 (the library's name)
        f"WHERE originator_id IN ({marks}) AND originator_version <= ? "
        "ORDER BY originator_id, originator_version"
    )
    with recorder.datastore.transaction(commit=False) as c:
        c.execute(statement, [*(i.hex for i in originator_ids), last])
        return [
            StoredEvent(
                originator_id=recorder.convert_originator_id(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=row["state"],
            )
            for row in c.fetchall()
        ]


def _from_postgres(
    recorder: PostgresAggregateRecorder, originator_ids: Sequence[UUID], last: int
) -> list[StoredEvent]:
    statement = SQL(
        "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) "
        "AND originator_version <= %s ORDER BY originator_id, originator_version"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(statement, (list(originator_ids), last))
        return [
            StoredEvent(
                originator_id=row["originator_id"],
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=bytes(row["state"]),
            )
            for row in curs.fetchall()
        ]
