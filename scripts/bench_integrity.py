"""Verifying the integrity chain against a raw SELECT of the same rows.

A fresh SQLite store (AES cipher, zlib compressor) is filled with N events
(username claims, 500 aggregates per save). ``IntegrityChain.extend()`` links
them all (signing a checkpoint every 1,000). Then, in alternating rounds,
(a) ``verify()`` recomputes the chain from the stored rows and checks every
link and checkpoint, and (b) a bare ``SELECT`` reads the same rows in pages
of 5,000 and does nothing with them.

    .venv/bin/python scripts/bench_integrity.py [--events 200000] [--rounds 3]

Budget (ARCHITECTURE.md): verification at least 100,000 events/s on SQLite.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.cryptography import AESCipher

from application.integrity import IntegrityChain
from application.ledger import Ledger
from domain.actor import Actor, ActorKind
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.chain_store import SQLiteChainStore
from infrastructure.clock import SystemClock
from infrastructure.event_store import ENCRYPTED_AND_COMPRESSED
from infrastructure.integrity_signer import Ed25519Signer

ACTOR = Actor(ActorKind.SYSTEM, "bench")
NAMESPACE = uuid4()
PER_SAVE = 500
PAGE = 5_000
BUDGET = 100_000


def fill(ledger: Ledger, events: int) -> None:
    at = datetime.now(UTC)
    for start in range(0, events, PER_SAVE):
        ledger.save(
            *[
                UsernameIndex.claim(
                    Username(f"shop.{n}"), NAMESPACE, uuid4(), "seller", ACTOR, at
                )
                for n in range(start, min(start + PER_SAVE, events))
            ]
        )


def signing_key(path: Path) -> Path:
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def raw_select(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        count, position = 0, 0
        while True:
            rows = connection.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                "FROM stored_events WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (position, PAGE),
            ).fetchall()
            if not rows:
                return count
            count += len(rows)
            position = rows[-1][0]
    finally:
        connection.close()


def verified(chain: IntegrityChain) -> int:
    report = chain.verify()
    assert report.ok, report.first_failure
    return report.events_verified


def timed(run: Any, *args: Any) -> tuple[float, int]:
    started = time.perf_counter()
    result = run(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        events_path = Path(tmp) / "sellerguard.sqlite"
        ledger = Ledger(
            env={
                **ENCRYPTED_AND_COMPRESSED,
                "CIPHER_KEY": AESCipher.create_key(32),
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(events_path),
            }
        )
        store = SQLiteChainStore(Path(tmp) / "integrity.sqlite", events_path)
        signer = Ed25519Signer(signing_key(Path(tmp) / "signing.pem"))
        chain = IntegrityChain(ledger, store, signer, SystemClock(), log=store)
        try:
            run(args, ledger, chain, events_path)
        finally:
            store.close()
            ledger.close()


def run(args: Any, ledger: Ledger, chain: IntegrityChain, events_path: Path) -> None:
    seconds, _ = timed(fill, ledger, args.events)
    print(f"filled {args.events} events in {seconds:.1f} s")
    seconds, linked = timed(chain.extend)
    print(
        f"extend: {linked} links, {len(chain.checkpoints(0, 10**6))} checkpoints "
        f"in {seconds:.2f} s ({linked / seconds:,.0f} events/s)"
    )
    verify_rates, select_rates = [], []
    for n in range(1, args.rounds + 1):
        seconds, count = timed(verified, chain)
        verify_rates.append(count / seconds)
        seconds, selected = timed(raw_select, events_path)
        select_rates.append(selected / seconds)
        print(
            f"round {n}: verify {verify_rates[-1]:,.0f} events/s, "
            f"raw SELECT {select_rates[-1]:,.0f} rows/s"
        )
    rate = statistics.median(verify_rates)
    print(
        f"median: verify {rate:,.0f} events/s "
        f"(budget {BUDGET:,}: {'met' if rate >= BUDGET else 'MISSED'}), "
        f"raw SELECT {statistics.median(select_rates):,.0f} rows/s, "
        f"ratio {rate / statistics.median(select_rates):.2f}"
    )


if __name__ == "__main__":
    main()
