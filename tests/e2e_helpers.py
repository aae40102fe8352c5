"""Starting the real server as a subprocess and talking HTTP to it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SELLERGUARD = Path(sys.executable).with_name("sellerguard")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELLERGUARD_")}
    env.update(
        SELLERGUARD_DATA_DIR=str(data_dir), SELLERGUARD_ARGON2_PROFILE="CHEAPEST"
    )
    if database_url:
        env["SELLERGUARD_DATABASE_URL"] = database_url
    return env


@contextmanager
def running_server(
    env: dict[str, str], *args: str, port: int | None = None
) -> Iterator[str]:
    """`sellerguard serve` on a free port (or the one given); yields its base URL."""
    port = port or free_port()
    log_path = Path(env["SELLERGUARD_DATA_DIR"]).with_name(f"server-{port}.log")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(SELLERGUARD), "serve", "--port", str(port), *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def call(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request; returns status, headers and the decoded JSON body."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, dict(response.headers), _json(raw)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), _json(error.read())


def _json(raw: bytes) -> Any:
    return json.loads(raw) if raw else None


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not come up within 30 s")
