"""The audit index's stores: its own SQLite file, or PostgreSQL tables.

One row per event, an index for each filter auditors use and one on
``(aggregate_id, occurred_at, version)`` for "as it stood at that moment";
the aggregates' types; time marks, where a filter by time starts reading;
and the tracking position, moved in the same transaction as the rows it
covers (compare-and-set), so each event is indexed exactly once even when
several processes follow the log.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from psycopg import sql

from application.audit_index import AuditFilters, IndexRow
from infrastructure.database import Database, open_database
from infrastructure.settings import Settings
from infrastructure.sqlite_file import REBUILDABLE, SQLiteFile

TRACKING_NAME = "audit_index"
IDS_PER_QUERY = 500
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)

# The filters, as (column, operator); ``since`` and ``until`` bound the time.
FILTERS = {
    "aggregate_id": ("aggregate_id", "="),
    "aggregate_type": ("aggregate_type", "="),
    "event_type": ("event_type", "="),
    "actor_id": ("actor_id", "="),
    "since": ("occurred_at", ">="),
    "until": ("occurred_at", "<"),
}
TYPES_OF = (
    "SELECT aggregate_id, aggregate_type FROM audit_aggregates "
    "WHERE aggregate_id IN ({marks})"
)
PLACES = ", ".join("?" * 8)
COLUMNS = (
    "position, aggregate_id, aggregate_type, version, event_type, occurred_at, "
    "actor_kind, actor_id"
)
# (name, columns): one index per filter, each ending in the log order the
# reads are sorted by, and one for replaying an aggregate as of a moment.
INDEXES = (
    ("by_aggregate", "aggregate_id, position"),
    ("by_aggregate_time", "aggregate_id, occurred_at, version"),
    ("by_aggregate_type", "aggregate_type, position"),
    ("by_event_type", "event_type, position"),
    ("by_actor", "actor_id, position"),
    ("by_time", "occurred_at, position"),
)

# Time marks: the latest time recorded at or before a position (the log's
# high water), kept at most one per MARK_SPACING positions. Every event at or
# before a mark happened no later than its high water, so a read of the
# events since a moment starts after the last mark whose high water is
# earlier: a window late in a large log costs what one early in it does,
# instead of a read of every event before it. The high water only rises, so
# an event recorded after others with an earlier time (a slow process, a
# clock behind) is never skipped; a clock far behind only makes the read
# start earlier.
MARK_SPACING = 1000
# The high water after a page: the last mark's, else (the first page, or an
# index made before marks were kept) the latest time in the index.
HIGH_WATER = (
    "SELECT {greatest}({mark}, COALESCE("
    "(SELECT high_water FROM {marks} ORDER BY position DESC LIMIT 1), "
    "(SELECT max(occurred_at) FROM {index})))"
)
# The last mark before a moment: an index seek (the high water only rises).
FLOOR = (
    "SELECT position FROM {marks} WHERE high_water < {mark} "
    "ORDER BY high_water DESC, position DESC LIMIT 1"
)

SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS audit_index (
        position INTEGER PRIMARY KEY,
        aggregate_id BLOB NOT NULL,
        aggregate_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        occurred_at INTEGER NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT
    )""",
    *(
        f"CREATE INDEX IF NOT EXISTS audit_index_{name} ON audit_index ({columns})"
        for name, columns in INDEXES
    ),
    """CREATE TABLE IF NOT EXISTS audit_aggregates (
        aggregate_id BLOB PRIMARY KEY,
        aggregate_type TEXT NOT NULL
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS audit_tracking (
        projection TEXT PRIMARY KEY,
        position INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS audit_time_marks (
        position INTEGER PRIMARY KEY,
        high_water INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS audit_time_marks_by_high_water "
    "ON audit_time_marks (high_water, position)",
)


def _micros(moment: datetime) -> int:
    """SQLite keeps moments as whole microseconds since 1970 (UTC): exact, ordered."""
    since = moment - EPOCH
    return (since.days * 86_400 + since.seconds) * 1_000_000 + since.microseconds


# A filter by time alone, over a window of fewer events than this, is read
# through the time index (the window's positions sorted, then the rows);
# otherwise in log order. In log order, a narrow window late in a large log
# was a scan of every event before it (7.29x at 1,000,000 events).
SMALL_WINDOW = 20_000
# The events in the window, counted up to SMALL_WINDOW only (index-only).
WINDOW_COUNT = (
    "SELECT count(*) FROM (SELECT 1 FROM {index} "
    "WHERE occurred_at >= {mark} AND occurred_at < {mark} LIMIT {mark}) AS w"
)


def _bucket_start(position: int) -> int:
    """The position before the first of the mark spacing's bucket it falls in."""
    return (position - 1) // MARK_SPACING * MARK_SPACING


