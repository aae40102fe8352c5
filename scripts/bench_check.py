"""Requests per second of the block-list check against a bare Flask endpoint.

Both apps run under the same WSGI server (gunicorn, same workers and threads)
and the same load generator (keep-alive HTTP clients in several processes on
loopback); rounds alternate between the two and the ratio is the median of
the rounds. The check is the real one: a service key authenticated, the read
model caught up with the log, a shop with blocks and a linked buyer.

    nice -n 5 .venv/bin/python scripts/bench_check.py [--seconds 5] [--rounds 3]

Budget (ARCHITECTURE.md, v1.1): at least 0.85x the bare endpoint. The p99
latency of each is printed beside (median over rounds of each round's p99,
measured by the clients, so it includes their own queueing). CPU time of
the servers' workers is reported too: on a shared machine, requests/s move
with the neighbours' load, the ratio within one round much less.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask, jsonify

from domain.actor import Actor, ActorKind
from domain.block_list import BlockReason, Duration, Scope
from infrastructure.settings import Settings
from interface.composition import build_services, initialise

GUNICORN = [
    str(Path(sys.executable).with_name("gunicorn")),
    "--worker-class",
    "gthread",
    "--log-level",
    "warning",
]
CLIENT_PROCESSES = 4
BUDGET = 0.85
OPERATOR = Actor(ActorKind.SYSTEM, "bench")


def bare_app() -> Flask:
    """The reference: a Flask endpoint that answers at once."""
    app = Flask("bare")

    @app.get("/api/v1/sellers/<uuid:seller_id>/blocklist/check")
    def check(seller_id: object) -> object:
        return jsonify(allowed=True, blocked=False)

    return app


def prepare(env: dict[str, str]) -> tuple[str, str]:
    """A shop with blocks and links; returns its check path and a service key."""
    settings = Settings.from_env(env)
    initialise(settings)
    services = build_services(settings)
    shop = services.sellers.register(
        "Bench.Shop", "b@example.com", "Corr3ct-Horse!Battery", None, OPERATOR
    )
    seller = services.sign_in.login(
        "Bench.Shop", "Corr3ct-Horse!Battery", _attempt(), OPERATOR
    ).principal
    for n in range(10):
        services.block_lists.block(
            seller,
            f"buyer{n}",
            BlockReason.OTHER,
            Scope.LINKED_IDS,
            Duration.DAYS_90,
            "",
            OPERATOR,
        )
    services.block_lists.link("buyer0", ["alt0", "alt1"], OPERATOR)
    key = services.platform_people.create_service_key(
        "bench", ["blocklist:check"], OPERATOR
    )
    services.read_models.catch_up()
    services.close()
    return (
        f"/api/v1/sellers/{shop.id}/blocklist/check?buyer=alt1&action=place_order",
        key.value,
    )


def _attempt():
    from domain.sign_in import Attempt

    return Attempt("127.0.0.1", "bench", "bench")


def serve(
    app_spec: str, env: dict[str, str], workers: int, threads: int
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    options = ["--workers", str(workers), "--threads", str(threads)]
    process = subprocess.Popen(
        [*GUNICORN, *options, "--bind", f"127.0.0.1:{port}", app_spec],
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app_spec} did not start")


def _client(port: int, path: str, key: str, seconds: float, queue: object) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {key}"}
    errors = 0
    latencies: list[float] = []
    clock = time.perf_counter
    stop = clock() + seconds
    while (started := clock()) < stop:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append(clock() - started)
        errors += response.status != 200
    queue.put((latencies, errors))  # type: ignore[attr-defined]


def load(port: int, path: str, key: str, seconds: float) -> tuple[float, int, float]:
    """Requests/s, non-200 answers and the p99 latency (ms) of one round."""
    queue: multiprocessing.Queue[tuple[list[float], int]] = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=_client, args=(port, path, key, seconds, queue))
        for _ in range(CLIENT_PROCESSES)
    ]
    for client in clients:
        client.start()
    results = [queue.get() for _ in clients]
    for client in clients:
        client.join()
    latencies = sorted(t for found, _ in results for t in found)
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else float("nan")
    return len(latencies) / seconds, sum(e for _, e in results), p99


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU time of a server's worker processes so far (Linux)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    for pid in children.read_text().split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SELLERGUARD_DATA_DIR": tmp,
            "SELLERGUARD_ARGON2_PROFILE": "CHEAPEST",
            "SELLERGUARD_LOG_LEVEL": "WARNING",
        }
        path, key = prepare(env)
        shape = (args.workers, args.threads)
        ours, our_port = serve("interface.app:create_app()", env, *shape)
        bare, bare_port = serve("scripts.bench_check:bare_app()", env, *shape)
        try:
            ratios, our_rates, bare_rates, errors = [], [], [], 0
            our_p99s, bare_p99s, our_cpu, bare_cpu = [], [], [], []
            load(our_port, path, key, 1.0)  # warm up both
            load(bare_port, path, key, 1.0)
            for _ in range(args.rounds):
                before = cpu_seconds(bare)
                bare_rate, _, bare_p99 = load(bare_port, path, key, args.seconds)
                bare_cpu.append(
                    (cpu_seconds(bare) - before) / (bare_rate * args.seconds)
                )
                before = cpu_seconds(ours)
                our_rate, our_errors, our_p99 = load(our_port, path, key, args.seconds)
                our_cpu.append((cpu_seconds(ours) - before) / (our_rate * args.seconds))
                ratios.append(our_rate / bare_rate)
                our_rates.append(our_rate)
                bare_rates.append(bare_rate)
                our_p99s.append(our_p99)
                bare_p99s.append(bare_p99)
                errors += our_errors
        finally:
            for process in (ours, bare):
                process.terminate()
                process.wait()
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads; "
        f"{CLIENT_PROCESSES} client processes; "
        f"{args.rounds} rounds of {args.seconds:.0f} s"
    )
    median = statistics.median
    print(
        f"block-list check:    {median(our_rates):8,.0f} requests/s, "
        f"p99 {median(our_p99s):5.2f} ms, "
        f"worker CPU {median(our_cpu) * 1e6:4.0f} us/request ({errors} non-200)"
    )
    print(
        f"bare Flask endpoint: {median(bare_rates):8,.0f} requests/s, "
        f"p99 {median(bare_p99s):5.2f} ms, "
        f"worker CPU {median(bare_cpu) * 1e6:4.0f} us/request"
    )
    ratio = median(ratios)
    verdict = "within" if ratio >= BUDGET else "UNDER"
    print(
        f"ratio (median of rounds): {ratio:.2f}x ({verdict} the {BUDGET}x budget); "
        f"rounds: {', '.join(f'{r:.2f}' for r in ratios)}"
    )


if __name__ == "__main__":
    main()
