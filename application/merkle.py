"""RFC 6962 Merkle trees: hashes, an incremental right edge, proofs and their checks.

Nodes are addressed ``(level, index)``: the complete subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``. A log keeps every complete
node once (appending adds at most log n of them), so any root or proof needs
only O(log n) stored nodes: every range an RFC 6962 proof names splits into
at most log n complete subtrees. Verification follows RFC 9162, section 2.1,
as the transparency-dev/merkle test vectors expect.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

Node = tuple[int, int]  # (level, index)
Nodes = Callable[[Iterable[Node]], Mapping[Node, bytes]]

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_BYTES = 32


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def blocks(start: int, end: int) -> list[Node]:
    """The complete subtrees that make up ``[start, end)``, left to right.

    ``start`` is aligned as in every range RFC 6962 names (a multiple of the
    largest power of two not above ``end - start``).
    """
    out: list[Node] = []
    while start < end:
        size = end - start
        level = size.bit_length() - 1
        if start:  # no larger than the alignment of ``start`` allows
            level = min(level, (start & -start).bit_length() - 1)
        out.append((level, start >> level))
        start += 1 << level
    return out


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """``MTH(D[start:end])`` from the complete subtrees that make it up."""
    parts = [nodes[b] for b in blocks(start, end)]
    h = parts[-1]
    for part in reversed(parts[:-1]):
        h = node_hash(part, h)
    return h


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make the audit path of leaf ``index``, in order."""
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return list(reversed(ranges))


def consistency_ranges(old: int, new: int) -> list[tuple[int, int]]:
    """The ranges whose hashes make the consistency proof from ``old`` to ``new``."""
    ranges: list[tuple[int, int]] = []
    start, end, complete = 0, new, True
    m = old
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            complete = False
    if not complete:
        ranges.append((start, end))
    return list(reversed(ranges))


def proof_hashes(ranges: Sequence[tuple[int, int]], nodes: Nodes) -> list[bytes]:
    """The hashes of the ranges, fetching every node they need at once."""
    needed = {b for start, end in ranges for b in blocks(start, end)}
    found = nodes(needed)
    return [range_hash(start, end, found) for start, end in ranges]


def root(size: int, nodes: Nodes) -> bytes:
    """The tree head of the first ``size`` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return proof_hashes([(0, size)], nodes)[0]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root_hash: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash at ``index`` in the tree of ``size``."""
    if index >= size or index < 0 or len(leaf) != HASH_BYTES:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root_hash


def verify_consistency(
    old: int, new: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> bool:
    """Whether ``proof`` shows the tree of ``new`` leaves extends that of ``old``."""
    if old > new or old <= 0:
        return False  # an empty tree is extended by anything: no proof of that
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is a node of the new
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root


class RightEdge:
    """The incremental tree's right edge: the complete subtrees of its last leaves.

    Appending a leaf returns the complete nodes it finishes (the leaf itself
    and up to log n parents), which a store keeps; the root needs only the
    edge.
    """

    def __init__(self, size: int = 0, edge: Sequence[bytes] = ()) -> None:
        self.size = size
        # One hash per set bit of ``size``, largest subtree first.
        self.edge = list(edge)

    @classmethod
    def at(cls, size: int, nodes: Nodes) -> RightEdge:
        """The edge of a stored tree of ``size`` leaves."""
        parts = blocks(0, size)
        found = nodes(parts)
        return cls(size, [found[b] for b in parts])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; the complete nodes ``(level, index, hash)`` it makes."""
        made = [(0, self.size, leaf)]
        h, level, index = leaf, 0, self.size
        while index & 1:
            h = node_hash(self.edge.pop(), h)
            level, index = level + 1, index >> 1
            made.append((level, index, h))
        self.edge.append(h)
        self.size += 1
        return made

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Append many leaf hashes, keeping only the edge (the verifier's hot loop)."""
        edge, size, sha256 = self.edge, self.size, hashlib.sha256
        pop, push = edge.pop, edge.append
        for h in leaves:
            index = size
            while index & 1:
                h = sha256(b"\x01" + pop() + h).digest()
                index >>= 1
            push(h)
            size += 1
        self.size = size

    def root(self) -> bytes:
        """The root over every leaf appended so far."""
        if not self.edge:
            return EMPTY_ROOT
        h = self.edge[-1]
        for part in reversed(self.edge[:-1]):
            h = node_hash(part, h)
        return h