def _time_only(filters: AuditFilters) -> bool:
    """Whether the filters bound the time and nothing else."""
    given = {name for name in FILTERS if getattr(filters, name) is not None}
    return bool(given) and given <= {"since", "until"}


def _window(filters: AuditFilters) -> tuple[datetime, datetime]:
    far = timedelta(days=365 * 1000)
    return (filters.since or EPOCH, filters.until or datetime.now(UTC) + far)


def _where(
    filters: AuditFilters,
    after: int,
    stop: int | None,
    mark: str,
    *,
    by_time: bool = False,
) -> tuple[list[str], list[Any]]:
    """The conditions (fixed column names, ``mark`` placeholders) and parameters.

    ``by_time`` keeps the position out of the index choice (``position + 0``)
    so that the database reads the window through the time index.
    """
    at = "position + 0" if by_time else "position"
    conditions, params = [f"{at} > {mark}"], [after]
    if stop is not None:
        conditions.append(f"{at} <= {mark}")
        params.append(stop)
    for name, (column, operator) in FILTERS.items():
        value = getattr(filters, name)
        if value is not None:
            conditions.append(f"{column} {operator} {mark}")
            params.append(value)
    return conditions, params


class SQLiteAuditStore:
    """The audit index in its own SQLite file (WAL), one connection per thread."""

    # Fixed names only, never input: the rule against built SQL does not apply.
    INSERT_ROW = f"INSERT INTO audit_index ({COLUMNS}) VALUES ({PLACES})"  # noqa: S608
    INSERT_TYPE = (
        "INSERT OR IGNORE INTO audit_aggregates (aggregate_id, aggregate_type) "
        "VALUES (?, ?)"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, REBUILDABLE)
        self.create_tables()

    def create_tables(self) -> None:
        """Create the tables and indexes when missing (done on opening too)."""
        with self._file.immediate() as c:
            for statement in SQLITE_SCHEMA:
                c.execute(statement)

    def position(self) -> int:
        row = (
            self._file.connection()
            .execute(
                "SELECT position FROM audit_tracking WHERE projection = ?",
                (TRACKING_NAME,),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def apply(
        self,
        from_position: int,
        to_position: int,
        rows: Sequence[IndexRow],
        aggregates: Sequence[tuple[UUID, str]],
    ) -> bool:
        with self._file.immediate() as c:
            c.execute(
                "INSERT OR IGNORE INTO audit_tracking (projection, position) "
                "VALUES (?, 0)",
                (TRACKING_NAME,),
            )
            moved = c.execute(
                "UPDATE audit_tracking SET position = ? "
                "WHERE projection = ? AND position = ?",
                (to_position, TRACKING_NAME, from_position),
            )
            if moved.rowcount != 1:
                c.execute("ROLLBACK")
                return False
            c.executemany(
                self.INSERT_ROW,
                [
                    (
                        r.position,
                        r.aggregate_id.bytes,
                        r.aggregate_type,
                        r.version,
                        r.event_type,
                        _micros(r.occurred_at),
                        r.actor_kind,
                        r.actor_id,
                    )
                    for r in rows
                ],
            )
            c.executemany(self.INSERT_TYPE, [(i.bytes, t) for i, t in aggregates])
            if rows:
                newest = max(_micros(r.occurred_at) for r in rows)
                self._mark(c, to_position, newest)
        return True

    def _mark(self, c: Any, position: int, newest: int) -> None:
        """The high water at ``position``, replacing its bucket's earlier mark."""
        (high_water,) = c.execute(
            HIGH_WATER.format(
                greatest="max", mark="?", marks="audit_time_marks", index="audit_index"
            ),
            (newest,),
        ).fetchone()
        c.execute(
            "DELETE FROM audit_time_marks WHERE position > ?",
            (_bucket_start(position),),
        )
        c.execute(
            "INSERT INTO audit_time_marks (position, high_water) VALUES (?, ?)",
            (position, high_water),
        )

    def _floor(self, since: datetime) -> int:
        """A position at or before which every event happened before ``since``."""
        row = (
            self._file.connection()
            .execute(
                FLOOR.format(marks="audit_time_marks", mark="?"), (_micros(since),)
            )
            .fetchone()
        )
        return 0 if row is None else int(row[0])

    def aggregate_types(self, aggregate_ids: Collection[UUID]) -> dict[UUID, str]:
        ids = [i.bytes for i in aggregate_ids]
        found: dict[UUID, str] = {}
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ids[start : start + IDS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            query = TYPES_OF.format(marks=marks)
            for aggregate_id, aggregate_type in self._file.connection().execute(
                query, chunk
            ):
                found[UUID(bytes=aggregate_id)] = aggregate_type
        return found

    def select(
        self, filters: AuditFilters, after: int, limit: int, stop: int | None = None
    ) -> list[IndexRow]:
        connection = self._file.connection()
        if _time_only(filters) and self._small_window(filters):
            conditions, params = _where(filters, after, stop, "?", by_time=True)
            positions = connection.execute(
                "SELECT position FROM audit_index "  # noqa: S608 - fixed names only
                f"WHERE {' AND '.join(conditions)} ORDER BY position + 0 LIMIT ?",
                [*(_sqlite_value(p) for p in params), limit],
            ).fetchall()
            marks = ", ".join("?" * len(positions))
            rows = connection.execute(
                f"SELECT {COLUMNS} FROM audit_index "  # noqa: S608 - fixed names only
                f"WHERE position IN ({marks}) ORDER BY position",
                [p for (p,) in positions],
            ).fetchall()
        else:
            if filters.since is not None:
                after = max(after, self._floor(filters.since))
            conditions, params = _where(filters, after, stop, "?")
            query = (
                f"SELECT {COLUMNS} FROM audit_index "  # noqa: S608 - fixed names only
                f"WHERE {' AND '.join(conditions)} ORDER BY position LIMIT ?"
            )
            rows = connection.execute(
                query, [*(_sqlite_value(p) for p in params), limit]
            ).fetchall()
        return [
            IndexRow(
                position=r[0],
                aggregate_id=UUID(bytes=r[1]),
                aggregate_type=r[2],
                version=r[3],
                event_type=r[4],
                occurred_at=EPOCH + r[5] * MICROSECOND,
                actor_kind=r[6],
                actor_id=r[7],
            )
            for r in rows
        ]

    def _small_window(self, filters: AuditFilters) -> bool:
        since, until = _window(filters)
        query = WINDOW_COUNT.format(index="audit_index", mark="?")
        (count,) = (
            self._file.connection()
            .execute(query, (_micros(since), _micros(until), SMALL_WINDOW))
            .fetchone()
        )
        return int(count) < SMALL_WINDOW

    def version_as_of(self, aggregate_id: UUID, moment: datetime) -> int | None:
        row = (
            self._file.connection()
            .execute(
                "SELECT version FROM audit_index "
                "WHERE aggregate_id = ? AND occurred_at <= ? "
                "ORDER BY occurred_at DESC, version DESC LIMIT 1",
                (aggregate_id.bytes, _micros(moment)),
            )
            .fetchone()
        )
        return None if row is None else int(row[0])

    @contextmanager
    def bulk_loading(self) -> Iterator[None]:
        with self._file.immediate() as c:
            for name, _ in INDEXES:
                c.execute(f"DROP INDEX IF EXISTS audit_index_{name}")
        try:
            yield
        finally:
            self.create_tables()

    def reset(self) -> None:
        with self._file.immediate() as c:
            c.execute(
                "DELETE FROM audit_tracking WHERE projection = ?", (TRACKING_NAME,)
            )
            c.execute("DELETE FROM audit_index")
            c.execute("DELETE FROM audit_aggregates")
            c.execute("DELETE FROM audit_time_marks")

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        self._file.close()


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return _micros(value)
    if isinstance(value, UUID):
        return value.bytes
    return value


class PostgresAuditStore:
    """The audit index in PostgreSQL tables, in the event store's schema."""

    def __init__(self, database: Database, *, owned: bool = False) -> None:
        schema = self.schema = database.schema
        self._names = {
            "index": sql.Identifier(schema, "sellerguard_audit_index"),
            "aggregates": sql.Identifier(schema, "sellerguard_audit_aggregates"),
            "tracking": sql.Identifier(schema, "sellerguard_audit_tracking"),
            "marks": sql.Identifier(schema, "sellerguard_audit_time_marks"),
        }
        self._sql = {
            name: sql.SQL(text).format(**self._names) for name, text in _PG.items()
        }
        # The process's shared pool (closed here only when this store owns it).
        self.pool = database
        self._owned = owned

    def create_tables(self) -> None:
        """Create the tables and indexes when missing (run by ``sellerguard init``)."""
        with self.pool.connection() as conn:
            for name in (
                "create_index",
                "create_aggregates",
                "create_tracking",
                "create_marks",
                "create_marks_index",
            ):
                conn.execute(self._sql[name])
            for name, columns in INDEXES:
                conn.execute(
                    sql.SQL(
                        "CREATE INDEX IF NOT EXISTS {name} ON {index} ({cols})"
                    ).format(
                        name=sql.Identifier(f"sellerguard_audit_index_{name}"),
                        index=self._names["index"],
                        cols=sql.SQL(columns),
                    )
                )

    def position(self) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["position"], (TRACKING_NAME,)).fetchone()
        return int(row[0]) if row else 0

    def apply(
        self,
        from_position: int,
        to_position: int,
        rows: Sequence[IndexRow],
        aggregates: Sequence[tuple[UUID, str]],
    ) -> bool:
        with self.pool.connection() as conn, conn.cursor() as cur:
            # The row lock taken by the UPDATE serialises competing indexers;
            # a loser's WHERE is re-checked against the winner's position.
            cur.execute(self._sql["ensure_tracking"], (TRACKING_NAME,))
            cur.execute(self._sql["move"], (to_position, TRACKING_NAME, from_position))
            if cur.rowcount != 1:
                conn.rollback()
                return False
            with cur.copy(self._sql["copy_rows"]) as copy:
                for r in rows:
                    copy.write_row(
                        (
                            r.position,
                            r.aggregate_id,
                            r.aggregate_type,
                            r.version,
                            r.event_type,
                            r.occurred_at,
                            r.actor_kind,
                            r.actor_id,
                        )
                    )
            if aggregates:
                cur.executemany(self._sql["insert_type"], list(aggregates))
            if rows:
                newest = max(r.occurred_at for r in rows)
                (high_water,) = cur.execute(
                    self._sql["high_water"], (newest,)
                ).fetchone()
                cur.execute(self._sql["unmark"], (_bucket_start(to_position),))
                cur.execute(self._sql["mark"], (to_position, high_water))
        return True

    def aggregate_types(self, aggregate_ids: Collection[UUID]) -> dict[UUID, str]:
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["types"], (list(aggregate_ids),)).fetchall()
        return {row[0]: row[1] for row in rows}

    def select(
        self, filters: AuditFilters, after: int, limit: int, stop: int | None = None
    ) -> list[IndexRow]:
        with self.pool.connection() as conn:
            by_time = _time_only(filters) and self._small_window(conn, filters)
            if filters.since is not None and not by_time:
                floor = conn.execute(self._sql["floor"], (filters.since,)).fetchone()
                after = max(after, 0 if floor is None else int(floor[0]))
            conditions, params = _where(filters, after, stop, "%s", by_time=by_time)
            text = (
                # The window's positions through the time index, then the rows.
                "SELECT {columns} FROM {index} WHERE position IN ("
                "SELECT position FROM {index} WHERE {where} "
                "ORDER BY position + 0 LIMIT %s) ORDER BY position"
                if by_time
                else "SELECT {columns} FROM {index} WHERE {where} "
                "ORDER BY position LIMIT %s"
            )
            query = sql.SQL(text).format(
                columns=sql.SQL(COLUMNS),
                index=self._names["index"],
                where=sql.SQL(" AND ".join(conditions)),
            )
            rows = conn.execute(query, [*params, limit]).fetchall()
        return [IndexRow(*row) for row in rows]

    def _small_window(self, conn: Any, filters: AuditFilters) -> bool:
        query = sql.SQL(WINDOW_COUNT).format(
            index=self._names["index"], mark=sql.SQL("%s")
        )
        (count,) = conn.execute(query, (*_window(filters), SMALL_WINDOW)).fetchone()
        return int(count) < SMALL_WINDOW

    def version_as_of(self, aggregate_id: UUID, moment: datetime) -> int | None:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["as_of"], (aggregate_id, moment)).fetchone()
        return None if row is None else int(row[0])

    @contextmanager
    def bulk_loading(self) -> Iterator[None]:
        with self.pool.connection() as conn:
            for name, _ in INDEXES:
                conn.execute(
                    sql.SQL("DROP INDEX IF EXISTS {name}").format(
                        name=sql.Identifier(
                            self.schema, f"sellerguard_audit_index_{name}"
                        )
                    )
                )
        try:
            yield
        finally:
            self.create_tables()

    def reset(self) -> None:
        with self.pool.connection() as conn:
            # Tracking first: its row lock waits for an indexer mid-apply.
            conn.execute(self._sql["reset_tracking"], (TRACKING_NAME,))
            conn.execute(self._sql["reset_rows"])

    def close(self) -> None:
        """Close the connection pool, if it is this store's own."""
        if self._owned:
            self.pool.close()


