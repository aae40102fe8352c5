"""View stores: the read models' keyed lists of JSON items, on SQLite or PostgreSQL.

Each store keeps a projection's tracking position beside its items, and
changes both in one transaction that compare-and-sets the position, which is
what makes a projection apply each event exactly once across processes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from psycopg import sql

from application.block_lists import BLOCKS, BUYER_LINKS
from application.read_models import Change, Delete, Item, Put
from infrastructure.database import Database, open_database
from infrastructure.document_vault import EnvelopeCipher
from infrastructure.settings import Settings
from infrastructure.sqlite_file import REBUILDABLE, SQLiteFile

SQLITE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS view_items (
        view TEXT NOT NULL,
        key TEXT NOT NULL,
        item_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (view, key, item_id)
    )""",
    """CREATE INDEX IF NOT EXISTS view_items_by_position
        ON view_items (view, key, position)""",
    """CREATE INDEX IF NOT EXISTS view_items_by_item_id
        ON view_items (view, item_id)""",
    """CREATE TABLE IF NOT EXISTS view_tracking (
        projection TEXT PRIMARY KEY,
        position INTEGER NOT NULL
    )""",
)


# Built once: json.dumps() with options would build an encoder per call.
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

SEALED = "$sealed"
# Views kept in clear: the checkout check's hot path, holding nothing but the
# buyer names it looks up by. Every other view is sealed, so that a new view
# with personal data (IPs, contact addresses, mail bodies) is never in clear.
PLAIN_VIEWS = frozenset({BLOCKS, BUYER_LINKS})


class ItemSealer:
    """Items encrypted like the document vault's documents (a key per item,
    wrapped by the master key), each bound to its view, key and item id."""

    def __init__(self, cipher: EnvelopeCipher) -> None:
        self._cipher = cipher

    def seal(self, c: Put) -> dict[str, Any]:
        """The item as stored: sealed unless its view is kept in clear."""
        if c.view in PLAIN_VIEWS or not c.data:
            return c.data
        blob = self._cipher.seal(
            _place(c.view, c.key, c.item_id), _dumps(c.data).encode()
        )
        return {SEALED: base64.b64encode(blob).decode("ascii")}

    def open(self, view: str, key: str, item_id: str, data: Any) -> dict[str, Any]:
        """The item as the views see it (items stored before sealing as they are)."""
        if not isinstance(data, dict) or SEALED not in data:
            return dict(data)
        blob = base64.b64decode(data[SEALED])
        opened: dict[str, Any] = json.loads(
            self._cipher.open(_place(view, key, item_id), blob)
        )
        return opened


def _place(view: str, key: str, item_id: str) -> str:
    return f"view\x1f{view}\x1f{key}\x1f{item_id}"


def _rows(
    changes: Sequence[tuple[int, Change]], sealer: ItemSealer
) -> Iterator[tuple[bool, list[Any]]]:
    """Runs of consecutive puts or deletes, as parameter rows, in log order."""
    for is_put, run in groupby(changes, key=lambda pc: isinstance(pc[1], Put)):
        if is_put:
            yield (
                True,
                [
                    (c.view, c.key, c.item_id, p, _dumps(sealer.seal(c)))
                    for p, c in run
                    if isinstance(c, Put)
                ],
            )
        else:
            yield (
                False,
                [(c.view, c.key, c.item_id) for _, c in run if isinstance(c, Delete)],
            )


