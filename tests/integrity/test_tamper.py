"""The tamper suite: every attack by someone with the database but no key file.

Each test edits the real SQLite files or PostgreSQL tables with SQL alone,
then verification (read-only) names the first position and the reason.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from application.log_check import Reason
from application.merkle import verify_consistency
from application.merkle_log import MerkleLog, ProofRangeError
from application.signed_note import parse
from domain.actor import Actor, ActorKind
from domain.username import Username
from domain.username_index import UsernameIndex
from tests.integrity.raw_store import RawStore

ACTOR = Actor(ActorKind.SYSTEM, "test:tamper")
NAMESPACE = uuid4()
PER_SAVE = 500


def record(services: Any, count: int) -> list[int]:
    """Save ``count`` events fast (username claims); their positions."""
    at = services.clock.now()
    claims = [
        UsernameIndex.claim(
            Username(f"u{uuid4().hex[:24]}"), NAMESPACE, uuid4(), "seller", ACTOR, at
        )
        for _ in range(count)
    ]
    positions: list[int] = []
    for start in range(0, count, PER_SAVE):
        recordings = services.ledger.save(*claims[start : start + PER_SAVE])
        positions += [r.notification.id for r in recordings]
    return positions


def sealed(services: Any, count: int) -> list[int]:
    """Events recorded, added to the tree and signed (as the follower does)."""
    positions = record(services, count)
    services.clock.advance(seconds=2)
    services.integrity.extend()
    return positions


@pytest.fixture
def log(services: Any) -> MerkleLog:
    return services.integrity


@pytest.fixture
def raw(settings: Any) -> Iterator[RawStore]:
    store = RawStore(settings)
    yield store
    store.close()


def failure(log: MerkleLog) -> tuple[int, str] | None:
    report = log.verify()
    assert report.ok is (report.first_failure is None)
    return report.first_failure


def test_an_untouched_log_verifies_and_counts_what_is_not_yet_signed(log, services):
    sealed(services, 40)
    record(services, 5)

    report = log.verify()

    assert report.ok
    assert report.events_verified == 40
    assert report.unsealed == 5
    assert report.head.size == 45
    assert report.checkpoints_verified >= 1


def test_verification_never_writes_or_signs(log, services, raw):
    sealed(services, 10)
    record(services, 10)
    before = raw.tree_counts()

    log.verify()

    assert raw.tree_counts() == before
    assert log.checkpoint().size == 10


def test_a_byte_changed_is_reported_changed_at_its_position(log, services, raw):
    positions = sealed(services, 30)

    raw.flip_state_byte(positions[12])

    assert failure(log) == (positions[12], Reason.CHANGED)


def test_a_row_deleted_is_reported_removed(log, services, raw):
    positions = sealed(services, 30)

    raw.delete(positions[7])

    assert failure(log) == (positions[7], Reason.REMOVED)


def test_a_row_inserted_among_signed_ones_is_reported_inserted(log, services, raw):
    positions = sealed(services, 30)

    raw.shift(positions[10], 1)
    raw.insert_copy(positions[10], like=positions[3])

    assert failure(log) == (positions[10], Reason.INSERTED)


def test_two_rows_swapped_are_reported_reordered(log, services, raw):
    positions = sealed(services, 30)

    raw.swap(positions[4], positions[20])

    assert failure(log) == (positions[4], Reason.REORDERED)


def test_a_record_copied_to_another_aggregate_does_not_decrypt_there(
    log, services, raw
):
    positions = sealed(services, 10)
    victim = raw.event(positions[2])
    record(services, 1)
    # Someone's record, re-addressed to the victim's next version, at the tail.
    raw.insert_event(victim[1], victim[2] + 1, victim[3], raw.event(positions[5])[4])
    tail = raw.last_position()
    services.clock.advance(seconds=2)
    services.integrity.extend()  # the follower even signs over it

    assert failure(log) == (tail, Reason.MOVED_OR_FORGED)


def test_a_snapshot_altered_or_moved_is_snapshot_forged(log, services, raw):
    positions = sealed(services, 5)
    aggregate = raw.event(positions[1])[1]
    services.ledger.take_snapshot(aggregate)

    version, topic, state = raw.records("snapshots", aggregate)[0]
    raw.overwrite("snapshots", aggregate, version, topic, state[:-1] + b"\x00")

    assert failure(log) == (positions[1], Reason.SNAPSHOT_FORGED)


def test_a_forged_checkpoint_is_reported_bad_signature(log, services, raw):
    sealed(services, 20)
    checkpoint = log.checkpoint()
    forged = checkpoint.note.text().replace(
        base64.b64encode(checkpoint.root).decode(),
        base64.b64encode(bytes(32)).decode(),
    )

    raw.set_checkpoint_note(checkpoint.size, forged)

    assert failure(log) == (checkpoint.position, Reason.BAD_SIGNATURE)


def test_an_event_deleted_and_the_tree_rebuilt_fails_the_signed_checkpoint(
    log, services, raw
):
    positions = sealed(services, 30)
    record(services, 10)

    raw.delete(positions[10])
    raw.clear_tree(keep_checkpoints=True)  # and rebuilt: no key needed for that
    services.integrity.extend()

    assert failure(log) == (log.checkpoint().position, Reason.CHECKPOINT_MISMATCH)


def test_the_tail_truncated_with_tree_rows_and_checkpoints_is_caught_by_a_witness(
    log, services, raw
):
    sealed(services, 20)
    later = sealed(services, 20)
    saved = parse(log.checkpoint().note.text())  # a witness keeps this
    assert saved.size == 40

    raw.truncate_from(later[0])

    assert log.verify().ok  # the store alone cannot tell
    assert log.verify(witness=saved).first_failure.reason == Reason.TRUNCATED
    with pytest.raises(ProofRangeError):
        log.consistency(saved.size, log.store.size())
    sealed(services, 30)  # the log grows again, differently
    proof = log.consistency(saved.size, log.checkpoint().size)
    assert not verify_consistency(
        saved.size, proof.new, proof.proof, saved.root, proof.new_root
    )
    assert log.verify(witness=saved).first_failure.reason == Reason.TRUNCATED


def test_a_log_that_only_grew_extends_the_witnessed_checkpoint(log, services):
    sealed(services, 20)
    saved = parse(log.checkpoint().note.text())
    sealed(services, 25)

    proof = log.consistency(saved.size, log.checkpoint().size)

    assert verify_consistency(
        saved.size, proof.new, proof.proof, saved.root, proof.new_root
    )
    assert log.verify(witness=saved).ok
