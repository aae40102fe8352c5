"""Verifying the integrity chain: the canonical encoding, the walk, the report."""

from __future__ import annotations

import hashlib
import struct
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from operator import itemgetter
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Notification

ZERO_HASH = bytes(32)
MAX_SUSPECTS = 10_000
UUID_BYTES = 16

# Position, originator id, originator version, topic length; then the topic,
# the state's length and the state: fixed widths and length prefixes, so no
# two different stored events have the same encoding.
_HEAD = struct.Struct(">q16sqQ")
_LENGTH = struct.Struct(">Q")
# What a row that no event the library writes could have raises when encoded.
_MALFORMED = (TypeError, ValueError, struct.error, OverflowError)

Link = tuple[int, bytes]
# A stored event as raw columns: position, originator id (the UUID as 32 hex
# digits), originator version, topic (UTF-8 bytes) and state, as stored.
# Anything else in a column makes the row malformed, never an error.
Row = tuple[int, Any, Any, Any, Any]


class Reason(StrEnum):
    """Why verification failed at a position: the most precise the data supports."""

    # The event stored there is not the one linked there, nor one linked
    # elsewhere.
    CHANGED = "changed"
    # The event linked there is gone (later events may have moved up into
    # its place).
    REMOVED = "removed"
    # An event is there that was not when it was linked (in a gap, or with
    # the linked events pushed on to later positions).
    INSERTED = "inserted"
    # The event there was linked at another position, and the one linked
    # there now sits elsewhere.
    REORDERED = "reordered"
    # The stored link disagrees, yet the events match a signed checkpoint at
    # or after it: the links, not the log, were altered.
    LINK_MISMATCH = "link_mismatch"
    # A validly signed checkpoint's hash differs from the chain recomputed
    # from the stored events (e.g. events and links rewritten together).
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"
    # The checkpoint's signature does not verify under the published key.
    BAD_SIGNATURE = "bad_signature"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The chain's hash at a position, signed."""

    position: int
    hash: bytes
    signed_at: datetime
    signature: bytes
    key_id: str


class Head(NamedTuple):
    """The newest verified position and the chain's hash there (hex)."""

    position: int
    hash: str


class Failure(NamedTuple):
    """The first position where verification failed, and why."""

    position: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """What verifying the chain found."""

    ok: bool
    events_verified: int
    head: Head | None
    checkpoints_verified: int
    first_failure: Failure | None


def canonical_bytes(n: Notification) -> bytes:
    """Everything stored for the event, encoded unambiguously."""
    topic = n.topic.encode()
    return (
        _HEAD.pack(n.id, _uuid(n.originator_id).bytes, n.originator_version, len(topic))
        + topic
        + _LENGTH.pack(len(n.state))
        + n.state
    )


class _Suspect(NamedTuple):
    """A position whose event and link disagree, with what is needed to say how."""

    position: int
    reason: Reason
    prev_link: bytes  # the stored link before this position
    link: bytes | None  # the stored link here, if any
    row: Row | None  # the stored event here, if any


