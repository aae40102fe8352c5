"""Tamper evidence: a hash chain over the ledger's log, with signed checkpoints.

Each stored event is hashed together with the hash before it:
``h(n) = SHA-256(h(prev) || canonical_bytes(n))``, where ``h`` before the
first event is 32 zero bytes. Only stored bytes are hashed (the state is
ciphertext), so the chain is checked without the cipher key. One link
``(position, h)`` is kept per event. Checkpoints ``(position, h)`` are signed
with an Ed25519 key that lives outside the database; the signed message is
``sellerguard-checkpoint:v1:<position>:<hash hex>:<signed_at>`` (UTF-8, the
time as the API shows it, e.g. ``2026-11-22T15:04:05.123456Z``).

Extending and verifying read the log as raw rows through a ``StoredLog``: the
store's own columns, undecoded (fast, ``infrastructure.chain_store``), or by
default the library's ``select_notifications`` pages (``RecorderLog``). Both
encode a row exactly as ``canonical_bytes`` encodes its notification.

Checkpoint rule: while linking, a checkpoint is signed at the first event at
least 1,000 positions after the newest checkpoint (positions may have gaps,
so never more than 1,000 events lie between two checkpoints); and whenever
the head is not signed and the newest checkpoint is a minute old, or there is
none, the head is signed. So while events arrive and something extends the chain
every few seconds (``IntegrityChain.follow``; also the audit endpoint and the
CLI extend first), checkpoints come at least every 1,000 events and at least
once a minute, and no linked event stays unsigned much longer than a minute.
"""

from __future__ import annotations

import hashlib
import logging
import struct
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from operator import itemgetter
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification

from application.ledger import Ledger
from application.ports import Clock

logger = logging.getLogger(__name__)

ZERO_HASH = bytes(32)
PAGE_SIZE = 5_000
CHECKPOINT_EVERY = 1_000
CHECKPOINT_MAX_AGE = timedelta(minutes=1)
FOLLOW_INTERVAL = 5.0
MAX_SUSPECTS = 10_000
UUID_BYTES = 16
LAST_POSITION = 2**63 - 1
SIGNATURE_ALGORITHM = "Ed25519"

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


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The key that checks checkpoint signatures, for auditors to keep."""

    key_id: str
    algorithm: str
    public_key_pem: str


class IntegritySigner(Protocol):
    """Signs checkpoints with a key kept outside the database."""

    @property
    def key_id(self) -> str:
        """A short, stable name of the key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of the message."""
        ...

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether the signature is this key's signature of the message."""
        ...

    def public_key_pem(self) -> str:
        """The public key, PEM (SubjectPublicKeyInfo)."""
        ...


class ChainStore(Protocol):
    """Keeps one link per position and the signed checkpoints; inserts are idempotent.

    Several processes may extend the chain at once: they compute the same
    links, and a position already stored is left as it is.
    """

    def last_link(self) -> Link | None:
        """The link at the highest position, if any."""
        ...

    def links(self, after: int, upto: int) -> Sequence[Link]:
        """The links at positions in ``(after, upto]``, in order."""
        ...

    def add(self, links: Sequence[Link], checkpoints: Sequence[Checkpoint]) -> None:
        """Store links and checkpoints in one transaction, skipping stored positions."""
        ...

    def last_checkpoint(self) -> Checkpoint | None:
        """The checkpoint at the highest position, if any."""
        ...

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        """Checkpoints at positions above ``after``, in order."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


class StoredLog(Protocol):
    """The ledger's stored events as raw rows, read without decoding."""

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        """At most ``limit`` rows at positions in ``(after, upto]``, in order."""
        ...


def canonical_bytes(n: Notification) -> bytes:
    """Everything stored for the event, encoded unambiguously."""
    topic = n.topic.encode()
    return (
        _HEAD.pack(n.id, _uuid(n.originator_id).bytes, n.originator_version, len(topic))
        + topic
        + _LENGTH.pack(len(n.state))
        + n.state
    )


def checkpoint_message(position: int, hash_hex: str, signed_at: datetime) -> bytes:
    """The bytes a checkpoint's signature covers."""
    at = signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"sellerguard-checkpoint:v1:{position}:{hash_hex}:{at}".encode()


class RecorderLog:
    """The stored log read through the library's recorder: any store, slower."""

    def __init__(self, ledger: Ledger) -> None:
        self.recorder = ledger.recorder

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        return [
            (
                n.id,
                _uuid(n.originator_id).hex,
                n.originator_version,
                n.topic.encode(),
                n.state,
            )
            for n in self.recorder.select_notifications(
                after, limit, stop=upto, inclusive_of_start=False
            )
        ]


@dataclass
class _Tip:
    """Where extending stands: the last link and the newest checkpoint."""

    position: int
    hash: bytes
    signed_position: int
    signed_at: datetime | None


