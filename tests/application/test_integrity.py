"""The integrity chain over the real stores, tampered with behind the application."""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import threading
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives import serialization
from eventsourcing.persistence import IntegrityError

from application.integrity import IntegrityChain
from application.integrity_check import Reason, canonical_bytes
from domain.actor import Actor, ActorKind
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.chain_store import open_chain_store
from infrastructure.integrity_signer import Ed25519Signer
from infrastructure.settings import Settings
from tests.conftest import POSTGRES_URL

ACTOR = Actor(ActorKind.SYSTEM, "test:integrity")
NAMESPACE = uuid4()
PER_SAVE = 500


def record(services: Any, count: int) -> list[int]:
    """Save ``count`` events fast (username claims, 500 a save); their positions."""
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


def open_chain(services: Any, settings: Settings) -> IntegrityChain:
    store = open_chain_store(settings)
    store.create_tables()
    signer = Ed25519Signer(settings.signing_key_file)
    return IntegrityChain(services.ledger, store, signer, services.clock, log=store)


@pytest.fixture
def chain(services: Any, settings: Settings) -> Iterator[IntegrityChain]:
    chain = open_chain(services, settings)
    yield chain
    chain.close()


def schema_of(settings: Settings) -> str:
    assert settings.database_url is not None
    return settings.database_url.rsplit("schema=", 1)[1]


class Tables:
    """The real tables, edited the way someone with the database could."""

    def __init__(self, settings: Settings) -> None:
        self.postgres = settings.uses_postgres
        if self.postgres:
            schema = schema_of(settings)
            self.conn: Any = psycopg.connect(POSTGRES_URL, autocommit=True)
            self.names = {
                "events": f'"{schema}".sellerguard_events',
                "position": "notification_id",
                "links": f'"{schema}".sellerguard_integrity_links',
                "checkpoints": f'"{schema}".sellerguard_integrity_checkpoints',
            }
        else:
            self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None)
            self.conn.execute(
                "ATTACH DATABASE ? AS chain",
                (str(settings.data_dir / "integrity.sqlite"),),
            )
            self.names = {
                "events": "stored_events",
                "position": "rowid",
                "links": "chain.links",
                "checkpoints": "chain.checkpoints",
            }

    def run(self, statement: str, *params: Any) -> list[Any]:
        text = statement.format(**self.names)
        cursor = self.conn.execute(
            text.replace("?", "%s") if self.postgres else text, params
        )
        return cursor.fetchall() if cursor.description else []

    def flip_state_byte(self, position: int) -> None:
        (state,) = self.run(
            "SELECT state FROM {events} WHERE {position} = ?", position
        )[0]
        middle = len(state) // 2
        changed = state[:middle] + bytes([state[middle] ^ 0x01]) + state[middle + 1 :]
        self.run(
            "UPDATE {events} SET state = ? WHERE {position} = ?", changed, position
        )

    def delete(self, position: int) -> None:
        self.run("DELETE FROM {events} WHERE {position} = ?", position)

    def move(self, source: int, target: int) -> None:
        self.run(
            "UPDATE {events} SET {position} = ? WHERE {position} = ?", target, source
        )

    def swap(self, first: int, second: int) -> None:
        self.move(first, -1)
        self.move(second, first)
        self.move(-1, second)

    def shift(self, start: int, by: int) -> None:
        """Renumber the events from ``start`` on (via negatives: no clash)."""
        self.run(
            "UPDATE {events} SET {position} = -({position} + ?) WHERE {position} >= ?",
            by,
            start,
        )
        self.run("UPDATE {events} SET {position} = -{position} WHERE {position} < 0")

    def insert_copy(self, position: int, like: int) -> None:
        """A new event at ``position``: another's topic and state, a new originator."""
        originator = uuid4()
        self.run(
            "INSERT INTO {events} "
            "({position}, originator_id, originator_version, topic, state) "
            "SELECT ?, ?, originator_version, topic, state FROM {events} "
            "WHERE {position} = ?",
            position,
            originator if self.postgres else originator.hex,
            like,
        )

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def tables(settings: Settings) -> Iterator[Tables]:
    tables = Tables(settings)
    yield tables
    tables.close()


def linked(chain: IntegrityChain, services: Any, count: int) -> list[int]:
    positions = record(services, count)
    chain.extend()
    return positions


def failure(chain: IntegrityChain) -> tuple[int, str] | None:
    report = chain.verify()
    assert report.ok is (report.first_failure is None)
    return report.first_failure


