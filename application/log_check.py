"""Checking the log against its Merkle tree: canonical leaves, the walk, the report.

Leaf *n* is the canonical encoding of the stored event *n* as stored
(ciphertext: no key needed): position, originator id, version, topic and
state, with fixed widths and length prefixes, so no two different stored
events encode alike. The walk reads the stored events beside the stored
leaves, position by position, rebuilds the tree from the events alone and
names the first place where they disagree, with the most precise reason.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from hashlib import sha256
from typing import Any, NamedTuple
from uuid import UUID

from application.merkle import RightEdge, leaf_hash
from application.signed_note import SignedNote

MAX_SUSPECTS = 10_000
UUID_BYTES = 16

_HEAD = struct.Struct(">q16sqQ")
_LENGTH = struct.Struct(">Q")
_MALFORMED = (TypeError, ValueError, struct.error, OverflowError, AttributeError)

# A stored event as raw columns: position, originator id (32 hex digits),
# originator version, topic (UTF-8 bytes) and state, as stored.
Row = tuple[int, Any, Any, Any, Any]
# A stored leaf: leaf index, position, leaf hash.
Leaf = tuple[int, int, bytes]


class Reason(StrEnum):
    """Why verification failed at a position (API.md's list)."""

    CHANGED = "changed"  # the event there is not the one the tree has there
    REMOVED = "removed"  # the event the tree has there is gone
    INSERTED = "inserted"  # an event is there that the tree does not have
    REORDERED = "reordered"  # the event there belongs at another position
    MOVED_OR_FORGED = "moved_or_forged"  # it does not decrypt in its place
    SNAPSHOT_FORGED = "snapshot_forged"  # a snapshot does not decrypt in its place
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # signed root != recomputed root
    BAD_SIGNATURE = "bad_signature"  # the checkpoint's signature does not verify
    TRUNCATED = "truncated"  # the log ends before what was signed or witnessed


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed tree head: the note, and where and when it was signed."""

    note: SignedNote
    position: int  # of the last event it covers
    signed_at: datetime

    @property
    def size(self) -> int:
        return self.note.size

    @property
    def root(self) -> bytes:
        return self.note.root


class Head(NamedTuple):
    """The tree over every stored event: its size and root."""

    size: int
    root: bytes


class Failure(NamedTuple):
    """The first position where verification failed, and why."""

    position: int
    reason: Reason


@dataclass(frozen=True, slots=True)
class IntegrityReport:
    """What verification found."""

    ok: bool
    events_verified: int
    unsealed: int
    head: Head
    checkpoints_verified: int
    first_failure: Failure | None
    newest_verified: Checkpoint | None = None


def encode(row: Row, position: int | None = None) -> bytes:
    """The row's canonical bytes (as if stored at ``position``, when given)."""
    try:
        p, o, v, t, s = row
        originator = bytes.fromhex(o) if isinstance(o, str) else UUID(str(o)).bytes
        if len(originator) != UUID_BYTES:
            raise ValueError(o)
        at = p if position is None else position
        encoded: bytes = (
            _HEAD.pack(at, originator, v, len(t)) + t + _LENGTH.pack(len(s)) + s
        )
    except _MALFORMED:
        # Starts like a negative position, which no stored event has.
        return b"\xffmalformed:" + repr(row).encode()
    return encoded


def leaf_hashes(rows: Sequence[Row]) -> list[bytes]:
    """The leaf hashes of the rows: the hot loop (``encode`` inlined)."""
    out: list[bytes] = []
    append, head, length, fromhex = out.append, _HEAD.pack, _LENGTH.pack, bytes.fromhex
    for row in rows:
        try:
            i, o, v, t, s = row
            o = fromhex(o)
            if len(o) != UUID_BYTES:
                raise ValueError(o)
            append(
                sha256(
                    b"\x00" + head(i, o, v, len(t)) + t + length(len(s)) + s
                ).digest()
            )
        except _MALFORMED:
            append(leaf_hash(encode(row)))
    return out


class _Suspect(NamedTuple):
    position: int
    reason: Reason
    stored: bytes | None  # the stored leaf hash there, if any
    row: Row | None  # the stored event there, if any


@dataclass
class Walk:
    """One pass over the stored events beside the stored leaves."""

    sizes: list[int]  # tree sizes whose recomputed roots are wanted, ascending
    tree_end: int  # the position of the last stored leaf (0: none)
    edge: RightEdge = field(default_factory=RightEdge)
    roots: dict[int, bytes] = field(default_factory=dict)
    failure: _Suspect | None = None
    suspects: list[_Suspect] = field(default_factory=list)
    last_event: int = 0

    def page(self, rows: Sequence[Row], leaves: Sequence[Leaf]) -> None:
        """Walk one range of positions: fast while everything matches."""
        hashes = leaf_hashes(rows)
        if (
            self.failure is None
            and len(rows) == len(leaves)
            and all(r[0] == f[1] for r, f in zip(rows, leaves, strict=True))
            and hashes == [f[2] for f in leaves]
        ):
            self._extend(hashes)
            if rows:
                self.last_event = rows[-1][0]
            return
        stored = {f[1]: f[2] for f in leaves}
        seen = set()
        for row, h in zip(rows, hashes, strict=True):
            position = row[0]
            seen.add(position)
            self._event(row, h, stored.get(position))
        for leaf in leaves:
            if leaf[1] not in seen:
                self._suspect(leaf[1], Reason.REMOVED, leaf[2], None)

    def root_at(self, size: int) -> bytes | None:
        """The recomputed root at that size, if the log is that long."""
        return self.roots.get(size)

    def first_failure(self) -> Failure | None:
        """The first failing position and the most precise reason for it."""
        first = self.failure
        if first is None:
            return None
        if first.reason is Reason.REMOVED and first.position > self.last_event:
            return Failure(first.position, Reason.TRUNCATED)
        if first.reason is not Reason.CHANGED or first.row is None:
            return Failure(first.position, first.reason)
        row = first.row
        came_from_elsewhere = any(
            s.stored is not None and leaf_hash(encode(row, s.position)) == s.stored
            for s in self.suspects
        )
        went_elsewhere = any(
            s.row is not None
            and leaf_hash(encode(s.row, first.position)) == first.stored
            for s in self.suspects
        )
        reason = {
            (True, True): Reason.REORDERED,
            (True, False): Reason.REMOVED,
            (False, True): Reason.INSERTED,
        }.get((came_from_elsewhere, went_elsewhere), Reason.CHANGED)
        return Failure(first.position, reason)

    def _extend(self, hashes: Sequence[bytes]) -> None:
        """Append many, stopping at each size whose root is wanted."""
        done = 0
        while self.sizes and self.sizes[0] <= self.edge.size + len(hashes) - done:
            cut = self.sizes[0] - self.edge.size + done
            self.edge.extend(hashes[done:cut])
            done = cut
            self.roots[self.sizes.pop(0)] = self.edge.root()
        self.edge.extend(hashes[done:])

    def _append(self, h: bytes) -> None:
        self.edge.append(h)
        if self.sizes and self.sizes[0] == self.edge.size:
            self.roots[self.sizes.pop(0)] = self.edge.root()

    def _event(self, row: Row, h: bytes, stored: bytes | None) -> None:
        self._append(h)
        self.last_event = row[0]
        if stored is None:
            if row[0] <= self.tree_end:  # after the tree's end: not yet a leaf
                self._suspect(row[0], Reason.INSERTED, None, row)
        elif h != stored:
            self._suspect(row[0], Reason.CHANGED, stored, row)

    def _suspect(
        self, position: int, reason: Reason, stored: bytes | None, row: Row | None
    ) -> None:
        suspect = _Suspect(position, reason, stored, row)
        if self.failure is None or position < self.failure.position:
            if self.failure is not None:
                self.suspects.append(self.failure)
            self.failure = suspect
        elif len(self.suspects) < MAX_SUSPECTS:
            self.suspects.append(suspect)
