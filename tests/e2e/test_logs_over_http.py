"""What `sellerguard serve` writes, as the on-call engineer reads it."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.e2e_helpers import SELLERGUARD, running_server, settings_env

REQUEST_ID = "trace-4f2a9c1e-77"


def log_lines(env: dict[str, str], base: str) -> list[str]:
    port = base.rsplit(":", 1)[1]
    path = Path(env["SELLERGUARD_DATA_DIR"]).with_name(f"server-{port}.log")
    return path.read_text().splitlines()


def test_every_line_is_json_and_a_request_is_found_by_its_id(tmp_path):
    env = settings_env(tmp_path / "var", None)

    with running_server(env, "--workers", "2") as base:
        request = urllib.request.Request(
            f"{base}/api/v1/me", headers={"X-Request-Id": REQUEST_ID}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        refused.value.close()
        assert refused.value.headers["X-Request-Id"] == REQUEST_ID
    lines = log_lines(env, base)

    records = [json.loads(line) for line in lines]  # every line, gunicorn's too
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r["logger"] == "gunicorn.error" for r in records)
    access = [r for r in records if r.get("request_id") == REQUEST_ID]
    assert [(r["path"], r["status"]) for r in access] == [("/api/v1/me", 401)]
    assert records[0]["time"].endswith("+00:00")


def test_several_workers_on_sqlite_are_warned_about_at_start(tmp_path):
    env = settings_env(tmp_path / "var", None)

    with running_server(env, "--workers", "2") as base:
        pass
    records = [json.loads(line) for line in log_lines(env, base)]

    warnings = [r for r in records if r["level"] == "WARNING"]
    assert any("2 workers share one SQLite file" in r["message"] for r in warnings)


def test_a_busy_port_is_refused_at_once_with_the_way_out(tmp_path):
    env = settings_env(tmp_path / "var", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = subprocess.run(
            [str(SELLERGUARD), "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "PORT=9000" in result.stderr
