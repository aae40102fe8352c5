"""`sellerguard projections rebuild`: read models made anew from the log."""

from __future__ import annotations

import json
import subprocess
import threading
import time

from domain.actor import Actor, ActorKind
from domain.sign_in import Attempt
from tests.e2e_helpers import SELLERGUARD, settings_env

PASSWORD = "Corr3ct-Horse!Battery"


def test_rebuilding_remakes_the_login_history_from_the_log(settings, services):
    services.sellers.register(
        "Shop.One", "o@example.com", PASSWORD, None, Actor(ActorKind.ANONYMOUS)
    )
    attempt = Attempt("198.51.100.10", "agent", "laptop")
    services.sign_in.login("Shop.One", PASSWORD, attempt, Actor(ActorKind.ANONYMOUS))
    services.read_models.catch_up()
    account_id = next(
        iter(services.ledger.recorder.select_notifications(start=1, limit=1))
    ).originator_id
    before = services.views.items("logins", str(account_id), limit=10)

    result = subprocess.run(
        [SELLERGUARD, "projections", "rebuild", "login_history"],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        check=True,
    )

    after = services.views.items("logins", str(account_id), limit=10)
    assert "rebuilt: 1 events applied" in result.stdout
    assert [i.data for i in after] == [i.data for i in before]
    assert len(after) == 1


def test_rebuilding_an_unknown_read_model_fails_with_the_known_names(settings):
    result = subprocess.run(
        [SELLERGUARD, "projections", "rebuild", "nope"],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert "known: login_history, alerts" in result.stderr


def test_running_the_follower_says_what_it_does_in_json(settings, services):
    services.sellers.register(
        "Shop.One", "o@example.com", PASSWORD, None, Actor(ActorKind.ANONYMOUS)
    )
    head = services.ledger.last_position()
    process = subprocess.Popen(
        [SELLERGUARD, "projections", "run", "--heartbeat", "0.5"],
        env=settings_env(settings.data_dir, settings.database_url),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or []))
    reader.start()

    def caught_up(beat: dict) -> bool:  # the follower may write an event itself
        return beat["head"] >= head and beat["positions"]["tree"] == beat["head"]

    def beat_at_head() -> bool:
        return any(
            '"log follower: heartbeat"' in line and caught_up(json.loads(line))
            for line in list(lines)
        )

    deadline = time.monotonic() + 60
    while not beat_at_head() and time.monotonic() < deadline:
        time.sleep(0.1)
    process.terminate()
    process.wait(timeout=30)
    reader.join(timeout=10)
    assert process.stderr is not None
    process.stderr.close()

    records = [json.loads(line) for line in lines]  # every line is JSON
    messages = [r["message"] for r in records]
    assert messages.index("log follower: started") < messages.index(
        "log follower: leading"
    )
    assert "log follower: leading" in messages
    assert "checkpoint signed" in messages
    beats = [r for r in records if r["message"] == "log follower: heartbeat"]
    assert caught_up(beats[-1])
    assert beats[-1]["positions"]["alerts"] == beats[-1]["head"]
    assert messages[-1] == "log follower: stopped"
