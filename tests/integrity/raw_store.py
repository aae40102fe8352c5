"""The real event and snapshot tables, edited by someone with only the database."""

from __future__ import annotations

import sqlite3
from typing import Any
from uuid import UUID

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
            }
        else:
            self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.names = {
                "events": "stored_events",
                "snapshots": "stored_snapshots",
                "position": "rowid",
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

    def close(self) -> None:
        self.conn.close()