def independent_chain(services: Any) -> tuple[int, str]:
    """The head of the chain as the design document defines it, computed here."""
    h = bytes(32)
    last = 0
    for n in services.ledger.recorder.select_notifications(1, 1_000_000):
        topic = n.topic.encode()
        encoded = (
            struct.pack(">q", n.id)
            + n.originator_id.bytes
            + struct.pack(">q", n.originator_version)
            + struct.pack(">Q", len(topic))
            + topic
            + struct.pack(">Q", len(n.state))
            + n.state
        )
        assert encoded == canonical_bytes(n)
        h = hashlib.sha256(h + encoded).digest()
        last = n.id
    return last, h.hex()


def test_an_empty_log_verifies_with_no_head(chain):
    assert chain.extend() == 0

    report = chain.verify()

    assert (report.ok, report.events_verified, report.head) == (True, 0, None)


def test_an_untouched_log_verifies_to_the_independently_computed_head(chain, services):
    positions = linked(chain, services, 1_200)

    report = chain.verify()

    assert report.ok
    assert report.first_failure is None
    assert report.events_verified == len(positions)
    assert tuple(report.head) == independent_chain(services)
    assert report.checkpoints_verified == len(chain.checkpoints(0, 100)) == 1


def test_a_flipped_byte_of_one_event_is_reported_changed_at_its_position(
    chain, services, tables
):
    positions = linked(chain, services, 1_500)

    tables.flip_state_byte(positions[700])

    assert failure(chain) == (positions[700], Reason.CHANGED)


def test_a_deleted_event_is_reported_removed_at_its_position(chain, services, tables):
    positions = linked(chain, services, 1_200)

    tables.delete(positions[300])

    assert failure(chain) == (positions[300], Reason.REMOVED)


def test_a_deleted_event_whose_successors_moved_up_is_reported_removed(
    chain, services, tables
):
    positions = linked(chain, services, 1_200)

    tables.delete(positions[300])
    tables.shift(positions[301], -1)

    assert failure(chain) == (positions[300], Reason.REMOVED)


def test_an_event_inserted_among_linked_ones_is_reported_inserted(
    chain, services, tables
):
    positions = linked(chain, services, 1_200)

    tables.shift(positions[500], +1)
    tables.insert_copy(positions[500], like=positions[10])

    assert failure(chain) == (positions[500], Reason.INSERTED)


def test_two_events_that_swapped_places_are_reported_reordered_at_the_first(
    chain, services, tables
):
    positions = linked(chain, services, 1_200)

    tables.swap(positions[200], positions[900])

    assert failure(chain) == (positions[200], Reason.REORDERED)


def test_neighbours_that_swapped_places_are_reported_reordered(chain, services, tables):
    positions = linked(chain, services, 300)

    tables.swap(positions[41], positions[42])

    assert failure(chain) == (positions[41], Reason.REORDERED)


def test_a_row_the_library_could_not_have_written_is_reported_changed(
    chain, services, tables
):
    positions = linked(chain, services, 300)

    tables.run("UPDATE {events} SET state = NULL WHERE {position} = ?", positions[7])

    assert failure(chain) == (positions[7], Reason.CHANGED)


def test_the_library_read_path_verifies_the_same_chain(chain, services, settings):
    linked(chain, services, 1_300)
    signer = Ed25519Signer(settings.signing_key_file)
    through_library = IntegrityChain(
        services.ledger, chain.store, signer, services.clock
    )

    assert through_library.verify() == chain.verify()


def test_events_after_the_last_link_are_linked_not_reported(chain, services):
    linked(chain, services, 100)
    record(services, 50)

    assert chain.extend() == 50
    assert chain.verify().events_verified == 150


def rolled_back_save(services: Any) -> None:
    """A save the store refuses (a name claimed twice): nothing of it is kept."""
    at = services.clock.now()
    name = Username(f"t{uuid4().hex[:24]}")
    services.ledger.save(UsernameIndex.claim(name, NAMESPACE, uuid4(), "s", ACTOR, at))
    fresh = [_claim(at) for _ in range(3)]
    again = UsernameIndex.claim(name, NAMESPACE, uuid4(), "s", ACTOR, at)
    with pytest.raises(IntegrityError):
        services.ledger.save(*fresh, again)


def test_a_rolled_back_save_leaves_the_chain_intact_even_with_a_gap(
    chain, services, settings
):
    before = record(services, 10)
    rolled_back_save(services)
    after = record(services, 10)
    chain.extend()

    report = chain.verify()

    assert report.ok
    assert report.events_verified == 21
    if settings.uses_postgres:  # the sequence skipped the rolled-back ids
        assert after[0] > before[-1] + 2


