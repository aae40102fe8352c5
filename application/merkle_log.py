"""The Merkle log: an RFC 6962 tree over the ledger's log, signed checkpoints, proofs.

The log follower extends the tree (only it writes or signs): each new stored
event becomes a leaf, its complete subtrees are stored, and a checkpoint (a
C2SP signed note over the tree head) is signed at least every 1,000 events
and whenever the head is unsigned and the newest checkpoint is a second old.
Verification (``verify``) never writes or signs: it rebuilds the tree from
the stored events, checks every stored checkpoint's signature and root,
every record's and snapshot's place (with the cipher key, when asked) and
a witness's checkpoint, and says how many events are not yet sealed.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from application.ledger import Ledger
from application.log_check import (
    Checkpoint,
    Failure,
    Head,
    IntegrityReport,
    Leaf,
    Reason,
    Row,
    Walk,
    encode,
    leaf_hashes,
)
from application.merkle import (
    Node,
    Nodes,
    RightEdge,
    consistency_ranges,
    inclusion_ranges,
    proof_hashes,
    root,
    verify_consistency,
)
from application.ports import Clock, IntegritySigner, TreeStore
from application.signed_note import NoteSignature, SignedNote, note_body

logger = logging.getLogger(__name__)

PAGE_SIZE = 5_000
CHECKPOINT_EVERY = 1_000
CHECKPOINT_MAX_AGE = timedelta(seconds=1)
LAST_POSITION = 2**63 - 1
SIGNATURE_ALGORITHM = "Ed25519"


# Proofs keep the nodes this high in memory once read: complete subtrees of
# 1,024 leaves and more, which never change, one for every 512 leaves in all.
# Every proof needs about one a level above it, so a proof reads as many
# nodes from the store, about ten, at any size of tree (read from the store,
# 20 nodes at 1,000,000 leaves against 14 at 10,000 made it 1.63x as slow).
KEPT_LEVEL = 10
MAX_KEPT_NODES = 1 << 20
READ_CHUNK = 400  # nodes a query when first reading them (SQLite caps UNIONs)


class KeptUpperNodes:
    """The store's nodes, those at ``KEPT_LEVEL`` and above read once, then kept."""

    def __init__(self, read: Nodes) -> None:
        self._read = read
        self._kept: dict[Node, bytes] = {}
        self._size = 0  # the upper nodes of a tree this size are all kept
        self._lock = threading.Lock()

    def upto(self, size: int) -> Nodes:
        """The node reader for a tree of ``size`` leaves (its upper nodes kept)."""
        if size > self._size and len(self._kept) < MAX_KEPT_NODES:
            with self._lock:
                self._keep_upto(size)
        return self.nodes

    def nodes(self, keys: Iterable[Node]) -> Mapping[Node, bytes]:
        keys, kept = list(keys), self._kept
        found = {k: kept[k] for k in keys if k in kept}
        missing = [k for k in keys if k not in found]
        if missing:
            found.update(self._read(missing))
        return found

    def _keep_upto(self, size: int) -> None:
        new = [
            (level, index)
            for level in range(KEPT_LEVEL, size.bit_length())
            for index in range(self._size >> level, size >> level)
        ]
        for start in range(0, len(new), READ_CHUNK):
            self._kept.update(self._read(new[start : start + READ_CHUNK]))
        self._size = max(self._size, size)


class ProofRangeError(ValueError):
    """The proof asked for is outside the tree (position or sizes)."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The key that checks checkpoint signatures, for auditors to keep."""

    key_id: str
    algorithm: str
    public_key_pem: str
    origin: str


@dataclass(frozen=True, slots=True)
class InclusionProof:
    position: int
    leaf_index: int
    size: int
    leaf_hash: bytes
    proof: list[bytes]
    root: bytes


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    old: int
    new: int
    proof: list[bytes]
    old_root: bytes
    new_root: bytes


