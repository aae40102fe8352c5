"""Operators run the inactivity sweep and the inspection from the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import timedelta
from uuid import UUID, uuid4

from domain.actor import Actor, ActorKind
from domain.seller_account import SellerAccount
from tests.e2e_helpers import SELLERGUARD, settings_env

PASSWORD = "Corr3ct-Horse!Battery"
VISITOR = Actor(ActorKind.ANONYMOUS, None, "req-1", "203.0.113.7")


def run(settings, *args):
    return subprocess.run(
        [SELLERGUARD, *args],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_a_rehearsal_prints_what_it_would_do_and_writes_nothing(
    settings, services, clock
):
    store = services.sellers.register(
        "Shop.One", "a@example.com", PASSWORD, None, VISITOR
    )
    head = services.ledger.last_position()
    then = (clock.now() + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")

    result = run(settings, "sweep", "--now", then)

    assert result.returncode == 0, result.stderr
    assert f"would store_inactive\t{store.id}" in result.stdout
    assert "nothing written" in result.stdout
    assert services.ledger.last_position() == head


def test_the_sweep_closes_a_long_idle_store_once(settings, services, clock):
    # The fake clock stands months before the machine's: the store is long idle.
    store = services.sellers.register(
        "Shop.One", "a@example.com", PASSWORD, None, VISITOR
    )

    first = run(settings, "sweep")
    second = run(settings, "sweep")

    assert first.returncode == 0, first.stderr
    assert f"store_closed\t{store.id}" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith("0 of 1 stores changed")
    closed = services.ledger.find(UUID(str(store.id)), SellerAccount)
    assert closed.status.value == "closed"


def test_a_moment_that_is_not_one_is_refused(settings):
    result = run(settings, "sweep", "--now", "next tuesday")

    assert result.returncode == 2
    assert "not an RFC 3339 moment" in result.stderr


def test_inspection_lists_every_store_worst_first_as_json(settings, services):
    services.sellers.register("Shop.One", "a@example.com", PASSWORD, None, VISITOR)
    services.sellers.register("Shop.Two", "b@example.com", PASSWORD, None, VISITOR)
    run(settings, "sweep")  # both long idle by the machine's clock: closed

    result = run(settings, "inspection")

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert {s["store"]["username"] for s in body["stores"]} == {"Shop.One", "Shop.Two"}
    assert body["summary"] == {"ok": 0, "warn": 0, "fail": 2}
    assert {s["store"]["status"] for s in body["stores"]} == {"closed"}


def test_inspection_of_one_store_as_csv_has_a_row_per_item(settings, services):
    store = services.sellers.register(
        "Shop.One", "a@example.com", PASSWORD, None, VISITOR
    )

    result = run(settings, "inspection", "--seller", str(store.id), "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 10
    assert {r["store_id"] for r in rows} == {str(store.id)}
    assert [r["item"] for r in rows][:2] == ["store_status", "inactivity"]


def test_inspection_of_an_unknown_store_fails_with_a_message(settings):
    result = run(settings, "inspection", "--seller", str(uuid4()))

    assert result.returncode == 1
    assert "not_found" in result.stderr
