"""Load test: a realistic mix of requests from several client processes.

Starts ``sellerguard serve`` on a fresh store (a new PostgreSQL schema, created
and dropped here, or a temporary SQLite data directory), prepares shops with
blocks and a buyer link, a service key with ``blocklist:check`` and an auditor
with two-step on, then drives a weighted mix over keep-alive connections on
loopback:

- ``check``  70 %: ``GET /sellers/{id}/blocklist/check`` with the service key;
- ``login``  10 %: ``POST /sessions`` of a seller, then ``DELETE
  /sessions/current`` (reported as ``logout``), as a person signs in and out;
- ``block``  10 %: ``POST /blocklist`` of a new buyer; a seller makes at most
  10 blocks (the daily cap), then the client registers a new seller
  (``register``) and signs it in (``login``);
- ``audit``  10 %: ``GET /audit/checkpoints`` or ``GET /audit/public-key``
  (half each) by the auditor.

Passwords are hashed with the CHEAPEST Argon2 profile unless
``--argon2-profile`` names another, and the per-address sign-in limit is
raised (every client shares 127.0.0.1) so that it does not dominate; the
output says both.

    .venv/bin/python scripts/load_test.py [--store postgres|sqlite]
        [--seconds 10] [--clients 4] [--workers 2] [--argon2-profile NAME]

It prints requests/s overall and per kind, p50/p99 latency per kind, and the
errors (non-2xx by kind and status, connection errors). Passing: the last line
says PASS and the exit status is 0, which needs no error at all (every request
in the mix is valid, so any non-2xx or dropped connection is a fault).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import loopback
from loopback import free_port, fresh_store

from domain.actor import Actor, ActorKind
from domain.block_list import BlockReason, Duration, Scope
from domain.roles import StaffRole
from domain.sign_in import Attempt
from infrastructure.settings import PROFILES, Settings
from infrastructure.totp import Totp
from interface.composition import Services, build_services

SELLERGUARD = str(Path(sys.executable).with_name("sellerguard"))
POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
LOGIN_RATE_LIMIT = "1000000/minute"
PASSWORD = "Corr3ct-Horse!Battery"
AUDITOR = "load-auditor"
MIX = {"check": 70, "login": 10, "block": 10, "audit": 10}
SHOPS = 16
BLOCKS_PER_SHOP = 5
BLOCKS_PER_SELLER = 10  # the daily cap
REQUEST_TIMEOUT = 30.0
MAX_REQUESTS_PER_CLIENT = 1_000_000
START_TIMEOUT = 60.0
OPERATOR = Actor(ActorKind.SYSTEM, "load-test")


# -- the store and the server ------------------------------------------------


@contextlib.contextmanager
def running_server(env: dict[str, str], workers: int) -> Iterator[tuple[int, int]]:
    """``sellerguard serve`` on a free port until the block ends.

    Yields the port and the master's pid.
    """
    port = free_port()
    log_path = Path(env["SELLERGUARD_DATA_DIR"]).with_name("server.log")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [SELLERGUARD, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(port, process, log_path)
        wait_until_workers_idle(process.pid, workers)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # master and workers
            process.wait(timeout=10)


def wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        if Http(port).call("GET", "/healthz")[0] == 200:
            return
        time.sleep(0.1)
    raise RuntimeError("server did not come up in time")


def wait_until_workers_idle(master: int, workers: int) -> None:
    """Wait until every worker has booted (used CPU, then sat idle).

    A worker still loading the app accepts nothing, and keep-alive clients
    stay with the worker they first reach: started too early, the whole load
    would land on the first worker that answered.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        before = worker_cpu(master)
        time.sleep(0.3)
        after = worker_cpu(master)
        settled = [pid for pid, cpu in after.items() if 0 < cpu == before.get(pid)]
        if len(settled) == workers:
            return
    print("warning: the workers did not all settle; the load may be uneven")


