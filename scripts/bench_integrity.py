"""The Merkle log's figures: verification with and without decryption, proofs at 1M.

A fresh SQLite store (records sealed in place, zlib) is filled with N events
(username claims, 500 aggregates per save); ``MerkleLog.extend()`` adds them
to the tree (signing a checkpoint every 1,000). Then, in alternating rounds:
(a) tree and checkpoint verification without decryption, (b) the full check
with every record decrypted in its place, (c) the bare library reading and
decoding the same number of events from its own store (its AES cipher).
Finally a tree of 1,000,000 leaves (hashes only, no events) is stored and an
inclusion and a consistency proof are timed on it.

    .venv/bin/python scripts/bench_integrity.py [--events 200000] [--rounds 3]
        [--proof-leaves 1000000]

Budgets (ARCHITECTURE.md, v1.1): tree and checkpoints at least 150,000
events/s; the full check at least 0.5x the bare read-and-decode; each proof
at 1,000,000 events under 5 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.application import Application
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate

from application.ledger import Ledger
from application.merkle import RightEdge
from application.merkle_log import MerkleLog
from domain.actor import Actor, ActorKind
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.clock import SystemClock
from infrastructure.event_store import ENCRYPTED_AND_COMPRESSED, LIBRARY_AES
from infrastructure.integrity_signer import Ed25519Signer
from infrastructure.tree_store import SQLiteTreeStore

ACTOR = Actor(ActorKind.SYSTEM, "bench")
NAMESPACE = uuid4()
PER_SAVE = 500
PAGE = 5_000
TREE_BUDGET = 150_000
PROOF_BUDGET_MS = 5.0


class BareClaim(Aggregate):
    """The bare library's aggregate with a claim's fields."""

    def __init__(self, username: str, account_id: str, kind: str) -> None:
        self.username = username
        self.account_id = account_id
        self.kind = kind


def env(path: Path, cipher: dict[str, str]) -> dict[str, str]:
    return {
        **cipher,
        "CIPHER_KEY": AESCipher.create_key(32),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
    }


def fill(ledger: Ledger, bare: Application[UUID], events: int) -> None:
    at = datetime.now(UTC)
    for start in range(0, events, PER_SAVE):
        names = range(start, min(start + PER_SAVE, events))
        ledger.save(
            *[
                UsernameIndex.claim(
                    Username(f"shop.{n}"), NAMESPACE, uuid4(), "seller", ACTOR, at
                )
                for n in names
            ]
        )
        bare.save(*[BareClaim(f"shop.{n}", uuid4().hex, "seller") for n in names])


def signing_key(path: Path) -> Path:
    path.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def read_and_decode(app: Application[UUID]) -> int:
    """The bare library reading and decoding its whole log, page by page."""
    count, position = 0, 0
    to_domain_event = app.mapper.to_domain_event
    while page := app.recorder.select_notifications(
        position, PAGE, inclusive_of_start=False
    ):
        for notification in page:
            to_domain_event(notification)
        count += len(page)
        position = page[-1].id
    return count


def raw_select(log: MerkleLog) -> int:
    """A bare SELECT of the same rows in the same pages, nothing done with them."""
    count, position = 0, 0
    while rows := log.store.rows(position, 2**62, PAGE):
        count += len(rows)
        position = rows[-1][0]
    return count


def verified(log: MerkleLog, decrypt: bool) -> int:
    report = log.verify(decrypt=decrypt)
    assert report.ok, report.first_failure
    return report.head.size


def timed(run: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run(*args)
    return time.perf_counter() - started, result


def cpu_timed(run: Any, *args: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds (this process; less hurt by a busy machine)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = run(*args)
    return time.perf_counter() - started, time.process_time() - cpu, result


def proofs(tmp: Path, leaves: int) -> None:
    """Store a tree of ``leaves`` random leaf hashes; time proofs on it."""
    store = SQLiteTreeStore(tmp / "proofs.sqlite", tmp / "none.sqlite")
    edge = RightEdge()
    batch_leaves, batch_nodes = [], []
    for i in range(leaves):
        made = edge.append(os.urandom(32))
        batch_leaves.append((i, i + 1, made[0][2]))
        batch_nodes += [n for n in made if n[0] > 0]
        if len(batch_leaves) == 100_000:
            store.add(batch_leaves, batch_nodes, [])
            batch_leaves, batch_nodes = [], []
    store.add(batch_leaves, batch_nodes, [])
    log = MerkleLog(None, store, None, SystemClock())  # type: ignore[arg-type]
    inclusion, consistency, inclusion_cpu, consistency_cpu = [], [], [], []
    for _ in range(200):
        position = random.randint(1, leaves)
        seconds, cpu, _ = cpu_timed(log.inclusion, position, leaves)
        inclusion.append(seconds * 1000)
        inclusion_cpu.append(cpu * 1000)
        old = random.randint(1, leaves - 1)
        seconds, cpu, _ = cpu_timed(log.consistency, old, leaves)
        consistency.append(seconds * 1000)
        consistency_cpu.append(cpu * 1000)
    store.close()
    for name, times, cpus in (
        ("inclusion", inclusion, inclusion_cpu),
        ("consistency", consistency, consistency_cpu),
    ):
        worst = sorted(times)[int(len(times) * 0.99) - 1]
        worst_cpu = sorted(cpus)[int(len(cpus) * 0.99) - 1]
        print(
            f"{name} proof at {leaves:,} leaves: median "
            f"{statistics.median(times):.2f} ms, p99 {worst:.2f} ms "
            f"(CPU median {statistics.median(cpus):.2f} ms, p99 {worst_cpu:.2f} ms; "
            f"budget {PROOF_BUDGET_MS} ms: "
            f"{'met' if worst < PROOF_BUDGET_MS else 'MISSED'} by wall time, "
            f"{'met' if worst_cpu < PROOF_BUDGET_MS else 'MISSED'} by CPU time)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--proof-leaves", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        tmp = Path(directory)
        ledger = Ledger(env=env(tmp / "sellerguard.sqlite", ENCRYPTED_AND_COMPRESSED))
        bare = Application[UUID](env=env(tmp / "bare.sqlite", LIBRARY_AES))
        store = SQLiteTreeStore(tmp / "integrity.sqlite", tmp / "sellerguard.sqlite")
        signer = Ed25519Signer(signing_key(tmp / "signing.pem"))
        log = MerkleLog(ledger, store, signer, SystemClock())
        try:
            run(args, ledger, bare, log)
            proofs(tmp, args.proof_leaves)
        finally:
            store.close()
            ledger.close()
            bare.close()


def run(args: Any, ledger: Ledger, bare: Application[UUID], log: MerkleLog) -> None:
    seconds, _ = timed(fill, ledger, bare, args.events)
    print(f"filled {args.events:,} events (each side) in {seconds:.1f} s")
    seconds, added = timed(log.extend)
    print(
        f"extend: {added:,} leaves, {len(log.checkpoints(0, 10**6))} checkpoints "
        f"in {seconds:.2f} s ({added / seconds:,.0f} events/s)"
    )
    tree, full, decode, select, tree_cpu = [], [], [], [], []
    for n in range(1, args.rounds + 1):
        seconds, cpu, count = cpu_timed(verified, log, False)
        tree.append(count / seconds)
        tree_cpu.append(count / cpu)
        seconds, count = timed(verified, log, True)
        full.append(count / seconds)
        seconds, count = timed(read_and_decode, bare)
        decode.append(count / seconds)
        seconds, count = timed(raw_select, log)
        select.append(count / seconds)
        print(
            f"round {n}: tree+checkpoints {tree[-1]:,.0f}/s "
            f"(by CPU time {tree_cpu[-1]:,.0f}/s), full (decrypting) "
            f"{full[-1]:,.0f}/s, bare read-and-decode {decode[-1]:,.0f}/s, "
            f"raw SELECT {select[-1]:,.0f}/s"
        )
    t, f, d = (statistics.median(x) for x in (tree, full, decode))
    tc = statistics.median(tree_cpu)
    print(
        f"median: tree+checkpoints {t:,.0f} events/s (budget {TREE_BUDGET:,}: "
        f"{'met' if t >= TREE_BUDGET else 'MISSED'}; by CPU time {tc:,.0f}/s: "
        f"{'met' if tc >= TREE_BUDGET else 'MISSED'}); full {f:,.0f} events/s = "
        f"{f / d:.2f}x the bare read-and-decode {d:,.0f}/s (budget 0.5x: "
        f"{'met' if f / d >= 0.5 else 'MISSED'}); raw SELECT "
        f"{statistics.median(select):,.0f} rows/s (tree check = "
        f"{t / statistics.median(select):.2f}x of it)"
    )


if __name__ == "__main__":
    main()
