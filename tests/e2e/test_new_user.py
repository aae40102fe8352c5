"""A new user's first minutes: init, serve, register, over real HTTP."""

from __future__ import annotations

import os
import stat
import subprocess

from tests.e2e_helpers import SELLERGUARD, call, running_server, settings_env

STRONG = "Corr3ct-Horse!Battery"


def test_a_seller_registers_against_the_real_server(settings):
    env = settings_env(settings.data_dir, settings.database_url)

    with running_server(env) as base:
        created = call(
            "POST",
            f"{base}/api/v1/sellers",
            {
                "username": "First.Shop",
                "email": "first@example.com",
                "password": STRONG,
            },
        )
        taken = call(
            "POST",
            f"{base}/api/v1/sellers",
            {
                "username": "FIRST.shop",
                "email": "other@example.com",
                "password": STRONG,
            },
        )
        weak = call(
            "POST",
            f"{base}/api/v1/sellers",
            {
                "username": "Second.Shop",
                "email": "s@example.com",
                "password": "abcd1234",
            },
        )
        ready = call("GET", f"{base}/readyz")

    assert created[0] == 201
    assert created[2]["username"] == "First.Shop"
    assert (taken[0], taken[2]["code"]) == (409, "username_taken")
    assert (weak[0], weak[2]["code"]) == (422, "password_policy")
    assert len(weak[2]["violations"]) == 5
    assert ready[0] == 200


def test_init_is_idempotent_and_keeps_keys_private(tmp_path):
    env = settings_env(tmp_path / "var", None)

    first = subprocess.run(
        [SELLERGUARD, "init"], env=env, capture_output=True, text=True, check=True
    )
    keys = sorted((tmp_path / "var" / "keys").iterdir())
    before = {key.name: key.read_bytes() for key in keys}
    second = subprocess.run(
        [SELLERGUARD, "init"], env=env, capture_output=True, text=True, check=True
    )

    assert [k.name for k in keys] == ["cipher.key", "documents.key", "signing.pem"]
    assert "created key" in first.stdout
    assert "created key" not in second.stdout
    assert {key.name: key.read_bytes() for key in keys} == before
    for key in keys:
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_a_bad_setting_stops_the_cli_with_a_clear_message(tmp_path):
    env = settings_env(tmp_path / "var", None)
    env["SELLERGUARD_ARGON2_PROFILE"] = "FASTEST"

    result = subprocess.run(
        [SELLERGUARD, "init"], env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "SELLERGUARD_ARGON2_PROFILE must be one of" in result.stderr
