"""Chaos test: database faults never turn into wrong answers (PostgreSQL).

On a fresh PostgreSQL schema, runs two servers (``sellerguard serve
--workers 2`` each, as two hosts would) and a ``sellerguard projections run``
follower, whose every database connection goes through a TCP proxy of this
script (``scripts/tcp_proxy.py``); clients spread their requests over both
servers. Then:

1. Concurrent creations: three sellers each ask for 20 sub-accounts with
   distinct names at once; all must be created.
2. Terminations under load: client threads register sellers and create
   sub-accounts (every name new, each with an e-mail of its own; some ask
   again for a name already acknowledged, which must be 409) while every
   connection of the run is terminated with ``pg_terminate_backend`` every
   second or so. Each write carries an ``Idempotency-Key``; a client answered
   503 (or cut off, or ``idempotency_key_in_use``) sends it again with the
   same key until it is answered otherwise. Afterwards, read straight from
   the store: every write answered 2xx is there, under the id it was
   answered with, once; every 409 was a real conflict (the name belongs to
   another request's account, never to this request's own e-mail); every
   retried new name ended 2xx; no 5xx but 503.
   Then lost commits, for certain: the connection of a write's commit is cut
   just after the COMMIT (it lands) or instead of it (it does not), and the
   database refuses for a moment, so the write is answered 503 "may or may
   not have been saved"; its retry with the same key must end 201 with
   exactly one account, alternately on either server.
3. Refusal: the proxy refuses connections for 10 s while clients keep
   writing and reading and ``/readyz`` is polled: every answer is 503 (with
   Retry-After) within 2 s and ``/readyz`` is 503 within 1 s; then the proxy
   listens again and, without a restart, ``/readyz`` turns 200 and the
   writes after it succeed (or are answered 503, never cut off or 500).
4. The log follower (the ``projections run`` process or a server's worker,
   whichever holds the leader lock), through all of it, brings the read
   models and the audit index to the log's head; the follower process is
   still running, never restarted.

    .venv/bin/python scripts/chaos_test.py [--postgres-url URL] [--refusal 10]
        [--servers 2] [--workers 2]

Two workers a server, not three: the machine running CI has two cores, and
2 x 2 workers plus the follower (5 processes, at most 10 connections each)
stay well inside PostgreSQL's 100 connections beside other users of it.
Bounded: about two and a half minutes. Passing: the last line says PASS, exit 0.
Only this run's connections are terminated (by their ``application_name``);
other users of the same PostgreSQL server are left alone.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
from fault_test import SELLERGUARD, Server
from loopback import Answer, Http, free_port, fresh_store
from tcp_proxy import CommitFault, TcpProxy

from infrastructure.settings import Settings
from interface.composition import build_services

POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
PASSWORD = "Corr3ct-Horse!Battery"
EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
REQUEST_TIMEOUT = 10.0
ANSWER_WITHIN = 2.0  # seconds: a request on a dead database
READY_WITHIN = 1.0  # seconds: /readyz
LOAD_CLIENTS = 6
LOAD_SECONDS = 20.0
KILL_EVERY = 1.0
RECOVERY_WRITES = 20
LOST_COMMIT_TRIES = 3
RETRY_FOR = 30.0  # seconds a client keeps retrying one write with its key
RETRIED = ("503", "cut off", "refused", "409 idempotency_key_in_use")
TALLY = threading.Lock()


# -- the requests ------------------------------------------------------------


def timed(call: Callable[[], Answer | str]) -> tuple[Answer | str, float]:
    began = time.monotonic()
    answer = call()
    return answer, time.monotonic() - began


def register(
    http: Http, username: str, email: str, key: str | None = None
) -> Answer | str:
    body = {"username": username, "email": email, "password": PASSWORD}
    return http.call("POST", "/api/v1/sellers", body, headers=keyed(key))


def sign_in(http: Http, username: str) -> str:
    answer = http.call(
        "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
    )
    if isinstance(answer, str) or answer[0] != 201:
        raise RuntimeError(f"sign-in of {username} failed: {answer}")
    return str(answer[1]["token"])


def new_employee(
    http: Http, token: str, username: str, email: str, key: str | None = None
) -> Answer | str:
    body = {
        "username": username,
        "email": email,
        "role": "customer_service_agent",
        "password": EMPLOYEE_PASSWORD,
    }
    return http.call("POST", "/api/v1/sub-accounts", body, token, keyed(key))


def keyed(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


def kind_of(answer: Answer | str) -> str:
    return answer if isinstance(answer, str) else str(answer[0])


def outcome_of(answer: Answer | str) -> str:
    """The status, with the problem's code for a 409 (which conflict)."""
    kind = kind_of(answer)
    if kind == "409" and isinstance(answer, tuple) and isinstance(answer[1], dict):
        return f"409 {answer[1].get('code')}"
    return kind


