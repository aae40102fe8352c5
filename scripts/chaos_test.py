"""Chaos test: database faults never turn into wrong answers (PostgreSQL).

On a fresh PostgreSQL schema, runs ``sellerguard serve --workers 3`` whose
every database connection goes through a TCP proxy of this script
(``scripts/tcp_proxy.py``), then:

1. Concurrent creations: three sellers each ask for 20 sub-accounts with
   distinct names at once; all must be created.
2. Terminations under load: client threads register sellers and create
   sub-accounts (every name new, each with an e-mail of its own; some ask
   again for a name already acknowledged, which must be 409) while the
   server's connections are terminated with ``pg_terminate_backend`` every
   second or so. Afterwards, read straight from the store: every write
   answered 2xx is there; every 409 was a real conflict (the name belongs to
   another request's account, never to this request's own e-mail); no 5xx
   but 503.
3. Refusal: the proxy refuses connections for 10 s while clients keep
   writing and reading and ``/readyz`` is polled: every answer is 503 (with
   Retry-After) within 2 s and ``/readyz`` is 503 within 1 s; then the proxy
   listens again and, without a restart, ``/readyz`` turns 200 and the
   writes after it succeed (or are answered 503, never cut off or 500).
4. The server's log follower, through all of it, brings the read models and
   the audit index to the log's head.

    .venv/bin/python scripts/chaos_test.py [--postgres-url URL] [--refusal 10]

Bounded: about a minute and a half. Passing: the last line says PASS, exit 0.
Only this run's connections are terminated (by their ``application_name``);
other users of the same PostgreSQL server are left alone.
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg
from fault_test import SELLERGUARD, Server
from loopback import Answer, Http, free_port, fresh_store
from tcp_proxy import TcpProxy

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
TALLY = threading.Lock()


# -- the requests ------------------------------------------------------------


def timed(call: Callable[[], Answer | str]) -> tuple[Answer | str, float]:
    began = time.monotonic()
    answer = call()
    return answer, time.monotonic() - began


def register(http: Http, username: str, email: str) -> Answer | str:
    body = {"username": username, "email": email, "password": PASSWORD}
    return http.call("POST", "/api/v1/sellers", body)


def sign_in(http: Http, username: str) -> str:
    answer = http.call(
        "POST", "/api/v1/sessions", {"username": username, "password": PASSWORD}
    )
    if isinstance(answer, str) or answer[0] != 201:
        raise RuntimeError(f"sign-in of {username} failed: {answer}")
    return str(answer[1]["token"])


def new_employee(http: Http, token: str, username: str, email: str) -> Answer | str:
    body = {
        "username": username,
        "email": email,
        "role": "customer_service_agent",
        "password": EMPLOYEE_PASSWORD,
    }
    return http.call("POST", "/api/v1/sub-accounts", body, token)


def kind_of(answer: Answer | str) -> str:
    return answer if isinstance(answer, str) else str(answer[0])


# -- phase 1: concurrent creations ---------------------------------------------


def create_one(
    port: int,
    shop: str,
    token: str,
    i: int,
    start: threading.Barrier,
    outcomes: Counter[str],
) -> None:
    client = Http(port, REQUEST_TIMEOUT)
    start.wait()
    name = f"{shop}-emp-{i:02}"
    answer = new_employee(client, token, name, f"{name}@example.com")
    with TALLY:
        outcomes[kind_of(answer)] += 1
    client.close()


def concurrent_creations(port: int, sellers: int = 3, each: int = 20) -> bool:
    created = 0
    outcomes: Counter[str] = Counter()
    for n in range(sellers):
        http = Http(port, REQUEST_TIMEOUT)
        shop = f"chaos-shop-{n}"
        register(http, shop, f"{shop}@example.com")
        token = sign_in(http, shop)
        start = threading.Barrier(each)
        threads = [
            threading.Thread(
                target=create_one, args=(port, shop, token, i, start, outcomes)
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


@dataclass
class Writes:
    """What the load clients asked for and were told."""

    answers: Counter[str] = field(default_factory=Counter)
    # (kind, username, email, seller username or "") by outcome
    acknowledged: list[tuple[str, str, str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str, str, str]] = field(default_factory=list)
    expected_conflicts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, answer: Answer | str, write: tuple[str, str, str, str]) -> None:
        with self.lock:
            self.answers[f"{write[0]} {kind_of(answer)}"] += 1
            if isinstance(answer, str):
                return
            if 200 <= answer[0] < 300:
                self.acknowledged.append(write)
            elif answer[0] == 409:
                self.conflicts.append(write)


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
            answer = register(http, name, write[2])
            writes.note(answer, write)
            if not isinstance(answer, str) and answer[0] == 201:
                try:
                    shop = (name, sign_in(http, name))
                except RuntimeError:
                    shop = None
            continue
        if serial % 5 == 0 and writes.acknowledged:
            # A name acknowledged before: a real conflict, must be 409.
            taken = writes.acknowledged[serial % len(writes.acknowledged)][1]
            write = ("again", taken, f"again.{tag}@example.com", shop[0])
            with writes.lock:
                writes.expected_conflicts += 1
            writes.note(new_employee(http, shop[1], taken, write[2]), write)
            continue
        name = f"load-{index}-{serial}-emp"
        write = ("employee", name, f"{name}.{tag}@example.com", shop[0])
        writes.note(new_employee(http, shop[1], name, write[2]), write)
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
    port: int, admin_url: str, application_name: str, seconds: float
) -> Writes:
    writes = Writes()
    stop = threading.Event()
    clients = [
        threading.Thread(target=load_client, args=(port, i, writes, stop))
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
        f"2. terminations under load ({seconds:g} s, {LOAD_CLIENTS} clients): "
        f"{terminated} connections terminated in {rounds} rounds"
    )
    print(f"   answers: {dict(sorted(writes.answers.items()))}")
    return writes


def check_writes(env: dict[str, str], writes: Writes) -> bool:
    """Every 2xx write is stored; every 409 belongs to another request."""
    services = build_services(Settings.from_env(env))
    missing: list[str] = []
    false_conflicts: list[str] = []
    try:
        names = services.sign_in.names
        for kind, username, email, _ in writes.acknowledged:
            account = names.account_named(username)
            if account is None or account.email != email:
                missing.append(f"{kind} {username}")
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
    print(
        f"   2xx writes: {len(writes.acknowledged)}, missing from the store: "
        f"{len(missing)} {missing[:5]}"
    )
    print(
        f"   409 answers: {len(writes.conflicts)} (asked again for a taken name: "
        f"{writes.expected_conflicts}), false 409: {len(false_conflicts)} "
        f"{false_conflicts[:5]}"
    )
    print(f"   5xx other than 503: {server_errors}")
    unexpected_409 = [c for c in writes.conflicts if c[0] != "again"]
    return (
        not missing
        and not false_conflicts
        and not server_errors
        and not (unexpected_409)
    )


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


def refusal(proxy: TcpProxy, port: int, seconds: float) -> bool:
    http = Http(port, REQUEST_TIMEOUT)
    shop = "refusal-shop"
    register(http, shop, f"{shop}@example.com")
    token = sign_in(http, shop)
    outage = Outage()
    stop = threading.Event()
    clients = [
        threading.Thread(target=during_outage, args=(port, token, outage, stop))
        for _ in range(3)
    ]
    proxy.refuse()
    refused_at = time.monotonic()
    for client in clients:
        client.start()
    first_not_ready: float | None = None
    while time.monotonic() - refused_at < seconds:
        answer, took = timed(lambda: http.call("GET", "/readyz"))
        outage.readyz[kind_of(answer)] += 1
        outage.slowest_readyz = max(outage.slowest_readyz, took)
        if first_not_ready is None and kind_of(answer) == "503":
            first_not_ready = time.monotonic() - refused_at
        time.sleep(0.25)
    stop.set()
    for client in clients:
        client.join()
    proxy.start()
    back_at = time.monotonic()
    ready_after = until_ready(port, back_at)
    after: Counter[str] = Counter()
    # A new connection, as a client after a pause makes (gunicorn closes an
    # idle keep-alive connection after 2 s, which would look like a cut).
    http.close()
    http = Http(port, REQUEST_TIMEOUT)
    for n in range(RECOVERY_WRITES):
        name = f"after-{n}"
        after[kind_of(new_employee(http, token, name, f"{name}@example.com"))] += 1
    http.close()
    print(
        f"3. refusal ({seconds:g} s): answers {dict(outage.answers)}, slowest "
        f"{outage.slowest:.2f} s ({outage.slowest_request}); "
        f"/readyz {dict(outage.readyz)}, slowest {outage.slowest_readyz:.2f} s, "
        f"503 after {first_not_ready or -1:.2f} s"
    )
    print(
        f"   back: every worker ready {ready_after:.2f} s after the database "
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


def followed(env: dict[str, str], within: float = 20.0) -> bool:
    """The server's log follower, through every fault, brings the read models
    and the audit index to the log's head (no restart; requests were stopped)."""
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
    print(
        f"4. log follower: read models and audit index at the log head ({head}) "
        f"{waited:.1f} s after the load stopped; behind: {behind or 'none'}"
    )
    return not behind


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


def logged_errors(server: Server) -> Counter[str]:
    """What the server logged at ERROR or above, by message (and exception)."""
    found: Counter[str] = Counter()
    for log in server.log_dir.glob("server-*.log"):
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
    parser.add_argument("--workers", type=int, default=3)
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
        server = Server(env, free_port(), args.workers)
        results: dict[str, bool] = {}
        try:
            print(f"server up in {server.start():.2f} s, through the proxy")
            results["concurrent"] = concurrent_creations(server.port)
            writes = terminations_under_load(
                server.port, args.postgres_url, application_name, args.load_seconds
            )
            results["refusal"] = refusal(proxy, server.port, args.refusal)
            results["followed"] = followed(direct)
        finally:
            server.stop()
            proxy.stop()
        results["terminations"] = check_writes(direct, writes)
        print(f"tracebacks in the server logs: {server.tracebacks()}")
        for line, n in logged_errors(server).most_common(8):
            print(f"   {n} x {line}")
    passed = all(results.values())
    if not passed:
        print(server.log_tail())
    print(f"results: {results}")
    print(f"elapsed: {time.monotonic() - began:.1f} s")
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