class MerkleLog:
    """Extends the tree over the ledger's log, signs its heads, proves and verifies."""

    def __init__(
        self, ledger: Ledger, store: TreeStore, signer: IntegritySigner, clock: Clock
    ) -> None:
        self.ledger = ledger
        self.store = store
        self.signer = signer
        self.clock = clock
        self._edge: RightEdge | None = None
        self._lock = threading.Lock()
        self._proof_nodes = KeptUpperNodes(store.nodes)

    # Extending (the log follower only)

    def extend(self) -> int:
        """Add every new stored event as a leaf; sign by the rule. How many added."""
        with self._lock:
            edge, self._edge = self._current_edge(), None
            last = self.store.last_leaf()
            after = last[1] if last else 0
            newest = self.store.last_checkpoint()
            signed = newest.size if newest else 0
            added = 0
            while True:
                rows = self.store.rows(after, LAST_POSITION, PAGE_SIZE)
                leaves, nodes, checkpoints = [], [], []
                for row, h in zip(rows, leaf_hashes(rows), strict=True):
                    leaves.append((edge.size, row[0], h))
                    nodes += [n for n in edge.append(h) if n[0] > 0]
                    if edge.size - signed >= CHECKPOINT_EVERY:
                        checkpoints.append(self._sign(edge, row[0]))
                        signed = edge.size
                if len(rows) < PAGE_SIZE and edge.size > signed and self._due(newest):
                    checkpoints.append(self._sign(edge, rows[-1][0] if rows else after))
                self.store.add(leaves, nodes, checkpoints)
                for checkpoint in checkpoints:
                    logger.info(
                        "checkpoint signed",
                        extra={
                            "tree_size": checkpoint.size,
                            "position": checkpoint.position,
                            "root": checkpoint.root.hex(),
                        },
                    )
                added += len(rows)
                if rows:
                    after = rows[-1][0]
                if len(rows) < PAGE_SIZE:
                    self._edge = edge
                    return added

    def _current_edge(self) -> RightEdge:
        size = self.store.size()
        if self._edge is not None and self._edge.size == size:
            return self._edge
        return RightEdge.at(size, self.store.nodes)

    def _due(self, newest: Checkpoint | None) -> bool:
        return (
            newest is None or self.clock.now() - newest.signed_at >= CHECKPOINT_MAX_AGE
        )

    def _sign(self, edge: RightEdge, position: int) -> Checkpoint:
        origin = self.signer.origin
        body = note_body(origin, edge.size, edge.root())
        signature = NoteSignature(origin, self.signer.key_id, self.signer.sign(body))
        note = SignedNote(origin, edge.size, edge.root(), (signature,))
        return Checkpoint(note, position, self.clock.now())

    # Reading: checkpoints, proofs, the key

    def checkpoint(self) -> Checkpoint | None:
        """The newest signed checkpoint."""
        return self.store.last_checkpoint()

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        """Signed checkpoints over trees larger than ``after``, oldest first."""
        return self.store.checkpoints(after, limit)

    def inclusion(self, position: int, size: int) -> InclusionProof:
        """The audit path of the event at ``position`` in the tree of ``size``."""
        leaf = self.store.leaf_at(position)
        if leaf is None or size > self.store.size() or leaf[0] >= size:
            raise ProofRangeError(f"position {position} in size {size}")
        nodes = self._proof_nodes.upto(size)
        path = proof_hashes(inclusion_ranges(leaf[0], size), nodes)
        return InclusionProof(position, leaf[0], size, leaf[2], path, root(size, nodes))

    def consistency(self, old: int, new: int) -> ConsistencyProof:
        """The proof that the tree of ``new`` leaves extends that of ``old``."""
        if not 0 < old <= new or new > self.store.size():
            raise ProofRangeError(f"from {old} to {new}")
        nodes = self._proof_nodes.upto(new)
        path = proof_hashes(consistency_ranges(old, new), nodes)
        old_root, new_root = root(old, nodes), root(new, nodes)
        return ConsistencyProof(old, new, path, old_root, new_root)

    def proven(
        self, positions: Sequence[int], size: int
    ) -> dict[int, tuple[bytes, InclusionProof]]:
        """Each sealed event's stored bytes (canonical) and its audit path."""
        if not positions:
            return {}
        rows = self.store.rows(min(positions) - 1, max(positions), LAST_POSITION)
        stored = {row[0]: encode(row) for row in rows}
        out = {}
        for position in positions:
            try:
                proof = self.inclusion(position, size)
            except ProofRangeError:
                continue  # after the checkpoint: not sealed yet
            out[position] = (stored[position], proof)
        return out

    def public_key(self) -> PublicKey:
        """The public key that checks the checkpoints' signatures."""
        return PublicKey(
            self.signer.key_id.hex(),
            SIGNATURE_ALGORITHM,
            self.signer.public_key_pem(),
            self.signer.origin,
        )

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    # Verifying (read-only)

    def verify(
        self, *, decrypt: bool = True, witness: SignedNote | None = None
    ) -> IntegrityReport:
        """Recompute the tree from the stored events; check everything. Never writes."""
        checkpoints = self.store.checkpoints()
        last = self.store.last_leaf()
        sizes = sorted(
            {c.size for c in checkpoints} | ({witness.size} if witness else set())
        )
        walk = Walk(sizes, last[1] if last else 0)
        unopened: list[Failure] = []  # records that do not decrypt in place
        for rows, leaves in self._pages(last[1] if last else 0):
            walk.page(rows, leaves)
            if decrypt and not unopened:
                unopened = self._unopened(rows)
        # At one position, what the tree says is the most precise reason.
        walked = walk.first_failure()
        failures: list[Failure] = [walked] if walked else []
        failures += unopened
        if decrypt:
            failures += self._forged_snapshots()
        verified: list[Checkpoint] = []
        for checkpoint in checkpoints:
            reason = self._checkpoint_failure(checkpoint, walk)
            if reason is None:
                verified.append(checkpoint)
            else:
                failures.append(Failure(checkpoint.position, reason))
        if witness is not None and walk.root_at(witness.size) != witness.root:
            failures.append(Failure(walk.last_event, Reason.TRUNCATED))
        first = min(failures, default=None, key=lambda f: f.position)
        sealed = verified[-1].size if verified else 0
        return IntegrityReport(
            ok=first is None,
            events_verified=sealed,
            unsealed=walk.edge.size - sealed,
            head=Head(walk.edge.size, walk.edge.root()),
            checkpoints_verified=len(verified),
            first_failure=first,
            newest_verified=verified[-1] if verified else None,
        )

    def _pages(self, tree_end: int) -> Iterator[tuple[Sequence[Row], Sequence[Leaf]]]:
        """Stored events and stored leaves over the same ranges of positions."""
        after = 0
        while True:
            rows = self.store.rows(after, LAST_POSITION, PAGE_SIZE)
            full = len(rows) == PAGE_SIZE
            upto = rows[-1][0] if full else max(tree_end, rows[-1][0] if rows else 0)
            yield rows, self.store.leaves(after, upto)
            if not full:
                return
            after = upto

    def _unopened(self, rows: Sequence[Row]) -> list[Failure]:
        for position, originator, version, topic, state in rows:
            if not self._opens(originator, version, topic, state, snapshot=False):
                return [Failure(position, Reason.MOVED_OR_FORGED)]
        return []

    def _forged_snapshots(self) -> list[Failure]:
        after: tuple[str, int] = ("", -(2**63))
        while rows := self.store.snapshot_rows(after, PAGE_SIZE):
            for _, originator, version, topic, state in rows:
                if not self._opens(originator, version, topic, state, snapshot=True):
                    position = self.store.position_of(originator, version)
                    return [Failure(position, Reason.SNAPSHOT_FORGED)]
            after = (rows[-1][1], rows[-1][2])
        return []

    def _opens(
        self,
        originator: str,
        version: int,
        topic: bytes | str,
        state: bytes,
        *,
        snapshot: bool,
    ) -> bool:
        try:
            aggregate_id = UUID(str(originator))
            name = (
                topic.decode()
                if isinstance(topic, bytes | bytearray | memoryview)
                else topic
            )
        except (ValueError, UnicodeDecodeError):
            return False
        return self.ledger.opens_in_place(
            aggregate_id, version, str(name), bytes(state), snapshot=snapshot
        )

    def _checkpoint_failure(self, checkpoint: Checkpoint, walk: Walk) -> Reason | None:
        note = checkpoint.note
        if not any(
            self.signer.verify(note.body, s.signature, s.key_name, s.key_id)
            for s in note.signatures
        ):
            return Reason.BAD_SIGNATURE
        recomputed = walk.root_at(note.size)
        if recomputed is None:
            return Reason.TRUNCATED
        if recomputed != note.root:
            return Reason.CHECKPOINT_MISMATCH
        return None


def witness_extends(log: MerkleLog, witnessed: SignedNote, newest: Checkpoint) -> bool:
    """Whether the newest checkpoint provably extends a witnessed one."""
    if witnessed.size > newest.size:
        return False
    try:
        proof = log.consistency(witnessed.size, newest.size)
    except ProofRangeError:
        return False
    return verify_consistency(
        witnessed.size, newest.size, proof.proof, witnessed.root, newest.root
    )


def b64(value: bytes) -> str:
    """Hashes travel as base64."""
    return base64.b64encode(value).decode("ascii")