def until_settled(
    send: Callable[[], Answer | str], tally: Callable[[Answer | str], None]
) -> tuple[Answer | str, int]:
    """Send a keyed write, and again (same key) while it is answered 503, cut
    off or still in use, up to RETRY_FOR seconds; the last answer and how
    many times it was sent again."""
    deadline = time.monotonic() + RETRY_FOR
    answer = send()
    tally(answer)
    retries = 0
    while outcome_of(answer) in RETRIED and time.monotonic() < deadline:
        time.sleep(1.0 if outcome_of(answer).startswith("409") else 0.5)
        answer = send()
        tally(answer)
        retries += 1
    return answer, retries


# -- phase 1: concurrent creations ---------------------------------------------


def create_one(
    ports: list[int],
    shop: str,
    token: str,
    i: int,
    start: threading.Barrier,
    outcomes: Counter[str],
) -> None:
    client = Http(ports[i % len(ports)], REQUEST_TIMEOUT)
    start.wait()
    name = f"{shop}-emp-{i:02}"
    answer = new_employee(client, token, name, f"{name}@example.com")
    with TALLY:
        outcomes[kind_of(answer)] += 1
    client.close()


def concurrent_creations(ports: list[int], sellers: int = 3, each: int = 20) -> bool:
    created = 0
    outcomes: Counter[str] = Counter()
    port = ports[0]
    for n in range(sellers):
        http = Http(port, REQUEST_TIMEOUT)
        shop = f"chaos-shop-{n}"
        register(http, shop, f"{shop}@example.com")
        token = sign_in(http, shop)
        start = threading.Barrier(each)
        threads = [
            threading.Thread(
                target=create_one, args=(ports, shop, token, i, start, outcomes)
            )
            for i in range(each)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        http.close()  # idle while the threads ran: gunicorn may have closed it
        http = Http(port, REQUEST_TIMEOUT)
        listed = http.call("GET", "/api/v1/sub-accounts", token=token)
        if isinstance(listed, str) or listed[0] != 200:
            print(f"   listing the sub-accounts of {shop} failed: {listed}")
        else:
            created += len(listed[1]["items"])
        http.close()
    wanted = sellers * each
    print(
        f"1. concurrent sub-accounts ({sellers} sellers x {each} at once): "
        f"{created} of {wanted} created; answers {dict(outcomes)}"
    )
    return created == wanted and outcomes == Counter({"201": wanted})


# -- phase 2: connections terminated under load ---------------------------------

# (kind, username, email, seller username or "")
Write = tuple[str, str, str, str]


@dataclass
class Writes:
    """What the load clients asked for and were told."""

    answers: Counter[str] = field(default_factory=Counter)  # every answer
    # Final answers: (write, the id answered)
    acknowledged: list[tuple[Write, str]] = field(default_factory=list)
    conflicts: list[Write] = field(default_factory=list)
    expected_conflicts: int = 0
    # Writes sent again with their key: (write, final outcome)
    retried: list[tuple[Write, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def tally(self, write: Write) -> Callable[[Answer | str], None]:
        def note(answer: Answer | str) -> None:
            with self.lock:
                self.answers[f"{write[0]} {outcome_of(answer)}"] += 1

        return note

    def settle(self, write: Write, send: Callable[[str], Answer | str]) -> Answer | str:
        """Send the write with a key of its own until it is settled; note the end."""
        key = str(uuid.uuid4())
        answer, retries = until_settled(lambda: send(key), self.tally(write))
        with self.lock:
            if retries:
                self.retried.append((write, outcome_of(answer)))
            if isinstance(answer, str):
                return answer
            if 200 <= answer[0] < 300:
                self.acknowledged.append((write, str(answer[1]["id"])))
            elif answer[0] == 409:
                self.conflicts.append(write)
        return answer


def load_client(port: int, index: int, writes: Writes, stop: threading.Event) -> None:
    http = Http(port, REQUEST_TIMEOUT)
    serial = 0
    shop: tuple[str, str] | None = None  # (username, token)
    while not stop.is_set():
        serial += 1
        tag = uuid.uuid4().hex[:8]
        if shop is None or serial % 6 == 0:
            name = f"load-{index}-{serial}"
            write = ("seller", name, f"{name}.{tag}@example.com", "")
            answer = writes.settle(
                write, lambda key, w=write: register(http, w[1], w[2], key)
            )
            if not isinstance(answer, str) and answer[0] == 201:
                try:
                    shop = (name, sign_in(http, name))
                except RuntimeError:
                    shop = None
            continue
        if serial % 5 == 0 and writes.acknowledged:
            # A name acknowledged before: a real conflict, must be 409.
            taken = writes.acknowledged[serial % len(writes.acknowledged)][0][1]
            write = ("again", taken, f"again.{tag}@example.com", shop[0])
            with writes.lock:
                writes.expected_conflicts += 1
        else:
            name = f"load-{index}-{serial}-emp"
            write = ("employee", name, f"{name}.{tag}@example.com", shop[0])
        writes.settle(
            write,
            lambda key, w=write, t=shop[1]: new_employee(http, t, w[1], w[2], key),
        )
    http.close()


def terminate_backends(admin_url: str, application_name: str) -> int:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


def terminations_under_load(
    ports: list[int], admin_url: str, application_name: str, seconds: float
) -> Writes:
    writes = Writes()
    stop = threading.Event()
    clients = [
        threading.Thread(
            target=load_client, args=(ports[i % len(ports)], i, writes, stop)
        )
        for i in range(LOAD_CLIENTS)
    ]
    for client in clients:
        client.start()
    terminated = rounds = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(KILL_EVERY)
        terminated += terminate_backends(admin_url, application_name)
        rounds += 1
    stop.set()
    for client in clients:
        client.join()
    print(
        f"2. terminations under load ({seconds:g} s, {LOAD_CLIENTS} clients over "
        f"{len(ports)} servers): {terminated} connections terminated in "
        f"{rounds} rounds"
    )
    print(f"   answers: {dict(sorted(writes.answers.items()))}")
    return writes


def lost_commits(proxy: TcpProxy, ports: list[int], writes: Writes) -> bool:
    """Commits whose answer is lost (cut at the COMMIT, then the database
    refuses a moment): 503, and the retry with the key settles it. Each fault
    on each server; a round whose cut hit another transaction (the follower's,
    say) is tried again, up to LOST_COMMIT_TRIES."""
    http = [Http(port, REQUEST_TIMEOUT) for port in ports]
    shop = "lost-commit-shop"
    register(http[0], shop, f"{shop}@example.com")
    token = sign_in(http[0], shop)
    first: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for n, fault in enumerate(["after_commit", "instead_of_commit"] * len(ports)):
        for attempt in range(LOST_COMMIT_TRIES):
            name = f"lost-{n}-{attempt}-{fault}"
            write: Write = ("employee", name, f"{name}@example.com", shop)
            lost = LostCommit(proxy, http[n % len(http)], token, fault)
            writes.settle(write, lambda key, w=write, c=lost: c.send(w, key))
            first[f"{fault} {lost.first}"] += 1
            if lost.first == "503 unknown":
                unknown[fault] += 1
                break
    for client in http:
        client.close()
    print(
        f"   lost commits: first answers {dict(first)} (503 unknown: 'may or "
        "may not have been saved'); each retried with its key, checked below"
    )
    return all(unknown[fault] for fault in ("after_commit", "instead_of_commit"))


@dataclass
class LostCommit:
    """A write whose first attempt meets a commit fault; the others do not."""

    proxy: TcpProxy
    http: Http
    token: str
    fault: CommitFault
    first: str = ""

    def send(self, write: Write, key: str) -> Answer | str:
        if self.first:
            return new_employee(self.http, self.token, write[1], write[2], key)
        self.http.close()  # a fresh connection: a kept one may have been closed
        cut = self.proxy.break_next_commit(
            self.fault, then_refuse=True, after=b"_events"
        )
        answer = new_employee(self.http, self.token, write[1], write[2], key)
        if not cut.wait(5):
            self.proxy.disarm()
        self.proxy.start()
        self.http.close()  # the server may have closed it meanwhile
        self.first = outcome_of(answer)
        if self.first == "503" and "may or may not" in str(answer):
            self.first = "503 unknown"
        return answer


def check_writes(env: dict[str, str], writes: Writes) -> bool:
    """Every 2xx write is stored once under its id; every 409 belongs to
    another request; every write retried with its key ended as it should."""
    services = build_services(Settings.from_env(env))
    missing: list[str] = []
    false_conflicts: list[str] = []
    try:
        names = services.sign_in.names
        for (kind, username, email, shop), answered_id in writes.acknowledged:
            account = names.account_named(username)
            if account is None or account.email != email:
                missing.append(f"{kind} {username}")
            elif str(account.id) != answered_id or not _once_in_shop(
                names, account.id, shop
            ):
                missing.append(f"{kind} {username} (not once under its id)")
        for kind, username, email, _ in writes.conflicts:
            account = names.account_named(username)
            if account is None or account.email == email:
                false_conflicts.append(f"{kind} {username}")
    finally:
        services.close()
    server_errors = sum(
        n
        for k, n in writes.answers.items()
        if k.split()[1] not in ("503",) and k.split()[1].startswith("5")
    )
    unsettled = [
        f"{w[0]} {w[1]}: {end}"
        for w, end in writes.retried
        if end != ("409 username_taken" if w[0] == "again" else "201")
    ]
    print(
        f"   2xx writes: {len(writes.acknowledged)}, missing from the store (or "
        f"not once under the id answered): {len(missing)} {missing[:5]}"
    )
    print(
        f"   409 answers: {len(writes.conflicts)} (asked again for a taken name: "
        f"{writes.expected_conflicts}), false 409: {len(false_conflicts)} "
        f"{false_conflicts[:5]}"
    )
    print(
        f"   retried with their Idempotency-Key: {len(writes.retried)} writes, "
        f"ended {dict(Counter(end for _, end in writes.retried))}; "
        f"not settled as they should: {len(unsettled)} {unsettled[:5]}"
    )
    print(f"   5xx other than 503: {server_errors}")
    unexpected_409 = [c for c in writes.conflicts if c[0] != "again"]
    return (
        not missing
        and not false_conflicts
        and not server_errors
        and not unexpected_409
        and not unsettled
        and any(w[1].startswith("lost-") for w, _ in writes.retried)
    )


def _once_in_shop(names: Any, account_id: uuid.UUID, shop: str) -> bool:
    """A sub-account is in its seller's list exactly once (a seller: trivially)."""
    if not shop:
        return True
    seller = names.account_named(shop)
    return seller is not None and list(seller.sub_account_ids).count(account_id) == 1


# -- phase 3: the database refuses connections ------------------------------------


@dataclass
class Outage:
    answers: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0
    slowest_request: str = ""
    readyz: Counter[str] = field(default_factory=Counter)
    slowest_readyz: float = 0.0
    missing_retry_after: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, answer: Answer | str, seconds: float, what: str) -> None:
        with self.lock:
            self.answers[kind_of(answer)] += 1
            if seconds > self.slowest:
                self.slowest, self.slowest_request = seconds, what


def during_outage(port: int, token: str, outage: Outage, stop: threading.Event):
    http = Http(port, REQUEST_TIMEOUT)
    serial = 0
    while not stop.is_set():
        serial += 1
        name = f"outage-{uuid.uuid4().hex[:10]}"
        began = time.monotonic()
        if serial % 2:
            what = "GET /api/v1/me"
            answer = http.call("GET", "/api/v1/me", token=token)
        else:
            what = "POST /api/v1/sub-accounts"
            answer = new_employee(http, token, name, f"{name}@example.com")
        outage.note(answer, time.monotonic() - began, what)
    http.close()


def refusal(proxy: TcpProxy, ports: list[int], seconds: float) -> bool:
    port = ports[0]
    http = Http(port, REQUEST_TIMEOUT)
    shop = "refusal-shop"
    register(http, shop, f"{shop}@example.com")
    token = sign_in(http, shop)
    outage = Outage()
    stop = threading.Event()
    clients = [
        threading.Thread(
            target=during_outage, args=(ports[i % len(ports)], token, outage, stop)
        )
        for i in range(3)
    ]
    proxy.refuse()
    refused_at = time.monotonic()
    for client in clients:
        client.start()
    first_not_ready: float | None = None
    probes = [Http(p, REQUEST_TIMEOUT) for p in ports]
    while time.monotonic() - refused_at < seconds:
        probe = probes[outage.readyz.total() % len(probes)]
        answer, took = timed(lambda p=probe: p.call("GET", "/readyz"))
        outage.readyz[kind_of(answer)] += 1
        outage.slowest_readyz = max(outage.slowest_readyz, took)
        if first_not_ready is None and kind_of(answer) == "503":
            first_not_ready = time.monotonic() - refused_at
        time.sleep(0.25)
    stop.set()
    for client in clients:
        client.join()
    for probe in probes:
        probe.close()
    proxy.start()
    back_at = time.monotonic()
    ready_after = max(until_ready(p, back_at) for p in ports)
    after: Counter[str] = Counter()
    # New connections, as a client after a pause makes (gunicorn closes an
    # idle keep-alive connection after 2 s, which would look like a cut).
    http.close()
    clients = [Http(p, REQUEST_TIMEOUT) for p in ports]
    for n in range(RECOVERY_WRITES):
        name = f"after-{n}"
        client = clients[n % len(clients)]
        after[kind_of(new_employee(client, token, name, f"{name}@example.com"))] += 1
    for client in clients:
        client.close()
    print(
        f"3. refusal ({seconds:g} s): answers {dict(outage.answers)}, slowest "
        f"{outage.slowest:.2f} s ({outage.slowest_request}); "
        f"/readyz {dict(outage.readyz)}, slowest {outage.slowest_readyz:.2f} s, "
        f"503 after {first_not_ready or -1:.2f} s"
    )
    print(
        f"   back: every worker of every server ready {ready_after:.2f} s after "
        "the database "
        f"returned; then {RECOVERY_WRITES} writes: {dict(after)}"
    )
    return (
        set(outage.answers) == {"503"}
        and outage.slowest <= ANSWER_WITHIN
        and outage.readyz.get("200", 0) <= 1  # only a probe right at the start
        and outage.slowest_readyz <= READY_WITHIN
        and first_not_ready is not None
        and first_not_ready <= READY_WITHIN + 0.5
        and ready_after < 10
        and set(after) <= {"201", "503"}
        and after["201"] >= RECOVERY_WRITES - 2
    )


def followed(
    env: dict[str, str], follower: subprocess.Popen[bytes], within: float = 20.0
) -> bool:
    """The log follower (the ``projections run`` process, or a server's worker
    when it holds the leader lock), through every fault, brings the read
    models and the audit index to the log's head (no restart; requests were
    stopped); the follower process is still running."""
    services = build_services(Settings.from_env(env))
    began = time.monotonic()
    try:
        while True:
            head = services.ledger.last_position()
            behind = [
                p.name
                for p in services.read_models.projections
                if services.views.position(p.name) < head  # type: ignore[attr-defined]
            ]
            if services.audit.indexer.position() < head:
                behind.append("audit_index")
            waited = time.monotonic() - began
            if not behind or waited > within:
                break
            time.sleep(0.5)
    finally:
        services.close()
    running = follower.poll() is None
    print(
        f"4. log follower: read models and audit index at the log head ({head}) "
        f"{waited:.1f} s after the load stopped; behind: {behind or 'none'}; "
        f"`projections run` still running: {running}"
    )
    return not behind and running


def until_ready(port: int, since: float, within: float = 15.0) -> float:
    """Seconds until ten /readyz in a row (spread over the workers) say 200."""
    streak = 0
    while time.monotonic() - since < within:
        http = Http(port, REQUEST_TIMEOUT)  # a new connection: any worker
        streak = streak + 1 if kind_of(http.call("GET", "/readyz")) == "200" else 0
        http.close()
        if streak >= 10:
            return time.monotonic() - since
        time.sleep(0.05)
    return float("inf")


# -- the run -------------------------------------------------------------------------


def start_follower(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """``sellerguard projections run`` in a process group of its own."""
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [SELLERGUARD, "projections", "run", "--poll", "0.2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_follower(follower: subprocess.Popen[bytes]) -> None:
    """SIGTERM (it stops after its current pass), then SIGKILL if it lingers."""
    if follower.poll() is not None:
        return
    follower.terminate()
    try:
        follower.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(follower.pid, signal.SIGKILL)
        follower.wait(timeout=10)


def tail(log_path: Path, lines: int = 40) -> str:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def tracebacks(logs: list[Path]) -> int:
    return sum(p.read_text(errors="replace").count("Traceback") for p in logs)


def logged_errors(logs: list[Path]) -> Counter[str]:
    """What the processes logged at ERROR or above, by message (and exception)."""
    found: Counter[str] = Counter()
    for log in logs:
        lines = log.read_text(errors="replace").splitlines()
        for n, line in enumerate(lines):
            if '"level": "ERROR"' in line or '"level": "CRITICAL"' in line:
                message = line.split('"message": ', 1)[-1][:90]
                found[message] += 1
            elif line.startswith("Traceback"):
                tail = next(
                    (t for t in lines[n + 1 :] if t and not t.startswith(" ")), ""
                )
                found[f"traceback: {tail[:90]}"] += 1
    return found


def through(proxy: TcpProxy, url: str, application_name: str) -> str:
    """The store's URL, through the proxy, naming this run's connections."""
    parts = urlsplit(url)
    query = f"{parts.query}&application_name={application_name}"
    return parts._replace(netloc=f"127.0.0.1:{proxy.port}", query=query).geturl()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="each server's")
    parser.add_argument("--load-seconds", type=float, default=LOAD_SECONDS)
    parser.add_argument("--refusal", type=float, default=10.0, help="seconds")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    began = time.monotonic()
    upstream = urlsplit(args.postgres_url)
    proxy = TcpProxy((upstream.hostname or "127.0.0.1", upstream.port or 5432))
    proxy.start()
    application_name = f"sg-chaos-{uuid.uuid4().hex[:8]}"
    with fresh_store(
        "postgres",
        args.postgres_url,
        "chaos",
        ARGON2_PROFILE="CHEAPEST",
        LOGIN_RATE_LIMIT="1000000/minute",
        LOG_LEVEL="WARNING",
    ) as direct:
        env = dict(direct)
        env["SELLERGUARD_DATABASE_URL"] = through(
            proxy, direct["SELLERGUARD_DATABASE_URL"], application_name
        )
        subprocess.run(
            [SELLERGUARD, "init"], env=env, check=True, capture_output=True, timeout=60
        )
        servers = [
            Server(env, free_port(), args.workers, name=f"server-{chr(97 + n)}")
            for n in range(args.servers)
        ]
        ports = [server.port for server in servers]
        log_dir = servers[0].log_dir
        follower = start_follower(env, log_dir / "follower.log")
        results: dict[str, bool] = {}
        try:
            for server in servers:
                print(
                    f"{server.name} ({args.workers} workers) up in "
                    f"{server.start():.2f} s, through the proxy"
                )
            print(f"`projections run` follower: pid {follower.pid}")
            results["concurrent"] = concurrent_creations(ports)
            writes = terminations_under_load(
                ports, args.postgres_url, application_name, args.load_seconds
            )
            results["lost_commits"] = lost_commits(proxy, ports, writes)
            results["refusal"] = refusal(proxy, ports, args.refusal)
            results["followed"] = followed(direct, follower)
        finally:
            for server in servers:
                server.stop()
            stop_follower(follower)
            proxy.stop()
        results["terminations"] = check_writes(direct, writes)
        logs = [*sorted(log_dir.glob("server-*.log")), log_dir / "follower.log"]
        print(f"tracebacks in the logs: {tracebacks(logs)}")
        for line, n in logged_errors(logs).most_common(8):
            print(f"   {n} x {line}")
    passed = all(results.values())
    if not passed:
        for server in servers:
            print(server.log_tail())
        print(tail(log_dir / "follower.log"))
    print(f"results: {results}")
    print(f"elapsed: {time.monotonic() - began:.1f} s")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