_PG = {
    "create_index": """CREATE TABLE IF NOT EXISTS {index} (
        position BIGINT PRIMARY KEY,
        aggregate_id UUID NOT NULL,
        aggregate_type TEXT NOT NULL,
        version BIGINT NOT NULL,
        event_type TEXT NOT NULL,
        occurred_at TIMESTAMPTZ NOT NULL,
        actor_kind TEXT NOT NULL,
        actor_id TEXT)""",
    "create_aggregates": """CREATE TABLE IF NOT EXISTS {aggregates} (
        aggregate_id UUID PRIMARY KEY,
        aggregate_type TEXT NOT NULL)""",
    "create_tracking": """CREATE TABLE IF NOT EXISTS {tracking} (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    "position": "SELECT position FROM {tracking} WHERE projection = %s",
    "ensure_tracking": "INSERT INTO {tracking} (projection, position) "
    "VALUES (%s, 0) ON CONFLICT (projection) DO NOTHING",
    "move": "UPDATE {tracking} SET position = %s "
    "WHERE projection = %s AND position = %s",
    "copy_rows": f"COPY {{index}} ({COLUMNS}) FROM STDIN",
    "insert_type": "INSERT INTO {aggregates} (aggregate_id, aggregate_type) "
    "VALUES (%s, %s) ON CONFLICT (aggregate_id) DO NOTHING",
    "types": "SELECT aggregate_id, aggregate_type FROM {aggregates} "
    "WHERE aggregate_id = ANY(%s)",
    "as_of": "SELECT version FROM {index} "
    "WHERE aggregate_id = %s AND occurred_at <= %s "
    "ORDER BY occurred_at DESC, version DESC LIMIT 1",
    "reset_tracking": "DELETE FROM {tracking} WHERE projection = %s",
    "reset_rows": "TRUNCATE {index}, {aggregates}, {marks}",
    "create_marks": """CREATE TABLE IF NOT EXISTS {marks} (
        position BIGINT PRIMARY KEY,
        high_water TIMESTAMPTZ NOT NULL)""",
    "create_marks_index": "CREATE INDEX IF NOT EXISTS "
    "sellerguard_audit_time_marks_by_high_water ON {marks} (high_water, position)",
    "high_water": HIGH_WATER.format(
        greatest="GREATEST",
        mark="%s",
        marks="{marks}",
        index="{index}",
    ),
    "unmark": "DELETE FROM {marks} WHERE position > %s",
    "mark": "INSERT INTO {marks} (position, high_water) VALUES (%s, %s)",
    "floor": FLOOR.format(marks="{marks}", mark="%s"),
}


def open_audit_store(
    settings: Settings, database: Database | None = None
) -> SQLiteAuditStore | PostgresAuditStore:
    """The audit index beside the configured event store (on the process's
    pool when given one, else on a pool of its own)."""
    if settings.database_url is None:
        return SQLiteAuditStore(settings.data_dir / "audit.sqlite")
    if database is None:
        return PostgresAuditStore(open_database(settings), owned=True)
    return PostgresAuditStore(database)