def worker_cpu(master: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each of the master's workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:  # the process has gone
            continue
        if int(fields[1]) == master:
            used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return used


# -- what the load needs ---------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """What the clients use: shops to check and sign in to, and credentials."""

    shops: list[tuple[str, str]]  # (username, seller id)
    buyers: list[str]  # some blocked in every shop, some not
    service_key: str
    auditor_token: str = ""


def prepare(env: dict[str, str]) -> Fixture:
    """Shops with blocks and a link, a service key and an auditor (not yet enrolled)."""
    services = build_services(Settings.from_env(env))
    try:
        shops = [open_shop(services, f"load-shop-{n}") for n in range(SHOPS)]
        services.block_lists.link("buyer-0", ["alias-0", "alias-1"], OPERATOR)
        key = services.platform_people.create_service_key(
            "load", ["blocklist:check"], OPERATOR
        )
        services.platform_people.create_staff(
            AUDITOR, "auditor@example.com", StaffRole.AUDITOR, PASSWORD, OPERATOR
        )
        services.read_models.catch_up()
    finally:
        services.close()
    buyers = [f"buyer-{k}" for k in range(2 * BLOCKS_PER_SHOP)] + ["alias-1"]
    return Fixture(shops, buyers, key.value)


def open_shop(services: Services, username: str) -> tuple[str, str]:
    """A registered seller with the first few buyers blocked."""
    view = services.sellers.register(
        username, f"{username}@example.com", PASSWORD, None, OPERATOR
    )
    attempt = Attempt("127.0.0.1", "load-test", "load-test")
    grant: Any = services.sign_in.login(username, PASSWORD, attempt, OPERATOR)
    for k in range(BLOCKS_PER_SHOP):
        services.block_lists.block(
            grant.principal,
            f"buyer-{k}",
            BlockReason.FRAUDULENT_ORDER,
            Scope.LINKED_IDS,
            Duration.DAYS_90,
            "",
            OPERATOR,
        )
    return username, str(view.id)


def enrol_auditor(port: int) -> str:
    """Sign the auditor in and turn two-step on, over HTTP; returns the token."""
    http_ = Http(port)
    status, grant = http_.call(
        "POST", "/api/v1/sessions", {"username": AUDITOR, "password": PASSWORD}
    )
    expect(status, 201, "auditor sign-in", grant)
    token = grant["token"]
    status, enrolment = http_.call("POST", "/api/v1/me/two-step", token=token)
    expect(status, 200, "two-step enrolment", enrolment)
    code = Totp().code_at(enrolment["secret"], datetime.now(UTC))
    body = {"code": code}
    status, answer = http_.call("POST", "/api/v1/me/two-step/confirm", body, token)
    expect(status, 200, "two-step confirmation", answer)
    status, answer = http_.call("GET", "/api/v1/audit/public-key", token=token)
    expect(status, 200, "auditor's first audit read", answer)
    http_.close()
    return str(token)


def expect(status: int, wanted: int, what: str, body: Any) -> None:
    if status != wanted:
        raise RuntimeError(f"{what}: {status} instead of {wanted}: {body}")


# -- the clients -----------------------------------------------------------------


class Http(loopback.Http):
    """The shared client, with a failed connection counted as status 0."""

    def __init__(self, port: int) -> None:
        super().__init__(port, REQUEST_TIMEOUT)

    def call(  # type: ignore[override]
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        """Status and JSON body; status 0 when the connection failed."""
        answer = super().call(method, path, body, token)
        return (0, None) if isinstance(answer, str) else answer


@dataclass
class Tally:
    """Latencies (seconds) of answered requests, and errors, by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)  # "kind status" -> n
    started: float = math.inf
    ended: float = 0.0

    def add(self, other: Tally) -> None:
        for kind, values in other.latencies.items():
            self.latencies.setdefault(kind, []).extend(values)
        self.errors.update(other.errors)
        self.started = min(self.started, other.started)
        self.ended = max(self.ended, other.ended)


@dataclass
class Seller:
    """A seller a client registered to make blocks with."""

    username: str
    token: str | None = None
    blocks: int = 0


class Client:
    """One load process: draws a kind by weight, sends it, times it."""

    def __init__(self, index: int, port: int, fixture: Fixture) -> None:
        self.index = index
        self.http = Http(port)
        self.fixture = fixture
        self.random = random.Random(index)
        self.tally = Tally()
        self.seller: Seller | None = None
        self.serial = 0

    def run(self, seconds: float) -> Tally:
        kinds, weights = list(MIX), list(MIX.values())
        self.tally.started = time.time()
        deadline = time.monotonic() + seconds
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                break
            self.serial += 1
            getattr(self, self.random.choices(kinds, weights)[0])()
        self.tally.ended = time.time()
        self.http.close()
        return self.tally

    def send(
        self, kind: str, method: str, path: str, body: Any = None, token: str = ""
    ) -> tuple[int, Any]:
        """One timed request; anything but a 2xx is counted as an error."""
        began = time.perf_counter()
        status, answer = self.http.call(method, path, body, token or None)
        elapsed = time.perf_counter() - began
        if 200 <= status < 300:
            self.tally.latencies.setdefault(kind, []).append(elapsed)
        else:
            self.tally.errors[f"{kind} {status or 'connection error'}"] += 1
        return status, answer

    def check(self) -> None:
        _, seller_id = self.random.choice(self.fixture.shops)
        buyer = self.random.choice(self.fixture.buyers)
        path = f"/api/v1/sellers/{seller_id}/blocklist/check"
        query = f"?buyer={buyer}&action=place_order"
        self.send("check", "GET", path + query, token=self.fixture.service_key)

    def login(self) -> None:
        username, _ = self.random.choice(self.fixture.shops)
        token = self.sign_in(username)
        if token:
            self.send("logout", "DELETE", "/api/v1/sessions/current", token=token)

    def sign_in(self, username: str) -> str | None:
        body = {
            "username": username,
            "password": PASSWORD,
            "device_id": f"load-{self.index}",
        }
        status, answer = self.send("login", "POST", "/api/v1/sessions", body)
        return str(answer["token"]) if status == 201 else None

    def block(self) -> None:
        seller = self.seller
        if seller is None or seller.blocks >= BLOCKS_PER_SELLER:
            self.seller = self.register(f"load-{self.index}-{self.serial}")
        elif seller.token is None:
            seller.token = self.sign_in(seller.username)
        else:
            seller.blocks += 1
            body = {
                "buyer": f"buyer-{self.index}-{self.serial}",
                "reason": "abusive_messages",
                "scope": "this_id",
                "duration": "90d",
            }
            self.send("block", "POST", "/api/v1/blocklist", body, seller.token)

    def register(self, username: str) -> Seller | None:
        body = {
            "username": username,
            "email": f"{username}@example.com",
            "password": PASSWORD,
        }
        status, _ = self.send("register", "POST", "/api/v1/sellers", body)
        return Seller(username) if status == 201 else None

    def audit(self) -> None:
        path = self.random.choice(
            ["/api/v1/audit/checkpoints?limit=50", "/api/v1/audit/public-key"]
        )
        kind = "audit " + path.split("/")[-1].split("?")[0]
        self.send(kind, "GET", path, token=self.fixture.auditor_token)


def run_client(
    index: int, port: int, fixture: Fixture, seconds: float, queue: Any
) -> None:
    queue.put(Client(index, port, fixture).run(seconds))


def drive(port: int, fixture: Fixture, clients: int, seconds: float) -> Tally:
    """Run the client processes to the end; returns their merged tally."""
    queue: Any = multiprocessing.Queue()
    processes = [
        multiprocessing.Process(
            target=run_client, args=(i, port, fixture, seconds, queue), daemon=True
        )
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    total = Tally()
    for _ in processes:
        total.add(queue.get(timeout=seconds + REQUEST_TIMEOUT + 30))
    for process in processes:
        process.join(timeout=10)
    return total


# -- the report ------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[index]


def report(tally: Tally) -> bool:
    """Print throughput, latencies and errors; True when there was no error."""
    duration = tally.ended - tally.started
    answered = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.errors.values())
    rate = (answered + errors) / duration
    print(f"load ran {duration:.1f} s: {answered + errors} requests, {rate:,.0f}/s")
    print(f"{'kind':<24}{'2xx':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    for kind in sorted(tally.latencies, key=lambda k: -len(tally.latencies[k])):
        values = sorted(tally.latencies[kind])
        print(
            f"{kind:<24}{len(values):>8}{len(values) / duration:>9,.1f}"
            f"{1000 * percentile(values, 0.5):>9.1f}"
            f"{1000 * percentile(values, 0.99):>9.1f}"
        )
    print(f"errors: {errors} {dict(sorted(tally.errors.items())) or ''}")
    return errors == 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--argon2-profile", choices=PROFILES, default="CHEAPEST")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    if not 1 <= args.clients <= 64 or not 1 <= args.workers <= 64:
        parser.error("--clients and --workers must be 1 to 64")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be 1 to 600")
    return args


def main() -> int:
    args = parse_args()
    print(
        f"store {args.store}; {args.workers} workers x 8 threads; "
        f"{args.clients} client processes; {args.seconds:g} s; "
        f"mix {', '.join(f'{k} {w} %' for k, w in MIX.items())}"
    )
    print(
        f"Argon2 profile {args.argon2_profile}; sign-in limit raised to "
        f"{LOGIN_RATE_LIMIT} per address (SELLERGUARD_LOGIN_RATE_LIMIT)"
    )
    with fresh_store(
        args.store,
        args.postgres_url,
        "load",
        ARGON2_PROFILE=args.argon2_profile,
        LOGIN_RATE_LIMIT=LOGIN_RATE_LIMIT,
        LOG_LEVEL="WARNING",
    ) as env:
        subprocess.run(
            [SELLERGUARD, "init"], env=env, check=True, capture_output=True, timeout=60
        )
        fixture = prepare(env)
        with running_server(env, args.workers) as (port, master):
            fixture = replace(fixture, auditor_token=enrol_auditor(port))
            before = worker_cpu(master)
            tally = drive(port, fixture, args.clients, args.seconds)
            after = worker_cpu(master)
    passed = report(tally)
    shares = [f"{after[pid] - before.get(pid, 0.0):.2f}" for pid in sorted(after)]
    print(f"CPU seconds used by each worker during the load: {', '.join(shares)}")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
