"""Rebuilding a read model against the bare library reading and decoding the log.

A fresh SQLite store (AES cipher, zlib compressor) is filled with N
registration-like events (seller accounts and their username claims, 100
aggregates per save). Then, in alternating rounds, (a) the bare library reads
every notification in pages of 500 and decodes it to a domain event, and (b)
``ReadModels.rebuild()`` of a projection that puts one item per event
into a ``views.sqlite`` file resets the view and catches it up from zero.
Items are keyed by aggregate id, so the view's indexes take random keys, as
views keyed by account do (the costly case for a B-tree).

    .venv/bin/python scripts/bench_projection.py [--events 50000] [--rounds 3]

Budget (ARCHITECTURE.md): the rebuild at least 0.5x the bare read+decode rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.cryptography import AESCipher

from application.ledger import Ledger
from application.read_models import MAX_PAGE_GROWTH, Change, Put, ReadModels
from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.document_vault import EnvelopeCipher
from infrastructure.event_store import ENCRYPTED_AND_COMPRESSED
from infrastructure.view_store import ItemSealer, SQLiteViewStore

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43
ACTOR = Actor(
    ActorKind.ANONYMOUS, None, "5f0c1c7e2b7d4a8c9e1f00aa11bb22cc", "203.0.113.7"
)
NAMESPACE = uuid4()
AGGREGATES_PER_SAVE = 100
PAGE = 500


class EventsByAggregate:
    """One item per event, listed under its aggregate."""

    name = "bench"
    views = ("bench",)
    topics: tuple[str, ...] = ()

    def changes(self, event: Any, position: int) -> list[Change]:
        return [
            Put(
                "bench",
                str(event.originator_id),
                str(event.originator_version),
                {"type": type(event).__name__, "at": event.timestamp.isoformat()},
            )
        ]


def store_env(path: Path) -> dict[str, str]:
    return {
        **ENCRYPTED_AND_COMPRESSED,
        "CIPHER_KEY": AESCipher.create_key(32),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
    }


def fill(ledger: Ledger, events: int) -> None:
    at = datetime.now(UTC)
    batch: list[Any] = []
    for i in range(events // 2):
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


def timed(run: Any, *args: Any) -> tuple[float, int]:
    started = time.perf_counter()
    result = run(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--page", type=int, default=PAGE, help="the runner's page size (events)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(env=store_env(Path(tmp) / "events.sqlite"))
        sealer = ItemSealer(EnvelopeCipher(os.urandom(32)))
        views = SQLiteViewStore(Path(tmp) / "views.sqlite", sealer)
        runner = ReadModels(ledger, views, [EventsByAggregate()], page_size=args.page)
        fill(ledger, args.events)
        total = ledger.last_position()
        bare_rates, rebuild_rates, ratios = [], [], []
        for _ in range(args.rounds):
            t_bare, read = timed(bare_read_and_decode, ledger)
            t_rebuild, applied = timed(runner.rebuild)
            assert read == applied == total, (read, applied, total)
            bare_rates.append(total / t_bare)
            rebuild_rates.append(total / t_rebuild)
            ratios.append(t_bare / t_rebuild)
        views.close()
        ledger.close()
    print(
        f"events: {total:,} ({args.rounds} rounds; bare pages of {PAGE}, "
        f"runner pages of {args.page}, growing to {args.page * MAX_PAGE_GROWTH} "
        "while behind)"
    )
    print(f"bare read + decode:  {statistics.median(bare_rates):>9,.0f} events/s")
    print(f"projection rebuild:  {statistics.median(rebuild_rates):>9,.0f} events/s")
    ratio = statistics.median(ratios)
    verdict = "within" if ratio >= 0.5 else "UNDER"
    print(
        f"rate ratio (rebuild / bare, median of rounds): {ratio:.3f}x "
        f"({verdict} the 0.5x budget)"
    )


if __name__ == "__main__":
    main()