class IntegrityChain:
    """Links the ledger's events into the chain, signs checkpoints, verifies it all."""

    def __init__(
        self,
        ledger: Ledger,
        store: ChainStore,
        signer: IntegritySigner,
        clock: Clock,
        log: StoredLog | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.signer = signer
        self.clock = clock
        self.log: StoredLog = log or RecorderLog(ledger)
        self._lock = threading.Lock()

    def extend(self) -> int:
        """Link every event after the last link, signing checkpoints by the rule.

        Returns how many links this call added.
        """
        with self._lock:
            tip = self._tip()
            added = 0
            while True:
                rows = self.log.rows(tip.position, LAST_POSITION, PAGE_SIZE)
                links, checkpoints = self._link(rows, tip)
                self.store.add(links, checkpoints + self._head_checkpoint(tip))
                added += len(links)
                if len(rows) < PAGE_SIZE:
                    return added

    def follow(self, stop: threading.Event, interval: float = FOLLOW_INTERVAL) -> None:
        """Extend every ``interval`` seconds until ``stop`` is set.

        This is what keeps the once-a-minute promise while events arrive.
        Errors are logged and retried, so a follower never dies quietly.
        """
        while not stop.is_set():
            try:
                self.extend()
            except Exception:
                logger.exception("integrity chain: extending failed; retrying")
            stop.wait(interval)

    def verify(self) -> IntegrityReport:
        """Recompute the chain from the stored events; check links and checkpoints."""
        checkpoints = self.store.checkpoints()
        last = self.store.last_link()
        stop = max(
            last[0] if last else 0, checkpoints[-1].position if checkpoints else 0
        )
        walk = _Walk([c.position for c in checkpoints])
        for rows, links in self._pages(stop):
            walk.page(rows, links)
        walk.settle(stop + 1)
        return self._report(walk, checkpoints)

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        """Signed checkpoints after a position, oldest first."""
        return self.store.checkpoints(after, limit)

    def public_key(self) -> PublicKey:
        """The public key that checks the checkpoints' signatures."""
        return PublicKey(
            self.signer.key_id, SIGNATURE_ALGORITHM, self.signer.public_key_pem()
        )

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def _tip(self) -> _Tip:
        position, hash_ = self.store.last_link() or (0, ZERO_HASH)
        newest = self.store.last_checkpoint()
        if newest is None:
            return _Tip(position, hash_, 0, None)
        return _Tip(position, hash_, newest.position, newest.signed_at)

    def _link(
        self, rows: Sequence[Row], tip: _Tip
    ) -> tuple[list[Link], list[Checkpoint]]:
        positions = list(map(itemgetter(0), rows))
        hashes = _chain(rows, tip.hash)
        checkpoints: list[Checkpoint] = []
        while True:
            due = bisect_left(positions, tip.signed_position + CHECKPOINT_EVERY)
            if due == len(positions):
                break
            checkpoints.append(self._sign(tip, positions[due], hashes[due]))
        if rows:
            tip.position, tip.hash = positions[-1], hashes[-1]
        return list(zip(positions, hashes, strict=True)), checkpoints

    def _head_checkpoint(self, tip: _Tip) -> list[Checkpoint]:
        """The head's checkpoint, when it is unsigned and the newest is a minute old."""
        if tip.position <= tip.signed_position:
            return []
        if (
            tip.signed_at is not None
            and self.clock.now() - tip.signed_at < CHECKPOINT_MAX_AGE
        ):
            return []
        return [self._sign(tip, tip.position, tip.hash)]

    def _sign(self, tip: _Tip, position: int, hash_: bytes) -> Checkpoint:
        at = self.clock.now()
        signature = self.signer.sign(checkpoint_message(position, hash_.hex(), at))
        tip.signed_position, tip.signed_at = position, at
        return Checkpoint(position, hash_, at, signature, self.signer.key_id)

    def _pages(self, stop: int) -> Iterator[tuple[Sequence[Row], Sequence[Link]]]:
        """Stored rows and stored links over the same ranges of positions."""
        after = 0
        while after < stop:
            rows = self.log.rows(after, stop, PAGE_SIZE)
            upto = rows[-1][0] if len(rows) == PAGE_SIZE else stop
            yield rows, self.store.links(after, upto)
            after = upto

    def _report(self, walk: _Walk, checkpoints: list[Checkpoint]) -> IntegrityReport:
        verified: list[int] = []
        failures: list[tuple[int, int, Reason]] = []
        for checkpoint in checkpoints:
            reason = self._checkpoint_failure(checkpoint, walk.chain_at)
            if reason is None:
                verified.append(checkpoint.position)
            else:
                failures.append((checkpoint.position, 1, reason))
        link_failure = walk.first_failure()
        if link_failure is not None:
            # A signed checkpoint at or after it that matches the stored
            # events proves the events intact: the links were altered.
            intact = any(p >= link_failure.position for p in verified)
            reason = Reason.LINK_MISMATCH if intact else link_failure.reason
            failures.append((link_failure.position, 0, reason))
        first = min(failures, default=None)
        return IntegrityReport(
            ok=first is None,
            events_verified=walk.events,
            head=Head(walk.position, walk.h.hex()) if walk.events else None,
            checkpoints_verified=len(verified),
            first_failure=Failure(first[0], first[2]) if first else None,
        )

    def _checkpoint_failure(
        self, checkpoint: Checkpoint, chain_at: dict[int, bytes]
    ) -> Reason | None:
        message = checkpoint_message(
            checkpoint.position, checkpoint.hash.hex(), checkpoint.signed_at
        )
        if checkpoint.key_id != self.signer.key_id or not self.signer.verify(
            message, checkpoint.signature
        ):
            return Reason.BAD_SIGNATURE
        if chain_at.get(checkpoint.position) != checkpoint.hash:
            return Reason.CHECKPOINT_MISMATCH
        return None


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
