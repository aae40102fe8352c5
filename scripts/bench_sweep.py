"""The inactivity sweep over many stores, and the inspection of one store at scale.

A fresh SQLite store (the product's own settings: AES cipher, compression) gets
``--stores`` seller accounts registered at one moment (500 to a save), and the
read models catch up. Then, with a clock the script moves:

- steady: a sweep 10 days later, when no store is due (the hourly case);
- 30 days: every store crosses the line at once (10,000 alerts written);
- again: the same sweep run twice records nothing;
- 60 days: every store is closed at once.

Then the log is filled to ``--events`` (1,000 filler stores with many password
rehashes each, snapshots on as in production), the read models catch up, and
one store with five employees, fifty sign-ins and a few blocks is inspected
``--rounds`` times; the median is reported at the small and the large log.

    .venv/bin/python scripts/bench_sweep.py [--stores 10000] [--events 1000000]

Budgets (issue 18): the sweep over 10,000 stores under 10 s on SQLite; the
inspection of one store under 20 ms at 1,000,000 events.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from domain.actor import Actor, ActorKind
from domain.block_list import BlockList, BlockReason, Duration, Scope
from domain.roles import Role
from domain.seller_account import SellerAccount
from domain.sign_in import Attempt, NewSession
from domain.sub_account import SubAccount
from domain.username import Username
from infrastructure.settings import Settings
from interface.composition import Services, build_services, initialise

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43
VISITOR = Actor(ActorKind.ANONYMOUS, None, "req", "203.0.113.7")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the benchmark moves."""

    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current


def register_stores(services: Services, count: int, prefix: str) -> list[Any]:
    stores: list[Any] = []
    batch: list[Any] = []
    for n in range(count):
        account = SellerAccount.register(
            Username(f"{prefix}.{n}"),
            f"{prefix}{n}@example.com",
            HASH,
            None,
            VISITOR,
            START,
        )
        batch.append(account)
        if len(batch) == 500:
            services.ledger.save(*batch)
            stores.extend(batch)
            batch = []
    if batch:
        services.ledger.save(*batch)
        stores.extend(batch)
    return stores


def timed(label: str, run: Any) -> Any:
    """Wall-clock time, and this process's CPU time (less hurt by a busy machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:<46} {wall:8.2f} s  (CPU {used:.2f} s)", flush=True)
    return result


def sweeps(services: Services, clock: Clock, stores: int) -> None:
    timed("read models catch up (registrations)", services.read_models.catch_up)
    clock.current = START + timedelta(days=10)
    timed(f"sweep, {stores} stores, none due", services.sweep.run)
    clock.current = START + timedelta(days=30)
    result = timed(f"sweep, {stores} stores all reaching 30 days", services.sweep.run)
    assert len(result.actions) == stores, len(result.actions)
    again = timed("the same sweep again (records nothing)", services.sweep.run)
    assert again.actions == []
    clock.current = START + timedelta(days=60)
    closed = timed(f"sweep, {stores} stores all closing", services.sweep.run)
    assert len(closed.actions) == stores


def busy_store(services: Services, clock: Clock) -> Any:
    """A store with five employees, fifty sign-ins and a few blocks, active now."""
    at = clock.current
    owner = SellerAccount.register(
        Username("busy.shop"), "busy@example.com", HASH, None, VISITOR, at
    )
    subs = []
    for n in range(5):
        sub = SubAccount.create(
            owner.id,
            Username(f"busy.emp{n}"),
            f"e{n}@example.com",
            Role.FINANCE_SPECIALIST,
            HASH,
            VISITOR,
            at,
        )
        owner.add_sub_account(sub.id, VISITOR, at)
        subs.append(sub)
    for n in range(50):
        attempt = Attempt("203.0.113.9", "bench", f"device-{n % 3}")
        owner.start_session(NewSession(f"s{n}", "h" * 64), attempt, VISITOR, at)
    blocks = BlockList.start(owner.id, VISITOR, at)
    for n in range(5):
        blocks.block(
            f"buyer{n}",
            BlockReason.FAKE_REVIEW,
            Scope.THIS_ID,
            Duration.DAYS_90,
            "",
            VISITOR,
            at,
        )
    services.ledger.save(owner, *subs, blocks)
    return owner


def fill(services: Services, events: int) -> None:
    """Filler stores with many events each, 1,000 events to a save."""
    head = services.ledger.last_position()
    per_store = 1000
    stores = register_stores(services, max(1, (events - head) // per_store), "fill")
    at = START
    while services.ledger.last_position() < events:
        for first in range(0, len(stores), 100):
            batch = [
                services.ledger.load(s.id, SellerAccount)
                for s in stores[first : first + 100]
            ]
            for account in batch:
                for _ in range(10):
                    account.rehash_password(HASH, VISITOR, at)
            services.ledger.save(*batch)
            if services.ledger.last_position() >= events:
                return


def inspect_median(services: Services, store: Any, rounds: int) -> float:
    """The median wall time (ms); the median CPU time is printed beside."""
    services.inspection.inspect(store.id)  # warm
    times, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        services.inspection.inspect(store.id)
        cpus.append(time.process_time() - cpu)
        times.append(time.perf_counter() - started)
    print(f"  (inspection CPU time, median: {statistics.median(cpus) * 1000:.2f} ms)")
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "SELLERGUARD_DATA_DIR": str(Path(tmp) / "var"),
                "SELLERGUARD_ARGON2_PROFILE": "CHEAPEST",
            }
        )
        initialise(settings)
        clock = Clock()
        services = build_services(settings, clock)
        try:
            timed(
                f"register {args.stores} stores",
                lambda: register_stores(services, args.stores, "shop"),
            )
            sweeps(services, clock, args.stores)
            store = busy_store(services, clock)
            small = services.ledger.last_position()
            services.read_models.catch_up()
            at_small = inspect_median(services, store, args.rounds)
            print(f"inspection at {small:>9,} events (median)     {at_small:8.2f} ms")
            timed(
                f"fill the log to {args.events:,} events",
                lambda: fill(services, args.events),
            )
            timed(
                "read models catch up (the filled log)", services.read_models.catch_up
            )
            large = services.ledger.last_position()
            at_large = inspect_median(services, store, args.rounds)
            print(f"inspection at {large:>9,} events (median)     {at_large:8.2f} ms")
            print(f"inspection ratio large/small: {at_large / at_small:.2f}x")
        finally:
            services.close()


if __name__ == "__main__":
    main()
