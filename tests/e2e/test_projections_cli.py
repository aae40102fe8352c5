"""`sellerguard projections rebuild`: read models made anew from the log."""

from __future__ import annotations

import subprocess

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
