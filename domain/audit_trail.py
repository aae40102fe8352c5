"""What each reader of the audit history asked to see: auditors are audited too."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.actor import Actor
from domain.aggregate import Recorded

# The namespace of the trails' ids: one trail per reader, found by the reader's id.
AUDIT_TRAILS = UUID("6f1d2b0e-3c4a-5e8f-9a1b-7c2d3e4f5a6b")


class AuditTrail(Recorded):
    """One reader's reads of the audit history: the questions, never the answers."""

    TOPIC = "sellerguard:AuditTrail"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:AuditTrail.Event"

    class Opened(Event, Recorded.Created):
        """The reader read the audit history for the first time."""

        TOPIC = "sellerguard:AuditTrail.Opened"
        reader_id: str

    class Read(Event):
        """The reader asked for part of the audit history (``what``, ``query``)."""

        TOPIC = "sellerguard:AuditTrail.Read"
        what: str
        query: dict[str, Any]

        def apply(self, trail: AuditTrail) -> None:
            trail.reads += 1
            trail.last_read_at = self.timestamp

    def __init__(self, reader_id: str) -> None:
        self.reader_id = reader_id
        self.reads = 0
        self.last_read_at: datetime | None = None

    @staticmethod
    def id_for(reader_id: str) -> UUID:
        """The id of the reader's trail, derived from the reader's id."""
        return uuid5(AUDIT_TRAILS, reader_id)

    @classmethod
    def open(cls, reader_id: str, actor: Actor, at: datetime) -> AuditTrail:
        """Start the trail of a reader's first read."""
        return cls._create(
            cls.Opened,
            id=cls.id_for(reader_id),
            reader_id=reader_id,
            actor=actor,
            timestamp=at,
        )

    def record_read(
        self, what: str, query: dict[str, Any], actor: Actor, at: datetime
    ) -> None:
        """Note one read: which use case and with which query (plain values)."""
        self._record(self.Read, actor, at, what=what, query=dict(query))


AuditTrailRead = AuditTrail.Read
