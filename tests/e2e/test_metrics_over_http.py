"""``/metrics`` over a real gunicorn with two workers: the counts of both add up."""

from __future__ import annotations

import subprocess
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from tests.e2e_helpers import SELLERGUARD, running_server, settings_env

CHECKS = "sellerguard_http_requests_total"
SCOPE = "metrics:read"


def healthz_count(base: str, key: str) -> float:
    request = urllib.request.Request(
        f"{base}/metrics", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == CHECKS and s.labels["operation"] == "checkLiveness"
    )


def test_every_workers_requests_are_in_every_scrape(tmp_path):
    env = settings_env(tmp_path / "var", None)
    subprocess.run([str(SELLERGUARD), "init"], env=env, check=True, capture_output=True)
    key = subprocess.run(
        [SELLERGUARD, "service-keys", "create", "--name", "prom", "--scope", SCOPE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()

    with running_server(env, "--workers", "2", "--threads", "2") as base:
        before = healthz_count(base, key)
        for _ in range(40):  # new connections: the workers share them out
            with urllib.request.urlopen(f"{base}/healthz", timeout=10):
                pass
        counts = [healthz_count(base, key) for _ in range(6)]

    assert counts == [before + 40] * 6
