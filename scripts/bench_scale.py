"""Per-request costs as the store grows: 10,000, 100,000 and 1,000,000 events.

A fresh store (the product's own settings: records sealed in place, the
Merkle tree, snapshots every 100) is filled through the ledger, in saves of
about 500 events, with a marketplace's mix over ``--sellers`` sellers (50,000
at 1,000,000 events; registrations are spread over the whole run, so the
store grows the way a real one does):

- registrations, then sign-ins of owners and of employees (sessions expire
  and are revoked as the clock moves, one event a second of synthetic time);
- sub-accounts created; buyers blocked (within the daily and active limits)
  and lifted; buyer ids linked; a few recovery cases opened;
- one busy seller that takes 2% of all events (sign-ins, and operations
  it records itself), whose history grows with the store.

At each stage (``--events`` / 100, / 10, and ``--events``) the log follower's
steps catch up (read models, audit index, tree and checkpoints), then each
operation is timed ``--rounds`` times, through the use case its endpoint
calls (the HTTP layer costs the same at any size):

- sign-in: ``SignIn.login`` of a seller with history (Argon2 CHEAPEST, so
  the hash does not hide the store). The measured sellers sign in without a
  device token, like a client that never keeps one, so each sign-in mints
  one: they are signed in to the cap of device tokens before the first
  stage, so that every stage signs in accounts of the same size (otherwise
  the accounts grow with the benchmark's own sign-ins, and the sign-in with
  them: 1.64x by CPU at 1,000,000 events, none of it the store's);
- the block check (``BlockLists.check``, the per-process index);
- ``/me/logins``: the read models confirmed current, one page of the view;
- audit pages (``Audit.events``, 50 items, each read recorded on the
  reader's trail): by aggregate (the busy seller), by actor (the busy
  seller), by time (a window of the same length at every stage, a quarter
  of the first stage's time, ending that long before the head), and by a
  wide window (``WIDE_WINDOW`` events, more than the audit store reads
  through its time index, so read in log order from its time marks; ending
  that long before the head, so from the stage that holds three of them);
- ``as_of`` of the busy seller at a random moment of its life
  (``Audit.state``);
- an inclusion proof of a random event in the whole tree.

Each figure is printed as a ratio to its first stage's figure (median wall
time; median CPU time of this process beside it, since the machine is
shared). Budget (ARCHITECTURE.md, v1.1): at most 1.5x at 1,000,000 events.

    nice -n 5 .venv/bin/python scripts/bench_scale.py [--events 1000000]
        [--store sqlite postgres] [--rounds 50]

``--events 100000`` is the quick run (stages 1,000 / 10,000 / 100,000).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from application.audit_index import AuditFilters
from domain.actor import Actor, ActorKind
from domain.block_list import (
    BlockList,
    BlockReason,
    BuyerAction,
    Duration,
    Scope,
)
from domain.buyer_identity import BuyerIdentity
from domain.devices import MAX_DEVICE_TOKENS
from domain.errors import SellerGuardError
from domain.recovery_case import RecoveryCase
from domain.roles import Role
from domain.seller_account import SellerAccount
from domain.sign_in import Attempt, NewSession
from domain.sub_account import SubAccount
from domain.username import Username
from infrastructure.audit_store import SMALL_WINDOW
from infrastructure.scratch_schema import scratch_schema, store_url
from infrastructure.settings import Settings
from interface.composition import Services, build_services, initialise

POSTGRES_URL = os.environ.get(
    "SELLERGUARD_BENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"
)
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$" + "h" * 43
PASSWORD = "Corr3ct-Horse!Battery"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
EVENTS_PER_SAVE = 500
MEASURED_SELLERS = 10
LOGINS_PAGE = 51
WIDE_WINDOW = SMALL_WINDOW + 5_000
AUDITOR = Actor(ActorKind.STAFF, str(uuid.UUID(int=7)), "bench", "192.0.2.9")
SYSTEM = Actor(ActorKind.SYSTEM, "bench")
# The mix: (weight, operation). Registrations get the weight that spreads
# --sellers over the whole run; the rest share what is left.
MIX = (
    (62, "owner_sign_in"),
    (18, "employee_sign_in"),
    (4, "sub_account"),
    (8, "block"),
    (2, "unblock"),
    (1, "link"),
    (2, "busy"),  # about 2% of the events: the busy seller's own
)
RECOVERY_EVERY = 2000  # events between recovery cases


class Clock:
    """Synthetic time: one second per event written."""

    def __init__(self) -> None:
        self.current = START

    def now(self) -> datetime:
        return self.current


def visitor(n: int) -> Actor:
    return Actor(ActorKind.ANONYMOUS, None, f"req{n}", f"203.0.113.{n % 250 + 1}")


@dataclass
class Mix:
    """The in-memory side of the generated marketplace (aggregates to command)."""

    services: Services
    clock: Clock
    sellers_total: int
    events_total: int
    rng: random.Random = field(default_factory=lambda: random.Random(23))
    sellers: list[SellerAccount] = field(default_factory=list)
    employees: list[SubAccount] = field(default_factory=list)
    blocks: dict[uuid.UUID, BlockList] = field(default_factory=dict)
    buyers: dict[str, BuyerIdentity] = field(default_factory=dict)
    busy: SellerAccount | None = None
    counter: int = 0

    def fill(self, until: int) -> None:
        """Write the mix until the log holds ``until`` events."""
        ledger = self.services.ledger
        head = ledger.last_position()
        while head < until:
            batch: dict[uuid.UUID, Any] = {}
            counted: dict[uuid.UUID, int] = {}
            pending = 0
            while pending < min(EVENTS_PER_SAVE, until - head):
                # Counted as they come (summing the batch at every step was
                # a fifth of the writing's CPU).
                for aggregate in self._step(head):
                    batch[aggregate.id] = aggregate
                    now = len(aggregate.pending_events)
                    pending += now - counted.get(aggregate.id, 0)
                    counted[aggregate.id] = now
                self.clock.current = START + timedelta(seconds=head + pending)
            ledger.save(*batch.values())
            head = ledger.last_position()

    def _step(self, head: int) -> list[Any]:
        self.counter += 1
        n, at = self.counter, self.clock.now()
        registered = len(self.sellers)
        due = self.sellers_total * (head + 1)
        if not self.sellers or registered * self.events_total < due:
            return [self._register(n, at)]
        if n % RECOVERY_EVERY == 0:
            return self._recovery(n, at)
        operation = self.rng.choices(
            [op for _, op in MIX], weights=[w for w, _ in MIX]
        )[0]
        return getattr(self, f"_{operation}")(n, at)

    def _register(self, n: int, at: datetime) -> SellerAccount:
        seller = SellerAccount.register(
            Username(f"mix.{n}"), f"s{n}@example.com", HASH, None, visitor(n), at
        )
        self.sellers.append(seller)
        if self.busy is None:
            self.busy = seller
        return seller

    def _sign_in(self, account: Any, n: int, at: datetime) -> list[Any]:
        attempt = Attempt(f"203.0.113.{n % 250 + 1}", "bench", f"dev{n % 7}")
        session = NewSession(f"s{n}", "h" * 64)
        account.start_session(session, attempt, visitor(n), at)
        return [account]

    def _owner_sign_in(self, n: int, at: datetime) -> list[Any]:
        return self._sign_in(self.rng.choice(self.sellers), n, at)

    def _busy(self, n: int, at: datetime) -> list[Any]:
        """A sign-in, or an operation the busy seller records itself."""
        if n % 2:
            return self._sign_in(self.busy, n, at)
        assert self.busy is not None
        self.busy.rehash_password(HASH, owner_actor(self.busy), at)
        return [self.busy]

    def _employee_sign_in(self, n: int, at: datetime) -> list[Any]:
        if not self.employees:
            return self._owner_sign_in(n, at)
        return self._sign_in(self.rng.choice(self.employees), n, at)

    def _sub_account(self, n: int, at: datetime) -> list[Any]:
        owner = self.rng.choice(self.sellers)
        employee = SubAccount.create(
            owner.id,
            Username(f"emp.{n}"),
            f"e{n}@example.com",
            Role.FINANCE_SPECIALIST,
            HASH,
            owner_actor(owner),
            at,
        )
        owner.add_sub_account(employee.id, owner_actor(owner), at)
        self.employees.append(employee)
        return [owner, employee]

    def _block(self, n: int, at: datetime) -> list[Any]:
        owner = self.rng.choice(self.sellers)
        blocks = self.blocks.get(owner.id)
        new = blocks is None
        if blocks is None:
            blocks = self.blocks[owner.id] = BlockList.start(
                owner.id, owner_actor(owner), at
            )
        scope = Scope.LINKED_IDS if n % 3 == 0 else Scope.THIS_ID
        try:
            blocks.block(
                f"buyer{self.rng.randrange(20_000)}",
                BlockReason.FAKE_REVIEW,
                scope,
                Duration.DAYS_90,
                "",
                owner_actor(owner),
                at,
            )
        except SellerGuardError:
            if not new:
                return self._owner_sign_in(n, at)
        return [blocks]

    def _unblock(self, n: int, at: datetime) -> list[Any]:
        if not self.blocks:
            return self._owner_sign_in(n, at)
        blocks = self.rng.choice(list(self.blocks.values()))
        active = blocks.active(at)
        if not active:
            return self._owner_sign_in(n, at)
        owner = Actor(ActorKind.SELLER, str(blocks.seller_id), f"req{n}", None)
        blocks.unblock(active[0].buyer, owner, at)
        return [blocks]

    def _link(self, n: int, at: datetime) -> list[Any]:
        names = [f"buyer{self.rng.randrange(20_000)}" for _ in range(2)]
        if names[0] == names[1]:
            return self._owner_sign_in(n, at)
        identities = []
        for name, other in (names, names[::-1]):
            identity = self.buyers.get(name)
            if identity is None:
                identity = self.buyers[name] = BuyerIdentity.note(name, SYSTEM, at)
            identity.link([other], SYSTEM, at)
            identities.append(identity)
        return identities

    def _recovery(self, n: int, at: datetime) -> list[Any]:
        seller = self.rng.choice(self.sellers)
        case = RecoveryCase.open(
            uuid.uuid4(),
            seller.id,
            "lost_phone",
            f"r{n}@example.com",
            "u" * 64,
            visitor(n),
            at,
        )
        return [case]


def owner_actor(owner: SellerAccount) -> Actor:
    return Actor(ActorKind.SELLER, str(owner.id), "req", "198.51.100.1")


def catch_up(services: Services) -> None:
    """What the log follower does, to the head."""
    services.read_models.catch_up()
    services.audit.indexer.catch_up()
    while services.integrity.extend():
        pass


@dataclass
class Figures:
    """Median wall and CPU milliseconds of one operation at one stage."""

    wall: float
    cpu: float


def timed(run: Callable[[int], object], rounds: int) -> Figures:
    run(-1)  # warm
    walls, cpus = [], []
    for n in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        run(n)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return Figures(statistics.median(walls) * 1000, statistics.median(cpus) * 1000)


def operations(
    services: Services,
    mix: Mix,
    measured: list[Any],
    rng: random.Random,
    window: timedelta,
) -> Iterator[tuple[str, Callable[[int], object]]]:
    """The per-request operations, each a function of the round."""
    busy = mix.busy
    assert busy is not None
    head = services.ledger.last_position()
    head_time = START + timedelta(seconds=head)
    busy_born = START + timedelta(seconds=1)  # the first registration
    audit, views = services.audit, services.views

    def sign_in(n: int) -> object:
        seller = measured[n % len(measured)]
        attempt = Attempt("198.51.100.7", "bench", "measured")
        return services.sign_in.login(seller.username, PASSWORD, attempt, SYSTEM)

    shops = list(mix.blocks) or [busy.id]

    def check(n: int) -> object:
        shop = shops[n % len(shops)]
        buyer = f"buyer{rng.randrange(20_000)}"
        return services.block_lists.check(shop, buyer, BuyerAction.PLACE_ORDER)

    def logins(n: int) -> object:
        services.read_models.ensure_current()
        return views.items("logins", str(measured[0].id), limit=LOGINS_PAGE)

    def by_aggregate(n: int) -> object:
        return audit.events(AUDITOR, AuditFilters(aggregate_id=busy.id), limit=50)

    def by_actor(n: int) -> object:
        return audit.events(AUDITOR, AuditFilters(actor_id=str(busy.id)), limit=50)

    def by_time(n: int) -> object:
        filters = AuditFilters(since=head_time - 2 * window, until=head_time - window)
        return audit.events(AUDITOR, filters, limit=50)

    def by_wide_window(n: int) -> object:
        wide = timedelta(seconds=WIDE_WINDOW)
        filters = AuditFilters(since=head_time - 2 * wide, until=head_time - wide)
        return audit.events(AUDITOR, filters, limit=50)

    def as_of(n: int) -> object:
        moment = busy_born + (head_time - busy_born) * rng.random()
        return audit.state(AUDITOR, busy.id, as_of=moment)

    def inclusion(n: int) -> object:
        size = services.integrity.store.size()  # type: ignore[attr-defined]
        return services.integrity.inclusion(rng.randrange(1, head), size)

    yield "sign-in", sign_in
    yield "block check", check
    yield "/me/logins page", logins
    yield "audit page by aggregate", by_aggregate
    yield "audit page by actor", by_actor
    yield "audit page by time", by_time
    if head >= 3 * WIDE_WINDOW:
        yield "audit page by time, wide window", by_wide_window
    yield "as_of of the busy seller", as_of
    yield "inclusion proof", inclusion


@contextmanager
def store_settings(store: str, tmp: Path) -> Iterator[Settings]:
    env = {
        "SELLERGUARD_DATA_DIR": str(tmp / "var"),
        "SELLERGUARD_ARGON2_PROFILE": "CHEAPEST",
        "SELLERGUARD_LOG_LEVEL": "WARNING",
    }
    with ExitStack() as stack:
        if store == "postgres":
            schema = stack.enter_context(scratch_schema(POSTGRES_URL, "bench_scale"))
            env["SELLERGUARD_DATABASE_URL"] = store_url(POSTGRES_URL, schema)
        settings = Settings.from_env(env)
        initialise(settings)
        yield settings


def run_store(store: str, args: argparse.Namespace) -> dict[str, list[Figures]]:
    stages = [args.events // 100, args.events // 10, args.events]
    results: dict[str, list[Figures]] = {}
    with tempfile.TemporaryDirectory() as tmp, store_settings(store, Path(tmp)) as s:
        clock = Clock()
        services = build_services(s, clock)
        try:
            measured = []
            for n in range(MEASURED_SELLERS):
                measured.append(
                    services.sellers.register(
                        f"measured.{n}", f"m{n}@example.com", PASSWORD, None, SYSTEM
                    )
                )
            # A full page of sign-ins at every stage, so /me/logins reads 51
            # items at every size (not more as the benchmark signs in); and
            # every measured seller at the cap of device tokens, so its size
            # does not grow with the benchmark's own sign-ins.
            for seller in measured:
                for _ in range(max(LOGINS_PAGE, MAX_DEVICE_TOKENS + 1)):
                    attempt = Attempt("198.51.100.7", "bench", "measured")
                    services.sign_in.login(seller.username, PASSWORD, attempt, SYSTEM)
            mix = Mix(services, clock, args.sellers, args.events)
            for stage in stages:
                started, cpu = time.perf_counter(), time.process_time()
                mix.fill(stage)
                filled = time.perf_counter() - started
                catch_up(services)
                print(
                    f"[{store}] {services.ledger.last_position():>9,} events, "
                    f"{len(mix.sellers):,} sellers: written in {filled:.0f} s, "
                    f"followed in {time.perf_counter() - started - filled:.0f} s "
                    f"(CPU {time.process_time() - cpu:.0f} s)",
                    flush=True,
                )
                rng = random.Random(stage)
                window = timedelta(seconds=stages[0] // 4)
                for name, run in operations(services, mix, measured, rng, window):
                    figures = timed(run, args.rounds)
                    results.setdefault(name, []).append(figures)
                    print(
                        f"[{store}]   {name:<34} {figures.wall:8.3f} ms "
                        f"(CPU {figures.cpu:.3f} ms)",
                        flush=True,
                    )
                clock.current = START + timedelta(
                    seconds=services.ledger.last_position()
                )
        finally:
            services.close()
    return results


def report(store: str, stages: list[int], results: dict[str, list[Figures]]) -> None:
    heads = "".join(f"{n:>12,}" for n in stages)
    print(f"\n{store}: median ms at {heads} events; ratio of last to first")
    for name, figures in results.items():
        # An operation measured from a later stage only (the wide window).
        blanks = "".join(f"{'-':>12}" for _ in range(len(stages) - len(figures)))
        cells = blanks + "".join(f"{f.wall:12.3f}" for f in figures)
        ratio = figures[-1].wall / figures[0].wall
        cpu_ratio = figures[-1].cpu / figures[0].cpu if figures[0].cpu else 0.0
        verdict = "ok" if ratio <= 1.5 else "OVER"
        print(f"  {name:<34}{cells}   {ratio:5.2f}x (CPU {cpu_ratio:4.2f}x) {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sellers", type=int, default=None)
    parser.add_argument(
        "--store",
        nargs="+",
        default=["sqlite", "postgres"],
        choices=["sqlite", "postgres"],
    )
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    args.sellers = args.sellers or max(100, args.events // 20)
    stages = [args.events // 100, args.events // 10, args.events]
    print(
        f"stages {', '.join(f'{n:,}' for n in stages)} events; "
        f"{args.sellers:,} sellers at the end; {args.rounds} rounds each",
        flush=True,
    )
    for store in args.store:
        report(store, stages, run_store(store, args))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
