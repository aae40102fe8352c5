"""Slow clients against the served API: does a byte-a-second client stall it?

Starts the server on a temporary SQLite store (``sellerguard serve``'s own
configuration, with its buffering worker, or the same configuration with
gunicorn's plain ``gthread`` worker for comparison), opens N connections that
each send one byte a second (half of them dripping a GET's header section, half
a POST's body after its headers), and meanwhile times normal requests
(``GET /healthz`` and registrations) one after another. Then it waits for the
slow connections to end and counts how: 408 answer, reset, or still open.

    .venv/bin/python scripts/bench_slow_clients.py [--worker buffering|gthread]
        [--slow 50] [--workers 1] [--threads 8] [--read-timeout 10]
        [--requests 20]

Prints the normal requests' latencies (median, max) and the slow connections'
fates.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

SERVER = """
import sys
from infrastructure.settings import Settings
from interface import logs
from interface.cli import _Gunicorn
from interface.composition import initialise
from interface.request_buffering import buffering_worker

worker, workers, threads, read_timeout, port = sys.argv[1:]
settings = Settings.from_env()
logs.configure(settings.log_level)
initialise(settings)
_Gunicorn(settings, {
    "bind": f"127.0.0.1:{port}", "workers": int(workers), "threads": int(threads),
    "worker_class": "gthread" if worker == "gthread"
    else buffering_worker(float(read_timeout)),
    "limit_request_line": 8190, "timeout": 60, "graceful_timeout": 20,
    "accesslog": None, "control_socket_disable": True,
}).run()
"""
BODY = b'{"username": "slow.one", "email": "s@example.com", "password": "x"}'
HEADERS = (
    b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n"
    b"User-Agent: a-very-slow-client/1.0\r\nAccept: application/json\r\n\r\n"
)
POST_HEAD = (
    b"POST /api/v1/sellers HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--worker", choices=["buffering", "gthread"], default="buffering"
    )
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--read-timeout", type=float, default=10.0)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SELLERGUARD_")}
        env.update(
            SELLERGUARD_DATA_DIR=str(Path(tmp) / "var"),
            SELLERGUARD_ARGON2_PROFILE="CHEAPEST",
            SELLERGUARD_LOG_LEVEL="WARNING",
        )
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                SERVER,
                args.worker,
                str(args.workers),
                str(args.threads),
                str(args.read_timeout),
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_up(base)
            _run(base, port, args)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _run(base: str, port: int, args: argparse.Namespace) -> None:
    sockets = []
    pending: dict[socket.socket, bytes] = {}
    for n in range(args.slow):
        sock = socket.create_connection(("127.0.0.1", port))
        if n % 2:
            sock.sendall(POST_HEAD)
            pending[sock] = BODY
        else:
            pending[sock] = HEADERS
        sockets.append(sock)
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(1.0):
            for sock, rest in list(pending.items()):
                if rest:
                    try:
                        sock.send(rest[:1])
                    except OSError:
                        rest = b"."
                    pending[sock] = rest[1:]

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    time.sleep(1.5)
    timings, failures = [], 0
    for n in range(args.requests):
        started = time.monotonic()
        ok = _normal(base, n)
        timings.append(time.monotonic() - started)
        failures += not ok
    fates = _fates(sockets, wait=args.read_timeout + 10)
    stop.set()
    dripper.join()
    print(
        f"worker={args.worker} workers={args.workers} threads={args.threads} "
        f"slow={args.slow} read_timeout={args.read_timeout}s"
    )
    print(
        f"normal requests: {len(timings)}, failed {failures}, "
        f"median {statistics.median(timings) * 1000:.0f} ms, "
        f"max {max(timings) * 1000:.0f} ms"
    )
    print("slow connections: " + ", ".join(f"{k} {v}" for k, v in fates.items()))


def _normal(base: str, n: int) -> bool:
    if n % 2:
        request = urllib.request.Request(f"{base}/healthz")
    else:
        request = urllib.request.Request(
            f"{base}/api/v1/sellers",
            data=(
                f'{{"username": "Quick.{n}", "email": "q{n}@example.com", '
                '"password": "Corr3ct-Horse!Battery"}'
            ).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            return response.status < 300
    except (urllib.error.URLError, TimeoutError):
        return False


def _fates(sockets: list[socket.socket], wait: float) -> dict[str, int]:
    deadline = time.monotonic() + wait
    fates = {"408": 0, "closed": 0, "reset": 0, "other answer": 0, "still open": 0}
    for sock in sockets:
        sock.settimeout(max(deadline - time.monotonic(), 0.1))
        received = b""
        try:
            while chunk := sock.recv(4096):
                received += chunk
        except ConnectionResetError:
            fates["reset"] += 1
            continue
        except TimeoutError:
            fates["still open"] += 1
            continue
        finally:
            sock.close()
        if received.startswith(b"HTTP/1.1 408"):
            fates["408"] += 1
        elif received:
            fates["other answer"] += 1
        else:
            fates["closed"] += 1
    return fates


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up")


if __name__ == "__main__":
    main()