@dataclass
class _Walk:
    """One pass over the stored events beside their links, position by position."""

    pending: list[int]  # checkpoint positions not yet settled, ascending
    h: bytes = ZERO_HASH  # the chain recomputed from the stored events
    prev_link: bytes = ZERO_HASH  # the stored link before the current position
    position: int = 0
    events: int = 0
    chain_at: dict[int, bytes] = field(default_factory=dict)
    failure: _Suspect | None = None
    suspects: list[_Suspect] = field(default_factory=list)

    def page(self, rows: Sequence[Row], links: Sequence[Link]) -> None:
        """Walk one range of positions: fast while everything matches."""
        if self.failure is None and self._all_match(rows, links):
            return
        i = j = 0
        while i < len(rows) or j < len(links):
            at_event = rows[i][0] if i < len(rows) else None
            at_link = links[j][0] if j < len(links) else None
            if at_link is None or (at_event is not None and at_event < at_link):
                self._event(rows[i], None)
                i += 1
            elif at_event is None or at_link < at_event:
                self._link_only(links[j])
                j += 1
            else:
                self._event(rows[i], links[j][1])
                i, j = i + 1, j + 1

    def settle(self, before: int) -> None:
        """The recomputed chain at each checkpoint below a position still to come."""
        while self.pending and self.pending[0] < before:
            self.chain_at[self.pending.pop(0)] = self.h

    def first_failure(self) -> Failure | None:
        """The first failing position and the most precise reason the data supports."""
        first = self.failure
        if first is None or first.reason is not Reason.CHANGED or first.row is None:
            return Failure(first.position, first.reason) if first else None
        row = first.row
        came_from_elsewhere = any(
            s.link is not None and _hash(s.prev_link, row, s.position) == s.link
            for s in self.suspects
        )
        went_elsewhere = any(
            s.row is not None
            and _hash(first.prev_link, s.row, first.position) == first.link
            for s in self.suspects
        )
        reason = {
            (True, True): Reason.REORDERED,
            (True, False): Reason.REMOVED,
            (False, True): Reason.INSERTED,
        }.get((came_from_elsewhere, went_elsewhere), Reason.CHANGED)
        return Failure(first.position, reason)

    def _all_match(self, rows: Sequence[Row], links: Sequence[Link]) -> bool:
        positions = list(map(itemgetter(0), rows))
        if not rows or positions != list(map(itemgetter(0), links)):
            return False
        hashes = _chain(rows, self.h)
        if hashes != list(map(itemgetter(1), links)):
            return False
        while self.pending and self.pending[0] <= positions[-1]:
            index = bisect_right(positions, self.pending[0]) - 1
            self.chain_at[self.pending.pop(0)] = hashes[index] if index >= 0 else self.h
        self.h = self.prev_link = hashes[-1]
        self.position, self.events = positions[-1], self.events + len(rows)
        return True

    def _event(self, row: Row, link: bytes | None) -> None:
        position = row[0]
        self.settle(position)
        encoded = _encode(row, position)
        self.h = hashlib.sha256(self.h + encoded).digest()
        self.position, self.events = position, self.events + 1
        if link is None:
            self._suspect(position, Reason.INSERTED, None, row)
            return
        # Before the first failure the recomputed chain is the stored one.
        local = (
            self.h
            if self.failure is None
            else hashlib.sha256(self.prev_link + encoded).digest()
        )
        if local != link:
            self._suspect(position, Reason.CHANGED, link, row)
        self.prev_link = link

    def _link_only(self, link: Link) -> None:
        self._suspect(link[0], Reason.REMOVED, link[1], None)
        self.prev_link = link[1]

    def _suspect(
        self, position: int, reason: Reason, link: bytes | None, row: Row | None
    ) -> None:
        suspect = _Suspect(position, reason, self.prev_link, link, row)
        if self.failure is None:
            self.failure = suspect
        elif len(self.suspects) < MAX_SUSPECTS:
            self.suspects.append(suspect)


def _chain(rows: Sequence[Row], h: bytes) -> list[bytes]:
    """The chain's hashes over these rows, continuing from ``h``: the hot loop.

    It inlines ``_encode`` (a call per row would cost a tenth of the time).
    """
    hashes: list[bytes] = []
    append = hashes.append
    sha256, head, length, fromhex = (
        hashlib.sha256,
        _HEAD.pack,
        _LENGTH.pack,
        bytes.fromhex,
    )
    for row in rows:
        try:
            i, o, v, t, s = row
            o = fromhex(o)
            if len(o) != UUID_BYTES:  # fromhex skips spaces; "16s" would pad
                raise ValueError(o)
            h = sha256(h + head(i, o, v, len(t)) + t + length(len(s)) + s).digest()
        except _MALFORMED:
            h = sha256(h + _encode(row, row[0])).digest()
        append(h)
    return hashes


def _hash(prev: bytes, row: Row, position: int) -> bytes:
    """The chain's hash of the row as if stored at ``position`` after ``prev``."""
    return hashlib.sha256(prev + _encode(row, position)).digest()


def _encode(row: Row, position: int) -> bytes:
    """The row's canonical bytes as if stored at ``position``."""
    try:
        _, o, v, t, s = row
        originator = bytes.fromhex(o)
        if len(originator) != UUID_BYTES:
            raise ValueError(o)
        encoded: bytes = (
            _HEAD.pack(position, originator, v, len(t)) + t + _LENGTH.pack(len(s)) + s
        )
    except _MALFORMED:
        # Read as a canonical encoding this starts with a negative position,
        # which no linked event has: a malformed row matches no link.
        return b"\xffmalformed:" + repr(row).encode()
    return encoded


def _uuid(originator_id: UUID | str) -> UUID:
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
