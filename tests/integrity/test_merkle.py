"""RFC 6962 trees: every transparency-dev vector; our proofs against a direct MTH."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from application.merkle import (
    RightEdge,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    proof_hashes,
    root,
    verify_consistency,
    verify_inclusion,
)

VECTORS = Path(__file__).parent / "vectors" / "rfc6962"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def b64(value: str | None) -> bytes:
    return base64.b64decode(value or "")


def case_id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


@pytest.mark.parametrize("path", INCLUSION, ids=case_id)
def test_every_inclusion_vector(path):
    case = json.loads(path.read_text())
    ok = verify_inclusion(
        case["leafIdx"],
        case["treeSize"],
        b64(case["leafHash"]),
        [b64(p) for p in case["proof"] or []],
        b64(case["root"]),
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("path", CONSISTENCY, ids=case_id)
def test_every_consistency_vector(path):
    case = json.loads(path.read_text())
    ok = verify_consistency(
        case["size1"],
        case["size2"],
        [b64(p) for p in case["proof"] or []],
        b64(case["root1"]),
        b64(case["root2"]),
    )
    assert ok is not case["wantErr"], case["desc"]


def test_the_vectors_are_all_there():
    assert len(INCLUSION) > 50
    assert len(CONSISTENCY) > 50


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962's definition, directly."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def stored_tree(count: int) -> tuple[RightEdge, dict[tuple[int, int], bytes]]:
    edge, nodes = RightEdge(), {}
    for i in range(count):
        for level, index, h in edge.append(leaf_hash(i.to_bytes(4, "big"))):
            nodes[(level, index)] = h
    return edge, nodes


def test_the_known_root_of_the_eight_vector_leaves():
    inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
    inputs.append("606162636465666768696a6b6c6d6e6f")
    edge = RightEdge()
    for data in inputs:
        edge.append(leaf_hash(bytes.fromhex(data)))
    assert edge.root().hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


@given(st.integers(1, 70), st.data())
def test_our_proofs_verify_and_our_roots_are_rfc_6962s(size, data):
    _, nodes = stored_tree(70)
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(70)]
    fetch = lambda keys: {k: nodes[k] for k in keys}  # noqa: E731
    index = data.draw(st.integers(0, size - 1))
    old = data.draw(st.integers(1, size))

    head = root(size, fetch)
    path = proof_hashes(inclusion_ranges(index, size), fetch)
    steps = proof_hashes(consistency_ranges(old, size), fetch)

    assert head == mth(leaves[:size])
    assert verify_inclusion(index, size, leaves[index], path, head)
    assert not verify_inclusion(index, size, leaf_hash(b"forged"), path, head)
    assert verify_consistency(old, size, steps, mth(leaves[:old]), head)
    assert RightEdge.at(size, fetch).root() == head