# Only PostgreSQL leaves gaps in positions (after a rolled-back commit).
@pytest.mark.parametrize("store", ["postgres"], indirect=True)
def test_an_event_inserted_into_a_gap_is_reported_inserted(
    chain, services, settings, tables
):
    first = record(services, 10)
    rolled_back_save(services)
    later = record(services, 10)
    chain.extend()
    gap = later[0] - 1
    assert gap > first[-1] + 1

    tables.insert_copy(gap, like=first[0])

    assert failure(chain) == (gap, Reason.INSERTED)


def test_a_checkpoint_is_signed_every_1000_events(chain, services, clock):
    positions = record(services, 2_500)

    chain.extend()

    signed = [c.position for c in chain.checkpoints(0, 100)]
    assert signed == [positions[999], positions[1999]]
    clock.advance(seconds=61)
    chain.extend()
    assert [c.position for c in chain.checkpoints(0, 100)] == [
        positions[999],
        positions[1999],
        positions[-1],
    ]


def test_a_checkpoint_is_signed_at_least_once_a_second_while_events_arrive(
    chain, services, clock
):
    first = linked(chain, services, 10)  # the first extend signs its head
    linked(chain, services, 10)
    clock.advance(seconds=0.5)
    linked(chain, services, 10)
    clock.advance(seconds=0.5)
    third = linked(chain, services, 10)

    signed = [c.position for c in chain.checkpoints(0, 100)]

    assert signed == [first[-1], third[-1]]
    assert chain.verify().checkpoints_verified == 2


def test_a_forged_checkpoint_signature_is_reported_bad_signature(
    chain, services, tables
):
    positions = linked(chain, services, 2_100)
    (signature,) = tables.run(
        "SELECT signature FROM {checkpoints} WHERE position = ?", positions[1999]
    )[0]

    tables.run(
        "UPDATE {checkpoints} SET signature = ? WHERE position = ?",
        bytes([signature[0] ^ 0x80]) + bytes(signature[1:]),
        positions[1999],
    )

    assert failure(chain) == (positions[1999], Reason.BAD_SIGNATURE)


def test_an_event_changed_with_its_links_rewritten_fails_the_next_checkpoint(
    chain, services, tables
):
    positions = linked(chain, services, 2_200)
    tables.flip_state_byte(positions[1500])

    h = bytes(
        tables.run("SELECT hash FROM {links} WHERE position = ?", positions[1499])[0][0]
    )
    for n in services.ledger.recorder.select_notifications(positions[1500], 5_000):
        h = hashlib.sha256(h + canonical_bytes(n)).digest()
        tables.run("UPDATE {links} SET hash = ? WHERE position = ?", h, n.id)

    assert failure(chain) == (positions[1999], Reason.CHECKPOINT_MISMATCH)


def test_an_altered_link_over_intact_events_is_reported_link_mismatch(
    chain, services, tables
):
    positions = linked(chain, services, 1_200)

    tables.run(
        "UPDATE {links} SET hash = ? WHERE position = ?", bytes(32), positions[400]
    )

    assert failure(chain) == (positions[400], Reason.LINK_MISMATCH)


def test_the_public_key_checks_every_checkpoint_independently(chain, services):
    linked(chain, services, 2_300)
    served = chain.public_key()
    key = serialization.load_pem_public_key(served.public_key_pem.encode())
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    checkpoints = chain.checkpoints(0, 100)

    assert served.algorithm == "Ed25519"
    assert served.key_id == hashlib.sha256(raw).hexdigest()[:16]
    assert len(checkpoints) == 2
    for c in checkpoints:
        signed_at = c.signed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        message = f"sellerguard-checkpoint:v1:{c.position}:{c.hash.hex()}:{signed_at}"
        key.verify(c.signature, message.encode())  # raises if it does not verify
        assert c.key_id == served.key_id


def test_processes_extending_at_once_agree(chain, services, settings):
    positions = record(services, 6_000)
    others = [open_chain(services, settings) for _ in range(2)]
    try:
        threads = [threading.Thread(target=c.extend) for c in (chain, *others)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for other in others:
            other.close()

    report = chain.verify()

    assert report.ok
    assert report.events_verified == len(positions)
    assert report.checkpoints_verified == len(chain.checkpoints(0, 100)) >= 6


def _claim(at: Any) -> UsernameIndex:
    return UsernameIndex.claim(
        Username(f"u{uuid4().hex[:24]}"), NAMESPACE, uuid4(), "s", ACTOR, at
    )
