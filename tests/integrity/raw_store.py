"""The real event and snapshot tables, edited by someone with only the database."""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID, uuid4

import psycopg

from infrastructure.settings import Settings
from tests.conftest import POSTGRES_URL


def schema_of(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.rsplit("schema=", 1)[1]


class RawStore:
    """SQL on the store's own tables: no key, no application."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.uses_postgres
        if self.postgres:
            schema = schema_of(settings)
            self.conn: Any = psycopg.connect(POSTGRES_URL, autocommit=True)
            self.names = {
                "events": f'"{schema}".sellerguard_events',
                "snapshots": f'"{schema}".sellerguard_snapshots',
                "position": "notification_id",
                "schema": schema,
                "leaves": f'"{schema}".sellerguard_tree_leaves',
                "nodes": f'"{schema}".sellerguard_tree_nodes',
                "checkpoints": f'"{schema}".sellerguard_tree_checkpoints',
            }
        else:
            self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.conn.execute(
                "ATTACH DATABASE ? AS tree",
                (str(settings.data_dir / "integrity.sqlite"),),
            )
            self.names = {
                "events": "stored_events",
                "snapshots": "stored_snapshots",
                "position": "rowid",
                "leaves": "tree.tree_leaves",
                "nodes": "tree.tree_nodes",
                "checkpoints": "tree.tree_checkpoints",
            }

    def run(self, statement: str, *params: Any) -> list[Any]:
        text = statement.format(**self.names)
        cursor = self.conn.execute(
            text.replace("?", "%s") if self.postgres else text, params
        )
        return cursor.fetchall() if cursor.description else []

    def _id(self, aggregate_id: UUID | str) -> Any:
        value = UUID(str(aggregate_id))
        return value if self.postgres else value.hex

    def records(
        self, table: str, aggregate_id: UUID | str
    ) -> list[tuple[int, str, bytes]]:
        """``(version, topic, state)`` of an aggregate's rows, oldest first."""
        rows = self.run(
            f"SELECT originator_version, topic, state FROM {{{table}}} "
            "WHERE originator_id = ? ORDER BY originator_version",
            self._id(aggregate_id),
        )
        return [(v, t, bytes(s)) for v, t, s in rows]

    def last(
        self, table: str, aggregate_id: UUID | str, topic_end: str = ""
    ) -> tuple[int, str, bytes]:
        """The newest row (whose topic ends so, when given)."""
        return [
            r for r in self.records(table, aggregate_id) if r[1].endswith(topic_end)
        ][-1]

    def insert(
        self,
        table: str,
        aggregate_id: UUID | str,
        version: int,
        topic: str,
        state: bytes,
    ) -> None:
        self.run(
            f"INSERT INTO {{{table}}} "
            "(originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            self._id(aggregate_id),
            version,
            topic,
            state,
        )

    def overwrite(
        self,
        table: str,
        aggregate_id: UUID | str,
        version: int,
        topic: str,
        state: bytes,
    ) -> None:
        self.run(
            f"UPDATE {{{table}}} SET topic = ?, state = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            topic,
            state,
            self._id(aggregate_id),
            version,
        )

    # The log by position, as the tamper suite edits it

    def event(self, position: int) -> tuple[int, UUID, int, str, bytes]:
        p, o, v, t, s = self.run(
            "SELECT {position}, originator_id, originator_version, topic, state "
            "FROM {events} WHERE {position} = ?",
            position,
        )[0]
        return p, UUID(str(o)), v, t, bytes(s)

    def last_position(self) -> int:
        return int(self.run("SELECT MAX({position}) FROM {events}")[0][0])

    def insert_event(
        self, aggregate_id: UUID, version: int, topic: str, state: bytes
    ) -> None:
        self.insert("events", aggregate_id, version, topic, state)

    def flip_state_byte(self, position: int) -> None:
        state = self.event(position)[4]
        middle = len(state) // 2
        changed = state[:middle] + bytes([state[middle] ^ 0x01]) + state[middle + 1 :]
        self.run(
            "UPDATE {events} SET state = ? WHERE {position} = ?", changed, position
        )

    def delete(self, position: int) -> None:
        self.run("DELETE FROM {events} WHERE {position} = ?", position)

    def move(self, source: int, target: int) -> None:
        self.run(
            "UPDATE {events} SET {position} = ? WHERE {position} = ?", target, source
        )

    def swap(self, first: int, second: int) -> None:
        self.move(first, -1)
        self.move(second, first)
        self.move(-1, second)

    def shift(self, start: int, by: int) -> None:
        """Renumber the events from ``start`` on (via negatives: no clash)."""
        self.run(
            "UPDATE {events} SET {position} = -({position} + ?) WHERE {position} >= ?",
            by,
            start,
        )
        self.run("UPDATE {events} SET {position} = -{position} WHERE {position} < 0")

    def insert_copy(self, position: int, like: int) -> None:
        """A new row at ``position``: another's topic and state, a new originator."""
        originator = uuid4()
        self.run(
            "INSERT INTO {events} "
            "({position}, originator_id, originator_version, topic, state) "
            "SELECT ?, ?, originator_version, topic, state FROM {events} "
            "WHERE {position} = ?",
            position,
            self._id(originator),
            like,
        )

    # The tree's own rows

    def tree_counts(self) -> tuple[int, int, int]:
        return tuple(  # type: ignore[return-value]
            self.run(f"SELECT COUNT(*) FROM {{{table}}}")[0][0]
            for table in ("leaves", "nodes", "checkpoints")
        )

    def set_checkpoint_note(self, size: int, note: str) -> None:
        self.run("UPDATE {checkpoints} SET note = ? WHERE size = ?", note, size)

    def clear_tree(self, *, keep_checkpoints: bool) -> None:
        self.run("DELETE FROM {leaves}")
        self.run("DELETE FROM {nodes}")
        if not keep_checkpoints:
            self.run("DELETE FROM {checkpoints}")

    def truncate_from(self, position: int) -> None:
        """Delete events from ``position`` on, with their tree rows and checkpoints."""
        (first,) = self.run(
            "SELECT MIN(leaf_index) FROM {leaves} WHERE position >= ?", position
        )[0]
        self.run("DELETE FROM {events} WHERE {position} >= ?", position)
        self.run("DELETE FROM {leaves} WHERE leaf_index >= ?", first)
        self.run("DELETE FROM {nodes} WHERE ((idx + 1) << level) > ?", first)
        self.run("DELETE FROM {checkpoints} WHERE size > ?", first)

    def close(self) -> None:
        self.conn.close()
