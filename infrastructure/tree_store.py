"""The Merkle tree's store beside the events, on SQLite or PostgreSQL.

Leaves ``(leaf index, position, hash)``, the complete subtrees above them
``(level, index, hash)`` and the signed checkpoints (their note text). Every
insert is idempotent, so processes extending at once agree. The store also
reads the ledger's stored events and snapshots as raw rows (the fast path
of verification). It implements ``TreeStore`` of ``application.ports``; it
replaces the hash chain's tables, which it drops.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from psycopg import sql

from application.ledger import Ledger
from application.log_check import Checkpoint, Leaf, Row
from application.merkle import Node
from application.signed_note import parse
from application.timestamps import rfc3339
from infrastructure.database import Database, open_database
from infrastructure.settings import Settings
from infrastructure.sqlite_file import SQLiteFile

PG_EVENTS = f"{Ledger.name}_events"
PG_SNAPSHOTS = f"{Ledger.name}_snapshots"
NodeRow = tuple[int, int, bytes]

SQLITE_SCHEMA = (
    "DROP TABLE IF EXISTS links",  # the hash chain's, replaced by the tree
    "DROP TABLE IF EXISTS checkpoints",
    """CREATE TABLE IF NOT EXISTS tree_leaves (
        leaf_index INTEGER PRIMARY KEY,
        position INTEGER NOT NULL UNIQUE,
        hash BLOB NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS tree_nodes (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS tree_checkpoints (
        size INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        signed_at TEXT NOT NULL,
        note TEXT NOT NULL)""",
)
SQLITE_ROWS = (
    "SELECT rowid, originator_id, originator_version, CAST(topic AS BLOB), state "
    "FROM stored_events WHERE rowid > ? AND rowid <= ? ORDER BY rowid LIMIT ?"
)
SQLITE_SNAPSHOTS = (
    "SELECT originator_id, originator_version, topic, state FROM stored_snapshots "
    "WHERE (originator_id, originator_version) > (?, ?) "
    "ORDER BY originator_id, originator_version LIMIT ?"
)
CHECKPOINT_COLUMNS = "SELECT size, position, signed_at, note FROM tree_checkpoints"


def _checkpoint(row: tuple[Any, ...]) -> Checkpoint:
    _, position, signed_at, note = row
    if isinstance(signed_at, str):
        signed_at = datetime.fromisoformat(signed_at)
    return Checkpoint(parse(note), position, signed_at.astimezone(UTC))


class SQLiteTreeStore:
    """The tree in its own file (WAL); events read from the ledger's file."""

    def __init__(self, path: Path, events_path: Path) -> None:
        self.path = path
        self._tree = SQLiteFile(path)
        self._events = SQLiteFile(events_path, wal=False)  # the ledger's own file
        connection = self._tree.connection()
        for statement in SQLITE_SCHEMA:
            connection.execute(statement)

    def create_tables(self) -> None:
        """Nothing to do: the file's tables are created when it is opened."""

    def _q(self, query: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._tree.connection().execute(query, params).fetchall()

    def size(self) -> int:
        return int(
            self._q("SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM tree_leaves")[0][0]
        )

    def last_leaf(self) -> Leaf | None:
        rows = self._q(
            "SELECT leaf_index, position, hash FROM tree_leaves "
            "ORDER BY leaf_index DESC LIMIT 1"
        )
        return tuple(rows[0]) if rows else None

    def leaf_at(self, position: int) -> Leaf | None:
        rows = self._q(
            "SELECT leaf_index, position, hash FROM tree_leaves WHERE position = ?",
            (position,),
        )
        return tuple(rows[0]) if rows else None

    def leaves(self, after: int, upto: int) -> Sequence[Leaf]:
        return self._q(
            "SELECT leaf_index, position, hash FROM tree_leaves "
            "WHERE position > ? AND position <= ? ORDER BY position",
            (after, upto),
        )

    def nodes(self, keys: Iterable[Node]) -> dict[Node, bytes]:
        keys = list(keys)
        found: dict[Node, bytes] = {}
        leaves = [i for level, i in keys if level == 0]
        above = [k for k in keys if k[0] > 0]
        if leaves:
            marks = ",".join("?" * len(leaves))
            query = f"SELECT leaf_index, hash FROM tree_leaves WHERE leaf_index IN ({marks})"  # noqa: S608, E501
            for i, h in self._q(query, leaves):
                found[(0, i)] = h
        if above:
            # One indexed point look-up per node (a row-value IN scans).
            query = " UNION ALL ".join(
                ["SELECT level, idx, hash FROM tree_nodes WHERE level = ? AND idx = ?"]
                * len(above)
            )
            flat = [x for k in above for x in k]
            for level, i, h in self._q(query, flat):
                found[(level, i)] = h
        return found

    def add(
        self,
        leaves: Sequence[Leaf],
        nodes: Sequence[NodeRow],
        checkpoints: Sequence[Checkpoint],
    ) -> None:
        if not leaves and not nodes and not checkpoints:
            return
        connection = self._tree.connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(
                "INSERT OR IGNORE INTO tree_leaves VALUES (?, ?, ?)", leaves
            )
            connection.executemany(
                "INSERT OR IGNORE INTO tree_nodes VALUES (?, ?, ?)", nodes
            )
            connection.executemany(
                "INSERT OR IGNORE INTO tree_checkpoints VALUES (?, ?, ?, ?)",
                [
                    (c.size, c.position, rfc3339(c.signed_at), c.note.text())
                    for c in checkpoints
                ],
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def last_checkpoint(self) -> Checkpoint | None:
        rows = self._q(f"{CHECKPOINT_COLUMNS} ORDER BY size DESC LIMIT 1")
        return _checkpoint(rows[0]) if rows else None

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        rows = self._q(
            f"{CHECKPOINT_COLUMNS} WHERE size > ? ORDER BY size LIMIT ?",
            (after, -1 if limit is None else limit),
        )
        return [_checkpoint(row) for row in rows]

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        return (
            self._events.connection()
            .execute(SQLITE_ROWS, (after, upto, limit))
            .fetchall()
        )

    def snapshot_rows(self, after: tuple[str, int], limit: int) -> Sequence[Row]:
        rows = (
            self._events.connection()
            .execute(SQLITE_SNAPSHOTS, (*after, limit))
            .fetchall()
        )
        return [(0, o, v, t, s) for o, v, t, s in rows]

    def position_of(self, originator_id: str, version: int) -> int:
        row = (
            self._events.connection()
            .execute(
                "SELECT rowid FROM stored_events "
                "WHERE originator_id = ? AND originator_version = ?",
                (originator_id, version),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._tree.close()
        self._events.close()


class PostgresTreeStore:
    """The tree in PostgreSQL tables in the event store's schema."""

    def __init__(self, database: Database, *, owned: bool = False) -> None:
        schema = database.schema
        names = {
            "leaves": sql.Identifier(schema, "sellerguard_tree_leaves"),
            "nodes": sql.Identifier(schema, "sellerguard_tree_nodes"),
            "checkpoints": sql.Identifier(schema, "sellerguard_tree_checkpoints"),
            "links": sql.Identifier(schema, "sellerguard_integrity_links"),
            "old_checkpoints": sql.Identifier(
                schema, "sellerguard_integrity_checkpoints"
            ),
            "events": sql.Identifier(schema, PG_EVENTS),
            "snapshots": sql.Identifier(schema, PG_SNAPSHOTS),
        }
        self._sql = {name: sql.SQL(text).format(**names) for name, text in _PG.items()}
        # The process's shared pool (closed here only when this store owns it).
        self.pool = database
        self._owned = owned

    def create_tables(self) -> None:
        """Create the tables when missing, drop the chain's (``sellerguard init``)."""
        with self.pool.connection() as conn:
            for name in ("drop_links", "drop_old", "create_leaves", "create_nodes"):
                conn.execute(self._sql[name])
            conn.execute(self._sql["create_checkpoints"])

    def _q(self, name: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.pool.connection() as conn:
            rows: list[Any] = conn.execute(self._sql[name], params).fetchall()
        return rows

    def size(self) -> int:
        return int(self._q("size")[0][0])

    def last_leaf(self) -> Leaf | None:
        rows = self._q("last_leaf")
        return (rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def leaf_at(self, position: int) -> Leaf | None:
        rows = self._q("leaf_at", (position,))
        return (rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def leaves(self, after: int, upto: int) -> Sequence[Leaf]:
        return [(i, p, bytes(h)) for i, p, h in self._q("leaves", (after, upto))]

    def nodes(self, keys: Iterable[Node]) -> dict[Node, bytes]:
        keys = list(keys)
        leaves = [i for level, i in keys if level == 0]
        above = [k for k in keys if k[0] > 0]
        found: dict[Node, bytes] = {}
        if leaves:
            for i, h in self._q("leaf_hashes", (leaves,)):
                found[(0, i)] = bytes(h)
        if above:
            levels, indexes = [k[0] for k in above], [k[1] for k in above]
            for level, i, h in self._q("node_hashes", (levels, indexes)):
                found[(level, i)] = bytes(h)
        return found

    def add(
        self,
        leaves: Sequence[Leaf],
        nodes: Sequence[NodeRow],
        checkpoints: Sequence[Checkpoint],
    ) -> None:
        if not leaves and not nodes and not checkpoints:
            return
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cur:
            if leaves:
                cur.execute(
                    self._sql["add_leaves"],
                    [list(c) for c in zip(*leaves, strict=True)],
                )
            if nodes:
                cur.execute(
                    self._sql["add_nodes"], [list(c) for c in zip(*nodes, strict=True)]
                )
            for c in checkpoints:
                cur.execute(
                    self._sql["add_checkpoint"],
                    (c.size, c.position, c.signed_at, c.note.text()),
                )

    def last_checkpoint(self) -> Checkpoint | None:
        rows = self._q("last_checkpoint")
        return _checkpoint(rows[0]) if rows else None

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        return [_checkpoint(row) for row in self._q("checkpoints", (after, limit))]

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        return self._q("rows", (after, upto, limit))

    def snapshot_rows(self, after: tuple[str, int], limit: int) -> Sequence[Row]:
        start = after[0] or "00000000000000000000000000000000"
        rows = self._q("snapshots", (start, after[1], limit))
        return [(0, o, v, bytes(t), bytes(s)) for o, v, t, s in rows]

    def position_of(self, originator_id: str, version: int) -> int:
        rows = self._q("position_of", (originator_id, version))
        return int(rows[0][0]) if rows else 0

    def close(self) -> None:
        if self._owned:
            self.pool.close()


_PG = {
    "drop_links": "DROP TABLE IF EXISTS {links}",
    "drop_old": "DROP TABLE IF EXISTS {old_checkpoints}",
    "create_leaves": """CREATE TABLE IF NOT EXISTS {leaves} (
        leaf_index BIGINT PRIMARY KEY,
        position BIGINT NOT NULL UNIQUE,
        hash BYTEA NOT NULL)""",
    "create_nodes": """CREATE TABLE IF NOT EXISTS {nodes} (
        level INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (level, idx))""",
    "create_checkpoints": """CREATE TABLE IF NOT EXISTS {checkpoints} (
        size BIGINT PRIMARY KEY,
        position BIGINT NOT NULL,
        signed_at TIMESTAMPTZ NOT NULL,
        note TEXT NOT NULL)""",
    "size": "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {leaves}",
    "last_leaf": "SELECT leaf_index, position, hash FROM {leaves} "
    "ORDER BY leaf_index DESC LIMIT 1",
    "leaf_at": "SELECT leaf_index, position, hash FROM {leaves} WHERE position = %s",
    "leaves": "SELECT leaf_index, position, hash FROM {leaves} "
    "WHERE position > %s AND position <= %s ORDER BY position",
    "leaf_hashes": "SELECT leaf_index, hash FROM {leaves} "
    "WHERE leaf_index = ANY(%s::bigint[])",
    "node_hashes": "SELECT n.level, n.idx, n.hash FROM {nodes} n "
    "JOIN unnest(%s::int[], %s::bigint[]) AS k(level, idx) "
    "ON n.level = k.level AND n.idx = k.idx",
    "add_leaves": "INSERT INTO {leaves} (leaf_index, position, hash) "
    "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bytea[]) "
    "ON CONFLICT DO NOTHING",
    "add_nodes": "INSERT INTO {nodes} (level, idx, hash) "
    "SELECT * FROM unnest(%s::int[], %s::bigint[], %s::bytea[]) "
    "ON CONFLICT DO NOTHING",
    "add_checkpoint": "INSERT INTO {checkpoints} (size, position, signed_at, note) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
    "last_checkpoint": "SELECT size, position, signed_at, note FROM {checkpoints} "
    "ORDER BY size DESC LIMIT 1",
    "checkpoints": "SELECT size, position, signed_at, note FROM {checkpoints} "
    "WHERE size > %s ORDER BY size LIMIT %s",
    # Raw columns as the leaves encode them: the UUID's 16 bytes as hex, the
    # topic's UTF-8 bytes, the state as stored.
    "rows": "SELECT notification_id, encode(uuid_send(originator_id), 'hex'), "
    "originator_version, convert_to(topic, 'UTF8'), state FROM {events} "
    "WHERE notification_id > %s AND notification_id <= %s "
    "ORDER BY notification_id LIMIT %s",
    "snapshots": "SELECT encode(uuid_send(originator_id), 'hex'), originator_version, "
    "convert_to(topic, 'UTF8'), state FROM {snapshots} "
    "WHERE (originator_id, originator_version) > (%s::uuid, %s) "
    "ORDER BY originator_id, originator_version LIMIT %s",
    "position_of": "SELECT notification_id FROM {events} "
    "WHERE originator_id = %s::uuid AND originator_version = %s",
}


def open_tree_store(
    settings: Settings, database: Database | None = None
) -> SQLiteTreeStore | PostgresTreeStore:
    """The tree store beside the configured event store (on the process's
    pool when given one, else on a pool of its own)."""
    if settings.database_url is None:
        return SQLiteTreeStore(
            settings.data_dir / "integrity.sqlite", settings.sqlite_path
        )
    if database is None:
        return PostgresTreeStore(open_database(settings), owned=True)
    return PostgresTreeStore(database)
