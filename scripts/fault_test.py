"""Fault test: nothing the server acknowledged is ever lost when processes die.

On a fresh store (a new PostgreSQL schema, created and dropped here, or a
temporary SQLite data directory), runs ``sellerguard init`` and
``sellerguard serve --workers 3`` in a process group of its own, then drives a
steady write load from several client processes on loopback: sellers register
and sign in, and each blocks up to 10 distinct buyers (under the 10-a-day cap)
before the client moves on to a new seller. Every request answered 2xx is
recorded with what it wrote. Passwords use the CHEAPEST Argon2 profile and the
per-address sign-in limit is raised (every client is 127.0.0.1).

Round 1: one gunicorn worker is killed with SIGKILL while the load runs, and
the master respawns it. Round 2: the whole server (master and workers) is
killed with SIGKILL and started again on the same store, and the load goes on
briefly. Then the load stops and the store is checked:

- every acknowledged registration signs in, and every acknowledged block is on
  its seller's ``GET /api/v1/blocklist`` (through the restarted server);
- the same, read from the event store through ``build_services``;
- ``sellerguard audit verify`` exits 0 (the integrity chain verifies);
- after ``read_models.catch_up()``, ``block_lists.check`` reports every
  acknowledged block as blocked.

    .venv/bin/python scripts/fault_test.py [--store postgres|sqlite]
        [--seconds 8] [--clients 4] [--workers 3] [--quick]

``--quick`` is about 3 s a round with 2 clients, for CI. Passing: the last
line says PASS and the exit status is 0, which needs zero acknowledged writes
missing anywhere, ``audit verify`` intact, the read model agreeing, and no
5xx answer (the REST contract allows none). Requests refused or cut off
during the kills are counted, not failures: their writes may or may not have
happened (those that did are counted as "applied without acknowledgement").
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from loopback import Answer, Http, free_port, fresh_store

from domain.block_list import BlockList, BuyerAction, block_list_id
from domain.seller_account import SellerAccount
from infrastructure.settings import Settings
from interface.composition import build_services

SELLERGUARD = str(Path(sys.executable).with_name("sellerguard"))
POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
PASSWORD = "Corr3ct-Horse!Battery"
BLOCKS_PER_SELLER = 10  # the daily cap; failed attempts count too
REQUEST_TIMEOUT = 10.0
MAX_REQUESTS_PER_CLIENT = 100_000
PAUSE_AFTER_CONNECTION_ERROR = 0.05
START_TIMEOUT = 30.0
RESPAWN_TIMEOUT = 20.0
BLOCK_BODY = {"reason": "fraudulent_order", "scope": "this_id", "duration": "90d"}


# -- the store and the server ------------------------------------------------


class Server:
    """``sellerguard serve`` in a process group of its own, on a fixed port."""

    def __init__(
        self, env: dict[str, str], port: int, workers: int, name: str = "server"
    ) -> None:
        self.env = env
        self.port = port
        self.workers = workers
        self.name = name  # its log files: <name>-<start>.log
        self.log_dir = Path(env["SELLERGUARD_DATA_DIR"]).parent
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start and wait until it answers; returns the seconds that took."""
        began = time.monotonic()
        self.starts += 1
        log = (self.log_dir / f"{self.name}-{self.starts}.log").open("wb")
        command = [SELLERGUARD, "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--workers", str(self.workers)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_until_up()
        return time.monotonic() - began

    def _wait_until_up(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            up = get_status(self.port, "/healthz") == 200
            if up and len(self.worker_pids()) == self.workers:
                return
            time.sleep(0.1)
        raise RuntimeError(f"server did not come up:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        return live_children(self.process.pid)

    def kill_one_worker(self) -> tuple[int, float]:
        """SIGKILL one worker; returns its pid and how long the respawn took."""
        victim = max(self.worker_pids(), key=cpu_time)  # likeliest mid-request
        began = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        while time.monotonic() - began < RESPAWN_TIMEOUT:
            pids = self.worker_pids()
            if victim not in pids and len(pids) == self.workers:
                return victim, time.monotonic() - began
            time.sleep(0.05)
        raise RuntimeError(f"worker {victim} was not replaced:\n{self.log_tail()}")

    def kill_all(self) -> list[int]:
        """SIGKILL the master and every worker at once; returns their pids."""
        assert self.process is not None
        pids = [self.process.pid, *self.worker_pids()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids

    def stop(self) -> None:
        """SIGTERM, then SIGKILL to the group if it does not stop in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        logs = sorted(self.log_dir.glob(f"{self.name}-*.log"))
        text = "".join(p.read_text(errors="replace") for p in logs)
        return "\n".join(text.splitlines()[-lines:])

    def tracebacks(self) -> int:
        logs = self.log_dir.glob(f"{self.name}-*.log")
        return sum(p.read_text(errors="replace").count("Traceback") for p in logs)


def live_children(parent: int) -> list[int]:
    """Pids of the parent's children that are not zombies, from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == parent and state != "Z":
            children.append(int(entry.name))
    return sorted(children)


def cpu_time(pid: int) -> int:
    """User plus system clock ticks the process has used (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def get_status(port: int, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


# -- the clients ---------------------------------------------------------------


@dataclass
class Tally:
    """What the clients sent, and what the server acknowledged."""

    sent: int = 0
    acknowledged: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    # "round N refused" / "round N cut off" -> count
    connection_errors: Counter[str] = field(default_factory=Counter)
    # Acknowledged writes: (username, seller id) and (seller id, username, buyer).
    sellers: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[tuple[str, str, str]] = field(default_factory=list)
    # Writes cut off before their answer: they may or may not have happened.
    unanswered_sellers: list[str] = field(default_factory=list)
    unanswered_blocks: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        self.sent += other.sent
        self.acknowledged.update(other.acknowledged)
        self.statuses.update(other.statuses)
        self.connection_errors.update(other.connection_errors)
        self.sellers += other.sellers
        self.blocks += other.blocks
        self.unanswered_sellers += other.unanswered_sellers
        self.unanswered_blocks += other.unanswered_blocks


@dataclass
class Shop:
    """A seller a client registered, and its progress."""

    username: str
    seller_id: str
    token: str | None = None
    attempts: int = 0


class Client:
    """One load process: register a seller, sign in, block 10 buyers, repeat."""

    def __init__(self, index: int, port: int, phase: Any) -> None:
        self.index = index
        self.http = Http(port, REQUEST_TIMEOUT)
        self.phase = phase  # the round now running, set by the main process
        self.tally = Tally()
        self.shop: Shop | None = None

    def run(self, stop: Any, seconds: float) -> Tally:
        """Write until told to stop, or at the latest after ``seconds``."""
        deadline = time.monotonic() + seconds
        serial = 0
        while (
            not stop.is_set()
            and time.monotonic() < deadline
            and self.tally.sent < MAX_REQUESTS_PER_CLIENT
        ):
            serial += 1
            self.step(serial)
        self.http.close()
        return self.tally

    def step(self, serial: int) -> None:
        shop = self.shop
        if shop is None or shop.attempts >= BLOCKS_PER_SELLER:
            self.shop = self.register(f"fault-{self.index}-{serial}")
        elif shop.token is None:
            shop.token = self.sign_in(shop.username)
        else:
            self.block(shop, f"buyer-{self.index}-{serial}")

    def record(self, kind: str, answer: Answer | str) -> Answer | str | None:
        """Count one answer; returns it if 2xx, the failure if cut off, else None."""
        self.tally.sent += 1
        if isinstance(answer, str):
            self.tally.connection_errors[f"round {self.phase.value} {answer}"] += 1
            time.sleep(PAUSE_AFTER_CONNECTION_ERROR)
            return answer if answer == "cut off" else None
        if 200 <= answer[0] < 300:
            self.tally.acknowledged[kind] += 1
            return answer
        self.tally.statuses[f"{kind} {answer[0]}"] += 1
        return None

    def register(self, username: str) -> Shop | None:
        body = {"username": username, "email": f"{username}@example.com"}
        answer = self.http.call(
            "POST", "/api/v1/sellers", {**body, "password": PASSWORD}
        )
        outcome = self.record("register", answer)
        if outcome == "cut off":
            self.tally.unanswered_sellers.append(username)
        if not isinstance(outcome, tuple):
            return None
        seller_id = str(outcome[1]["id"])
        self.tally.sellers.append((username, seller_id))
        return Shop(username, seller_id)

    def sign_in(self, username: str) -> str | None:
        body = {"username": username, "password": PASSWORD}
        outcome = self.record(
            "sign-in", self.http.call("POST", "/api/v1/sessions", body)
        )
        return str(outcome[1]["token"]) if isinstance(outcome, tuple) else None

    def block(self, shop: Shop, buyer: str) -> None:
        shop.attempts += 1  # a cut-off attempt may have counted towards the cap
        body = {**BLOCK_BODY, "buyer": buyer}
        answer = self.http.call("POST", "/api/v1/blocklist", body, shop.token)
        outcome = self.record("block", answer)
        write = (shop.seller_id, shop.username, buyer)
        if isinstance(outcome, tuple):
            self.tally.blocks.append(write)
        elif outcome == "cut off":
            self.tally.unanswered_blocks.append(write)


def run_client(
    index: int, port: int, phase: Any, stop: Any, seconds: float, queue: Any
) -> None:
    queue.put(Client(index, port, phase).run(stop, seconds))


class Load:
    """Client processes writing in parallel until stopped."""

    def __init__(self, count: int, port: int, seconds: float) -> None:
        self.phase: Any = multiprocessing.Value("i", 1)
        self.stop = multiprocessing.Event()
        self.queue: Any = multiprocessing.Queue()
        self.processes = [
            multiprocessing.Process(
                target=run_client,
                args=(i, port, self.phase, self.stop, seconds, self.queue),
                daemon=True,
            )
            for i in range(count)
        ]
        for process in self.processes:
            process.start()

    def finish(self) -> Tally:
        """Stop the clients and merge their tallies."""
        self.stop.set()
        total = Tally()
        for _ in self.processes:
            total.add(self.queue.get(timeout=REQUEST_TIMEOUT + 30))
        for process in self.processes:
            process.join(timeout=10)
        return total


# -- the faults ----------------------------------------------------------------


def run_rounds(server: Server, seconds: float, clients: int) -> Tally:
    """Round 1 kills a worker, round 2 the whole server; returns the tally."""
    load = Load(clients, server.port, 2 * seconds + 3 * START_TIMEOUT)
    try:
        time.sleep(seconds / 2)  # round 1: a worker dies mid-round
        victim, respawn = server.kill_one_worker()
        print(f"round 1: killed worker {victim}; replaced in {respawn:.2f} s")
        time.sleep(seconds / 2)
        load.phase.value = 2  # round 2: the whole server dies mid-round
        time.sleep(seconds / 2)
        pids = server.kill_all()
        restart = server.start()
        print(f"round 2: killed master and workers {pids}; up again in {restart:.2f} s")
        time.sleep(seconds / 2)
    finally:
        tally = load.finish()
    return tally


# -- the checks ----------------------------------------------------------------


@dataclass
class Findings:
    """Acknowledged writes not found, by where they were looked for."""

    missing: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    applied_unanswered: Counter[str] = field(default_factory=Counter)
    verify_output: str = ""
    verify_status: int | None = None

    def miss(self, where: str, what: str) -> None:
        self.missing[where] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{where}: {what}")


def blocks_by_seller(tally: Tally) -> dict[str, list[tuple[str, str, str]]]:
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    for write in tally.blocks:
        grouped.setdefault(write[1], []).append(write)
    return grouped


def check_through_api(port: int, tally: Tally, findings: Findings) -> None:
    """Every acknowledged seller signs in and sees its acknowledged blocks."""
    http_ = Http(port, REQUEST_TIMEOUT)
    grouped = blocks_by_seller(tally)
    for username, _ in tally.sellers:
        token = api_sign_in(http_, username)
        if token is None:
            findings.miss("api: registration", username)
            continue
        expected = grouped.get(username, [])
        listed = api_blocked_buyers(http_, token) if expected else set()
        for _, _, buyer in expected:
            if buyer not in listed:
                findings.miss("api: block", f"{username} / {buyer}")
    http_.close()


def api_sign_in(http_: Http, username: str) -> str | None:
    body = {"username": username, "password": PASSWORD}
    for _ in range(3):  # the check itself must not fail on a hiccup
        answer = http_.call("POST", "/api/v1/sessions", body)
        if not isinstance(answer, str):
            return str(answer[1]["token"]) if answer[0] == 201 else None
    return None


def api_blocked_buyers(http_: Http, token: str) -> set[str]:
    answer = http_.call("GET", "/api/v1/blocklist", token=token)
    if isinstance(answer, str) or answer[0] != 200:
        return set()
    return {item["buyer"] for item in answer[1]["items"]}


def audit_verify(env: dict[str, str], findings: Findings) -> None:
    result = subprocess.run(
        [SELLERGUARD, "audit", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    findings.verify_status = result.returncode
    findings.verify_output = (result.stdout + result.stderr).strip()


def check_in_store(env: dict[str, str], tally: Tally, findings: Findings) -> None:
    """The event store and the block-lookup read model, through the application."""
    services = build_services(Settings.from_env(env))
    try:
        now = datetime.now(UTC)
        check_stored(services, tally, findings, now)
        count_unanswered(services, tally, findings, now)
        services.read_models.catch_up()
        check_read_model(services, tally, findings)
    finally:
        services.close()


def check_stored(
    services: Any, tally: Tally, findings: Findings, now: datetime
) -> None:
    for username, seller_id in tally.sellers:
        if services.ledger.find(UUID(seller_id), SellerAccount) is None:
            findings.miss("store: registration", username)
    for seller_id, username, buyer in tally.blocks:
        list_id = block_list_id(UUID(seller_id))
        if buyer not in stored_buyers(services, list_id, now):
            findings.miss("store: block", f"{username} / {buyer}")


def check_read_model(services: Any, tally: Tally, findings: Findings) -> None:
    for seller_id, username, buyer in tally.blocks:
        result = services.block_lists.check(
            UUID(seller_id), buyer, BuyerAction.PLACE_ORDER
        )
        if not result.blocked or result.allowed:
            findings.miss("read model: check", f"{username} / {buyer}")


def stored_buyers(services: Any, list_id: UUID, now: datetime) -> set[str]:
    blocks = services.ledger.find(list_id, BlockList)
    return {b.buyer for b in blocks.active(now)} if blocks else set()


def count_unanswered(
    services: Any, tally: Tally, findings: Findings, now: datetime
) -> None:
    """Writes cut off during the kills that happened anyway (allowed, informative)."""
    for username in tally.unanswered_sellers:
        if services.sign_in.names.account_named(username) is not None:
            findings.applied_unanswered["register"] += 1
    for seller_id, _, buyer in tally.unanswered_blocks:
        if buyer in stored_buyers(services, block_list_id(UUID(seller_id)), now):
            findings.applied_unanswered["block"] += 1


# -- the report ----------------------------------------------------------------


def report(tally: Tally, findings: Findings, server: Server) -> bool:
    """Print the figures; True when the run passes."""
    acknowledged = sum(tally.acknowledged.values())
    print(f"requests sent: {tally.sent}")
    print(f"acknowledged (2xx): {acknowledged} {dict(tally.acknowledged)}")
    errors = sum(tally.connection_errors.values())
    print(
        f"connection errors: {errors} {dict(sorted(tally.connection_errors.items()))}"
    )
    print(f"non-2xx answers: {dict(sorted(tally.statuses.items())) or 'none'}")
    unanswered = len(tally.unanswered_sellers) + len(tally.unanswered_blocks)
    applied = dict(findings.applied_unanswered) or "none"
    print(f"writes cut off unanswered: {unanswered}; applied anyway: {applied}")
    print(f"tracebacks in the server logs: {server.tracebacks()}")
    missing = sum(findings.missing.values())
    print(f"acknowledged but missing: {missing} {dict(findings.missing) or ''}")
    for example in findings.examples:
        print(f"  missing {example}")
    print(f"audit verify (exit {findings.verify_status}): {findings.verify_output}")
    server_errors = sum(
        n for k, n in tally.statuses.items() if k.rsplit(" ", 1)[1].startswith("5")
    )
    return missing == 0 and findings.verify_status == 0 and server_errors == 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--seconds", type=float, default=8.0, help="per round")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument(
        "--quick", action="store_true", help="about 3 s a round, 2 clients (CI)"
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.clients = 3.0, 2
    if not 1 <= args.clients <= 32 or not 2 <= args.workers <= 16:
        parser.error("--clients must be 1 to 32 and --workers 2 to 16")
    if not 1 <= args.seconds <= 300:
        parser.error("--seconds must be 1 to 300")
    return args


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    print(
        f"store {args.store}; {args.workers} workers; {args.clients} client "
        f"processes; {args.seconds:g} s a round"
    )
    with fresh_store(
        args.store,
        args.postgres_url,
        "fault",
        ARGON2_PROFILE="CHEAPEST",
        LOGIN_RATE_LIMIT="1000000/minute",
        LOG_LEVEL="WARNING",
    ) as env:
        subprocess.run(
            [SELLERGUARD, "init"], env=env, check=True, capture_output=True, timeout=60
        )
        server = Server(env, free_port(), args.workers)
        findings = Findings()
        try:
            print(f"server up in {server.start():.2f} s")
            tally = run_rounds(server, args.seconds, args.clients)
            checking = time.monotonic()
            check_through_api(server.port, tally, findings)
        finally:
            server.stop()
        audit_verify(env, findings)
        check_in_store(env, tally, findings)
        print(f"checks took {time.monotonic() - checking:.1f} s")
        passed = report(tally, findings, server)
        if not passed:
            print(server.log_tail())
    print(f"elapsed: {time.monotonic() - began:.1f} s")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
