"""How many PostgreSQL connections a server and a follower hold, busy and idle.

Starts ``sellerguard serve --workers N`` and ``sellerguard projections run``
on a fresh schema, with their connections named by ``application_name``,
drives a burst of concurrent requests (so the pools grow), then counts the
connections in ``pg_stat_activity``: right after the burst, and again once
the pools have closed idle connections (one a pool every 10 s).

    .venv/bin/python scripts/count_connections.py [--workers 6] [--idle 110]
"""

from __future__ import annotations

import argparse
import subprocess
import threading
import time
import uuid
from pathlib import Path

import psycopg
from fault_test import SELLERGUARD, Server
from loopback import Http, free_port, fresh_store

POSTGRES_URL = "postgresql://127.0.0.1:5432/test"


def count(application_name: str) -> int:
    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    return int(row[0]) if row else 0


def burst(port: int, clients: int = 24, each: int = 10) -> None:
    def run(n: int) -> None:
        http = Http(port, 10.0)
        for i in range(each):
            name = f"conn-{n}-{i}"
            http.call(
                "POST",
                "/api/v1/sellers",
                {
                    "username": name,
                    "email": f"{name}@example.com",
                    "password": "Corr3ct-Horse!Battery",
                },
            )
            http.call("GET", "/readyz")
        http.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--idle", type=float, default=110.0, help="seconds")
    args = parser.parse_args()
    name = f"sg-count-{uuid.uuid4().hex[:8]}"
    with fresh_store(
        "postgres",
        POSTGRES_URL,
        "count",
        ARGON2_PROFILE="CHEAPEST",
        LOGIN_RATE_LIMIT="1000000/minute",
        LOG_LEVEL="WARNING",
    ) as env:
        env["SELLERGUARD_DATABASE_URL"] += f"&application_name={name}"
        subprocess.run([SELLERGUARD, "init"], env=env, check=True, timeout=60)
        server = Server(env, free_port(), args.workers)
        log = Path(env["SELLERGUARD_DATA_DIR"]).parent / "follower.log"
        with log.open("wb") as out:
            follower = subprocess.Popen(
                [SELLERGUARD, "projections", "run"], env=env, stdout=out, stderr=out
            )
        try:
            server.start()
            time.sleep(3)
            print(f"{args.workers} workers + follower, started: {count(name)}")
            burst(server.port)
            print(f"right after a burst of 24 concurrent clients: {count(name)}")
            time.sleep(args.idle)
            print(f"after {args.idle:g} s idle: {count(name)}")
        finally:
            follower.terminate()
            follower.wait(timeout=30)
            server.stop()


if __name__ == "__main__":
    main()