class SQLiteViewStore:
    """Views in their own SQLite file (WAL), one connection per thread."""

    PUT = (
        "INSERT INTO view_items (view, key, item_id, position, data) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (view, key, item_id) "
        "DO UPDATE SET position = excluded.position, data = excluded.data"
    )
    DELETE = "DELETE FROM view_items WHERE view = ? AND key = ? AND item_id = ?"

    def __init__(self, path: Path, sealer: ItemSealer) -> None:
        self.path = path
        self.sealer = sealer
        self._file = SQLiteFile(path, REBUILDABLE)
        with self._file.immediate() as c:
            for statement in SQLITE_SCHEMA:
                c.execute(statement)

    def create_tables(self) -> None:
        """Nothing to do: the file's tables are created when it is opened."""

    def position(self, projection: str) -> int:
        row = (
            self._file.connection()
            .execute(
                "SELECT position FROM view_tracking WHERE projection = ?",
                (projection,),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def apply(
        self,
        projection: str,
        from_position: int,
        to_position: int,
        changes: Sequence[tuple[int, Change]],
    ) -> bool:
        with self._file.immediate() as c:
            c.execute(
                "INSERT OR IGNORE INTO view_tracking (projection, position) "
                "VALUES (?, 0)",
                (projection,),
            )
            moved = c.execute(
                "UPDATE view_tracking SET position = ? "
                "WHERE projection = ? AND position = ?",
                (to_position, projection, from_position),
            )
            if moved.rowcount != 1:
                c.execute("ROLLBACK")
                return False
            for is_put, rows in _rows(changes, self.sealer):
                c.executemany(self.PUT if is_put else self.DELETE, rows)
        return True

    def items(
        self, view: str, key: str, *, limit: int, before: int | None = None
    ) -> list[Item]:
        upper = (1 << 63) - 1 if before is None else before
        rows = (
            self._file.connection()
            .execute(
                "SELECT item_id, position, data FROM view_items "
                "WHERE view = ? AND key = ? AND position < ? "
                "ORDER BY position DESC, item_id DESC LIMIT ?",
                (view, key, upper, limit),
            )
            .fetchall()
        )
        open_ = self.sealer.open
        return [
            Item(row[0], row[1], open_(view, key, row[0], json.loads(row[2])))
            for row in rows
        ]

    def get(self, view: str, key: str, item_id: str) -> Item | None:
        row = (
            self._file.connection()
            .execute(
                "SELECT item_id, position, data FROM view_items "
                "WHERE view = ? AND key = ? AND item_id = ?",
                (view, key, item_id),
            )
            .fetchone()
        )
        if row is None:
            return None
        return Item(
            row[0], row[1], self.sealer.open(view, key, row[0], json.loads(row[2]))
        )

    def find(self, view: str, item_id: str) -> list[tuple[str, Item]]:
        rows = (
            self._file.connection()
            .execute(
                "SELECT key, item_id, position, data FROM view_items "
                "WHERE view = ? AND item_id = ? ORDER BY position DESC, key",
                (view, item_id),
            )
            .fetchall()
        )
        open_ = self.sealer.open
        return [
            (
                row[0],
                Item(row[1], row[2], open_(view, row[0], row[1], json.loads(row[3]))),
            )
            for row in rows
        ]

    def snapshot(
        self, projection: str, views: Sequence[str]
    ) -> tuple[int, list[tuple[str, str, Item]]]:
        # One statement reads one snapshot: the items are at least as new as
        # the position (a rebuild starting in between cannot tear them apart).
        rows = (
            self._file.connection()
            .execute(
                "SELECT t.position, i.view, i.key, i.item_id, i.position, i.data "
                "FROM (SELECT coalesce((SELECT position FROM view_tracking "
                "WHERE projection = ?), 0) AS position) AS t "
                "LEFT JOIN view_items AS i "
                "ON i.view IN (SELECT value FROM json_each(?))",
                (projection, json.dumps(list(views))),
            )
            .fetchall()
        )
        return _snapshot(rows, self.sealer, json.loads)

    def reset(self, projection: str, views: Sequence[str]) -> None:
        with self._file.immediate() as c:
            c.execute("DELETE FROM view_tracking WHERE projection = ?", (projection,))
            c.executemany(
                "DELETE FROM view_items WHERE view = ?", [(v,) for v in views]
            )

    def close(self) -> None:
        """Close every thread's connection; the store cannot be used afterwards."""
        self._file.close()


class PostgresViewStore:
    """Views in PostgreSQL tables (JSONB items) in the event store's schema."""

    def __init__(
        self, database: Database, sealer: ItemSealer, *, owned: bool = False
    ) -> None:
        schema = self.schema = database.schema
        self.sealer = sealer
        names = {
            "items": sql.Identifier(schema, "sellerguard_view_items"),
            "tracking": sql.Identifier(schema, "sellerguard_view_tracking"),
            "schema": sql.Identifier(schema),
            "by_position": sql.Identifier("sellerguard_view_items_by_position"),
            "by_item_id": sql.Identifier("sellerguard_view_items_by_item_id"),
        }
        self._sql = {name: sql.SQL(text).format(**names) for name, text in _PG.items()}
        # The process's shared pool (closed here only when this store owns it).
        self.pool = database
        self._owned = owned

    def create_tables(self) -> None:
        """Create the tables and indexes when missing (run by ``sellerguard init``)."""
        with self.pool.connection() as conn:
            for name in ("create_items", "create_tracking", "index_1", "index_2"):
                conn.execute(self._sql[name])

    def position(self, projection: str) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["position"], (projection,)).fetchone()
        return int(row[0]) if row else 0

    def apply(
        self,
        projection: str,
        from_position: int,
        to_position: int,
        changes: Sequence[tuple[int, Change]],
    ) -> bool:
        with self.pool.connection() as conn, conn.cursor() as cur:
            # The row lock taken by the UPDATE serialises competing runners;
            # a loser's WHERE is re-checked against the winner's position.
            cur.execute(self._sql["ensure_tracking"], (projection,))
            cur.execute(self._sql["move"], (to_position, projection, from_position))
            if cur.rowcount != 1:
                conn.rollback()
                return False
            for is_put, rows in _rows(changes, self.sealer):
                cur.executemany(self._sql["put" if is_put else "delete"], rows)
        return True

    def items(
        self, view: str, key: str, *, limit: int, before: int | None = None
    ) -> list[Item]:
        upper = (1 << 63) - 1 if before is None else before
        with self.pool.connection() as conn:
            rows = conn.execute(
                self._sql["items"], (view, key, upper, limit)
            ).fetchall()
        open_ = self.sealer.open
        return [Item(row[0], row[1], open_(view, key, row[0], row[2])) for row in rows]

    def get(self, view: str, key: str, item_id: str) -> Item | None:
        with self.pool.connection() as conn:
            row = conn.execute(self._sql["get"], (view, key, item_id)).fetchone()
        if row is None:
            return None
        return Item(row[0], row[1], self.sealer.open(view, key, row[0], row[2]))

    def find(self, view: str, item_id: str) -> list[tuple[str, Item]]:
        with self.pool.connection() as conn:
            rows = conn.execute(self._sql["find"], (view, item_id)).fetchall()
        open_ = self.sealer.open
        return [
            (row[0], Item(row[1], row[2], open_(view, row[0], row[1], row[3])))
            for row in rows
        ]

    def snapshot(
        self, projection: str, views: Sequence[str]
    ) -> tuple[int, list[tuple[str, str, Item]]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                self._sql["snapshot"], (projection, list(views))
            ).fetchall()
        return _snapshot(rows, self.sealer, lambda data: data)

    def reset(self, projection: str, views: Sequence[str]) -> None:
        with self.pool.connection() as conn:
            # Tracking first: its row lock waits for a runner mid-apply, so no
            # page of theirs lands after the items are gone.
            conn.execute(self._sql["reset_tracking"], (projection,))
            conn.execute(self._sql["reset_items"], (list(views),))

    def close(self) -> None:
        """Close the connection pool, if it is this store's own."""
        if self._owned:
            self.pool.close()


_PG = {
    "create_items": """CREATE TABLE IF NOT EXISTS {items} (
        view TEXT NOT NULL,
        key TEXT NOT NULL,
        item_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        data JSONB NOT NULL,
        PRIMARY KEY (view, key, item_id))""",
    "create_tracking": """CREATE TABLE IF NOT EXISTS {tracking} (
        projection TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    "index_1": "CREATE INDEX IF NOT EXISTS {by_position} "
    "ON {items} (view, key, position)",
    "index_2": "CREATE INDEX IF NOT EXISTS {by_item_id} ON {items} (view, item_id)",
    "position": "SELECT position FROM {tracking} WHERE projection = %s",
    "ensure_tracking": "INSERT INTO {tracking} (projection, position) "
    "VALUES (%s, 0) ON CONFLICT (projection) DO NOTHING",
    "move": "UPDATE {tracking} SET position = %s "
    "WHERE projection = %s AND position = %s",
    "put": "INSERT INTO {items} (view, key, item_id, position, data) "
    "VALUES (%s, %s, %s, %s, %s::jsonb) ON CONFLICT (view, key, item_id) "
    "DO UPDATE SET position = excluded.position, data = excluded.data",
    "delete": "DELETE FROM {items} WHERE view = %s AND key = %s AND item_id = %s",
    "items": "SELECT item_id, position, data FROM {items} "
    "WHERE view = %s AND key = %s AND position < %s "
    "ORDER BY position DESC, item_id DESC LIMIT %s",
    "get": "SELECT item_id, position, data FROM {items} "
    "WHERE view = %s AND key = %s AND item_id = %s",
    "find": "SELECT key, item_id, position, data FROM {items} "
    "WHERE view = %s AND item_id = %s ORDER BY position DESC, key",
    "snapshot": "SELECT t.position, i.view, i.key, i.item_id, i.position, i.data "
    "FROM (SELECT coalesce((SELECT position FROM {tracking} "
    "WHERE projection = %s), 0) AS position) AS t "
    "LEFT JOIN {items} AS i ON i.view = ANY(%s)",
    "reset_tracking": "DELETE FROM {tracking} WHERE projection = %s",
    "reset_items": "DELETE FROM {items} WHERE view = ANY(%s)",
}


def _snapshot(
    rows: Sequence[Any], sealer: ItemSealer, decode: Callable[[Any], Any]
) -> tuple[int, list[tuple[str, str, Item]]]:
    """A snapshot's rows (the position on each, items joined) as the views see them."""
    position = int(rows[0][0]) if rows else 0
    return position, [
        (view, key, Item(item_id, at, sealer.open(view, key, item_id, decode(data))))
        for _, view, key, item_id, at, data in rows
        if view is not None
    ]


def open_view_store(
    settings: Settings, database: Database | None = None
) -> SQLiteViewStore | PostgresViewStore:
    """The view store beside the configured event store (on the process's
    pool when given one, else on a pool of its own)."""
    sealer = ItemSealer(EnvelopeCipher.from_key_file(settings.document_key_file))
    if settings.database_url is None:
        return SQLiteViewStore(settings.data_dir / "views.sqlite", sealer)
    if database is None:
        return PostgresViewStore(open_database(settings), sealer, owned=True)
    return PostgresViewStore(database, sealer)
