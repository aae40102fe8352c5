"""Cost of recording events through SellerGuard's ledger against the bare library.

Both sides write to a fresh SQLite file with the same zlib compressor and
AES-256-GCM: ours seals each record bound to its place (associated data),
the bare library uses its own AESCipher. One registration (account event +
username index event) per save; ours also keeps the Merkle tree current
(extending it every 40 saves, as the log follower does several times a
second, checkpoints signed as due). SellerGuard's side uses its real
aggregates, event classes and transcodings; the bare side uses the library's
plain ``Aggregate`` with the same field values. Rounds alternate between the
two so that machine noise hits both alike; the ratio is the median over the rounds.

    .venv/bin/python scripts/bench_append.py [--saves 3000] [--rounds 6]

Budget (ARCHITECTURE.md): at most 1.25x.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.cryptography import AESCipher
from eventsourcing.domain import Aggregate

from application.ledger import Ledger
from application.merkle_log import MerkleLog
from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from domain.username import Username
from domain.username_index import UsernameIndex
from infrastructure.clock import SystemClock
from infrastructure.event_store import ENCRYPTED_AND_COMPRESSED, LIBRARY_AES
from infrastructure.integrity_signer import Ed25519Signer
from infrastructure.keys import signing_key
from infrastructure.tree_store import SQLiteTreeStore

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43
ACTOR = Actor(
    ActorKind.ANONYMOUS, None, "5f0c1c7e2b7d4a8c9e1f00aa11bb22cc", "203.0.113.7"
)
NAMESPACE = uuid4()
EXTEND_EVERY = 40  # saves between tree extensions


class BareAccount(Aggregate):
    """The bare library's aggregate with the same fields as a registration."""

    def __init__(
        self,
        username: str,
        email: str,
        password_hash: str,
        birth_date: str | None,
        actor: dict[str, str | None],
    ) -> None:
        self.username = username
        self.email = email
        self.password_hash = password_hash
        self.birth_date = birth_date
        self.actor = actor


class BareIndex(Aggregate):
    """The bare library's aggregate with the same fields as a name claim."""

    def __init__(
        self, account_id: UUID, account_kind: str, actor: dict[str, str | None]
    ) -> None:
        self.account_id = account_id
        self.account_kind = account_kind
        self.actor = actor


def store_env(path: Path, cipher: dict[str, str]) -> dict[str, str]:
    return {
        **cipher,
        "CIPHER_KEY": AESCipher.create_key(32),
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
    }


def ours(ledger: Ledger, n: int, offset: int, log: MerkleLog | None = None) -> None:
    at = datetime.now(UTC)
    for i in range(offset, offset + n):
        if log is not None and i % EXTEND_EVERY == 0:
            log.extend()  # the follower keeps the tree current (5 passes/s)
        name = Username(f"shop.{i}")
        account = SellerAccount.register(
            name, f"owner{i}@example.com", HASH, None, ACTOR, at
        )
        claim = UsernameIndex.claim(name, NAMESPACE, account.id, "seller", ACTOR, at)
        ledger.save(account, claim)
    if log is not None:
        log.extend()


def bare(app: Application[UUID], n: int, offset: int) -> None:
    actor = ACTOR.as_dict()
    for i in range(offset, offset + n):
        account = BareAccount(f"shop.{i}", f"owner{i}@example.com", HASH, None, actor)
        claim = BareIndex(account.id, "seller", actor)
        app.save(account, claim)


def timed(run, *args) -> float:
    started = time.perf_counter()
    run(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--saves",
        type=int,
        default=3000,
        help="registrations (2 events each) per side per round",
    )
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(
            env=store_env(Path(tmp) / "ours.sqlite", ENCRYPTED_AND_COMPRESSED)
        )
        library = Application[UUID](
            env=store_env(Path(tmp) / "bare.sqlite", LIBRARY_AES)
        )
        key = Path(tmp) / "signing.pem"
        key.write_bytes(signing_key())
        log = MerkleLog(
            ledger,
            SQLiteTreeStore(Path(tmp) / "tree.sqlite", Path(tmp) / "ours.sqlite"),
            Ed25519Signer(key),
            SystemClock(),
        )
        ours(ledger, 50, 10**7, log)  # warm up both (tables, caches, topics)
        bare(library, 50, 10**7)
        ratios, our_rates, bare_rates = [], [], []
        for r in range(args.rounds):
            offset = r * args.saves
            t_ours = timed(ours, ledger, args.saves, offset, log)
            t_bare = timed(bare, library, args.saves, offset)
            ratios.append(t_ours / t_bare)
            our_rates.append(2 * args.saves / t_ours)
            bare_rates.append(2 * args.saves / t_bare)
        log.close()
        ledger.close()
        library.close()
    events = 2 * args.saves * args.rounds
    print(f"events per side: {events:,} ({args.rounds} rounds, 2 events per save)")
    print(f"SellerGuard ledger:  {statistics.median(our_rates):>9,.0f} events/s")
    print(f"bare eventsourcing:  {statistics.median(bare_rates):>9,.0f} events/s")
    ratio = statistics.median(ratios)
    verdict = "within" if ratio <= 1.25 else "OVER"
    print(
        f"cost ratio (ledger / bare, median of rounds): {ratio:.3f}x "
        f"({verdict} the 1.25x budget)"
    )


if __name__ == "__main__":
    main()
