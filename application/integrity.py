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

import logging
import threading
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import itemgetter

from application.integrity_check import (
    ZERO_HASH,
    Checkpoint,
    Failure,
    Head,
    IntegrityReport,
    Link,
    Reason,
    Row,
    _chain,
    _uuid,
    _Walk,
)
from application.ledger import Ledger
from application.ports import ChainStore, Clock, IntegritySigner, StoredLog

logger = logging.getLogger(__name__)

PAGE_SIZE = 5_000
CHECKPOINT_EVERY = 1_000
CHECKPOINT_MAX_AGE = timedelta(seconds=1)
LAST_POSITION = 2**63 - 1
SIGNATURE_ALGORITHM = "Ed25519"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The key that checks checkpoint signatures, for auditors to keep."""

    key_id: str
    algorithm: str
    public_key_pem: str


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
        if not self.signer.verify(message, checkpoint.signature, checkpoint.key_id):
            return Reason.BAD_SIGNATURE
        if chain_at.get(checkpoint.position) != checkpoint.hash:
            return Reason.CHECKPOINT_MISMATCH
        return None
