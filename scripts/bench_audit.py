"""The audit read side against its budgets, measured as ratios in one run.

A fresh SQLite store (AES cipher, zlib compressor, as in production) is filled
with about N events: seller registrations with their username claims (500
aggregates per save), one seller account with 100,000 events and one with 100
(password changes, 500 events per save; snapshots every 100 as the ledger
takes them, see ``store_env``). Then:

1. In alternating rounds, the bare library reads and decodes every event (pages
   of 1,000) and ``AuditIndexer.rebuild()`` makes the audit index from zero.
   Budget: the rebuild at least 0.5x the bare rate.
2. The big and the small account are loaded as of random moments of their
   lives, taking turns (the index finds the version, the repository loads it
   from the nearest snapshot). Budget: the big one at most 2x the small one
   (medians of 201 loads each).
   Measured twice: the load itself, and the whole ``Audit.state()`` use case,
   which also records the read on the reader's trail.
3. Pages of 500 registrations (``Audit.events`` by time, 500 different
   sellers a page, the worst case for naming them): each page read with
   nobody's name known yet (a page not read before, names and aggregates
   cached by nobody), read again (names known), and without names at all
   (what the page cost before names were shown). Reported, no budget.

    .venv/bin/python scripts/bench_audit.py [--events 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.cryptography import AESCipher

from application.accounts import KnownNames
from application.audit import Audit
from application.audit_index import AuditFilters, AuditIndexer
from application.ledger import Ledger
from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.audit_store import SQLiteAuditStore
from infrastructure.event_histories import StoredHistories
from infrastructure.event_store import ENCRYPTED_AND_COMPRESSED

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43
ACTOR = Actor(
    ActorKind.ANONYMOUS, None, "5f0c1c7e2b7d4a8c9e1f00aa11bb22cc", "203.0.113.7"
)
OWNER = Actor(
    ActorKind.SELLER, str(uuid4()), "9a8b7c6d5e4f30211203948576abcdef", "198.51.100.1"
)
AUDITOR = Actor(ActorKind.STAFF, str(uuid4()), None, "192.0.2.9")
NAMESPACE = uuid4()
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AGGREGATES_PER_SAVE = 500
EVENTS_PER_SAVE = 500
BIG, SMALL = 100_000, 100
PAGE = 1000
LOADS = 201


class BenchClock:
    """The time of the reads: after every event."""

    def now(self) -> datetime:
        return START + timedelta(days=30)


def store_env(path: Path, *, snapshots: bool) -> dict[str, str]:
    env = {
        **ENCRYPTED_AND_COMPRESSED,
        "CIPHER_KEY": AESCipher.create_key(32),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
    }
    if snapshots:
        # Ledger.construct_env() drops the IS_SNAPSHOTTING_ENABLED that the
        # library derives from snapshotting_intervals, so the ledger takes no
        # snapshots unless told (``--as-configured`` shows the difference).
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
    return env


def fill_registrations(ledger: Ledger, events: int) -> None:
    batch: list[Any] = []
    for i in range(events // 2):
        at = START + timedelta(seconds=i)
        name = Username(f"shop.{i}")
        account = SellerAccount.register(
            name, f"owner{i}@example.com", HASH, None, ACTOR, at
        )
        claim = UsernameIndex.claim(name, NAMESPACE, account.id, "seller", ACTOR, at)
        batch += [account, claim]
        if len(batch) >= AGGREGATES_PER_SAVE:
            ledger.save(*batch)
            batch = []
    if batch:
        ledger.save(*batch)


def long_lived_account(
    ledger: Ledger, name: str, events: int, life: timedelta
) -> tuple[UUID, datetime, datetime]:
    """An account with ``events`` events spread evenly over ``life``."""
    step = life / events
    account = SellerAccount.register(
        Username(name), f"{name}@example.com", HASH, None, ACTOR, START
    )
    for n in range(1, events):
        account.change_password(f"{HASH[:-6]}{n:06d}", OWNER, START + step * n)
        if n % EVENTS_PER_SAVE == 0:
            ledger.save(account)
    ledger.save(account)
    return account.id, START, START + step * (events - 1)


def bare_read_and_decode(ledger: Ledger) -> int:
    count, position = 0, 0
    while True:
        page = ledger.recorder.select_notifications(
            start=position, limit=PAGE, inclusive_of_start=False
        )
        if not page:
            return count
        for notification in page:
            ledger.mapper.to_domain_event(notification)
        count += len(page)
        position = page[-1].id


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def cpu_timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall and CPU seconds: CPU time stays fair when other processes compete."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def median_loads(
    loads: list[tuple[Callable[[datetime], Any], datetime, datetime]],
    rng: Any,
    count: int,
) -> list[float]:
    """The median time of each load at random moments, the loads taking turns."""
    times: list[list[float]] = [[] for _ in loads]
    for _ in range(count):
        for n, (load, first, last) in enumerate(loads):
            moment = first + (last - first) * rng.random()
            started = time.perf_counter()
            load(moment)
            elapsed = time.perf_counter() - started
            times[n].append(elapsed)
    return [statistics.median(t) for t in times]


def rebuild_rounds(ledger: Ledger, indexer: AuditIndexer, rounds: int) -> None:
    total = ledger.last_position()
    bare: list[tuple[float, float]] = []
    rebuild: list[tuple[float, float]] = []
    for _ in range(rounds):
        *t_bare, read = cpu_timed(lambda: bare_read_and_decode(ledger))
        *t_rebuild, indexed = cpu_timed(indexer.rebuild)
        assert read == indexed == total, (read, indexed, total)
        bare.append((t_bare[0], t_bare[1]))
        rebuild.append((t_rebuild[0], t_rebuild[1]))
    print(f"events: {total:,} ({rounds} rounds, pages of {PAGE})")
    for n, label in ((0, "wall"), (1, "CPU")):
        bare_rate = statistics.median(total / b[n] for b in bare)
        rebuild_rate = statistics.median(total / r[n] for r in rebuild)
        ratio = statistics.median(
            b[n] / r[n] for b, r in zip(bare, rebuild, strict=True)
        )
        verdict = "within" if ratio >= 0.5 else "UNDER"
        print(
            f"{label:>4} time: bare read + decode {bare_rate:,.0f} events/s, "
            f"audit index rebuild {rebuild_rate:,.0f} events/s: "
            f"{ratio:.3f}x ({verdict} >= 0.5x; median of rounds)"
        )


def as_of_loads(audit: Audit, big: Any, small: Any, loads: int) -> None:
    rng = random.Random(7)

    def core(aggregate_id: UUID) -> Callable[[datetime], Any]:
        # The load alone: what Audit.state() does once the read is recorded.
        return lambda moment: audit._state(aggregate_id, None, moment)

    def use_case(aggregate_id: UUID) -> Callable[[datetime], Any]:
        return lambda moment: audit.state(AUDITOR, aggregate_id, as_of=moment)

    for label, make in (("load as_of", core), ("Audit.state(as_of)", use_case)):
        t_big, t_small = median_loads(
            [(make(big[0]), big[1], big[2]), (make(small[0]), small[1], small[2])],
            rng,
            loads,
        )
        ratio = t_big / t_small
        verdict = "within" if ratio <= 2 else "OVER"
        print(
            f"{label}: {BIG:,} events {t_big * 1000:.2f} ms, {SMALL} events "
            f"{t_small * 1000:.2f} ms (medians of {loads}): {ratio:.2f}x "
            f"({verdict} <= 2x)"
        )


class NoNames:
    """The page without names: what it cost before they were shown."""

    def of(self, account_ids: Any) -> dict[str, str | None]:
        return {}


def page_reads(ledger: Ledger, audit: Audit, rounds: int) -> None:
    """Pages of 500 registrations: names unknown, known, and not shown.

    Each round reads a page no round read before, so neither the names nor
    the accounts (the repository's cache) are known when it is first read.
    """
    registrations = AuditFilters(event_type="SellerAccount.Registered")
    first = audit.store.select(registrations, 0, 1)[0].position
    named = audit.known_names
    cold: list[tuple[float, float]] = []
    warm: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    for n in range(rounds):
        read = functools.partial(
            audit._page, registrations, first + 1000 * (n + 1), 500
        )
        audit.known_names = KnownNames(ledger)  # a page nobody read yet
        *t, page = cpu_timed(read)
        assert len(page.items) == 500
        assert page.items[0].aggregate_username
        cold.append((t[0], t[1]))
        *t, _ = cpu_timed(read)
        warm.append((t[0], t[1]))
        audit.known_names = NoNames()  # type: ignore[assignment]
        *t, _ = cpu_timed(read)
        bare.append((t[0], t[1]))
        audit.known_names = named
    for label, times in (
        ("names not known yet", cold),
        ("names known", warm),
        ("no names", bare),
    ):
        wall = statistics.median(t[0] for t in times) * 1000
        cpu = statistics.median(t[1] for t in times) * 1000
        print(
            f"page of 500 registrations, {label}: {wall:.1f} ms (CPU {cpu:.1f} ms; "
            f"median of {rounds})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--loads", type=int, default=LOADS, help="loads per median")
    parser.add_argument("--pages", type=int, default=21, help="pages per median")
    parser.add_argument(
        "--as-configured",
        action="store_true",
        help="leave snapshotting as the ledger's own configuration has it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(
            env=store_env(
                Path(tmp) / "events.sqlite", snapshots=not args.as_configured
            ),
            histories=StoredHistories(),  # as the product reads many at once
        )
        store = SQLiteAuditStore(Path(tmp) / "audit.sqlite")
        indexer = AuditIndexer(ledger, store)
        audit = Audit(ledger, indexer, BenchClock())
        started = time.perf_counter()
        life = timedelta(days=20)
        big = long_lived_account(ledger, "big.account", BIG, life)
        small = long_lived_account(ledger, "small.account", SMALL, life)
        fill_registrations(ledger, max(args.events - BIG - SMALL, 0))
        print(f"filled in {time.perf_counter() - started:.1f} s")
        rebuild_rounds(ledger, indexer, args.rounds)
        as_of_loads(audit, big, small, args.loads)
        page_reads(ledger, audit, args.pages)
        store.close()
        ledger.close()


if __name__ == "__main__":
    main()
