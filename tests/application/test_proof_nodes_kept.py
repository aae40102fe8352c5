"""Proofs from a tree whose upper nodes are kept in memory: the same proofs.

The nodes a proof needs at ``KEPT_LEVEL`` and above are read once and kept
(they never change once complete). Here that level is 1, so nearly every
node is kept, and the tree grows between proofs: each inclusion and
consistency proof must still verify against the root the store gives.
SQLite and PostgreSQL.
"""

from __future__ import annotations

from application import merkle_log
from application.merkle import root, verify_consistency, verify_inclusion
from domain.actor import Actor, ActorKind
from interface.composition import Services

OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")


def grow(services: Services, keys: int, start: int) -> int:
    """Record events (service keys), extend the tree; its size."""
    for n in range(start, start + keys):
        services.platform_people.create_service_key(
            f"svc{n}", ["authz:check"], OPERATOR
        )
    while services.integrity.extend():
        pass
    return int(services.integrity.store.size())  # type: ignore[attr-defined]


def test_proofs_verify_while_the_tree_grows_with_its_upper_nodes_kept(
    services: Services, monkeypatch
):
    monkeypatch.setattr(merkle_log, "KEPT_LEVEL", 1)
    integrity = services.integrity
    store = integrity.store  # type: ignore[attr-defined]
    sizes: list[int] = []
    for round_ in range(3):
        size = grow(services, 9, 9 * round_)
        sizes.append(size)
        head = root(size, store.nodes)  # straight from the store
        for position in range(1, services.ledger.last_position() + 1):
            leaf = store.leaf_at(position)
            if leaf is None or leaf[0] >= size:
                continue
            proof = integrity.inclusion(position, size)
            assert proof.root == head
            assert verify_inclusion(
                proof.leaf_index, size, proof.leaf_hash, proof.proof, head
            )
        for old in range(1, size + 1):
            steps = integrity.consistency(old, size)
            assert steps.new_root == head
            assert steps.old_root == root(old, store.nodes)
            assert verify_consistency(old, size, steps.proof, steps.old_root, head)
    assert sizes[0] < sizes[1] < sizes[2]
