"""Guessing spread over two server processes: the counters live in the events.

An attacker behind many addresses alternates between two servers sharing one
PostgreSQL database; the account-wide counters and the throttles still hold,
because each process reads them from the stored events, not its own memory.
"""

from __future__ import annotations

from datetime import UTC, datetime

from infrastructure.totp import Totp
from tests.e2e_helpers import call, running_server, settings_env

PASSWORD = "Corr3ct-Horse!Battery"
WRONG = "Wrong-Pass-1!x"


def sign_in(base, ip, password=PASSWORD, **extra):
    body = {"username": "Spread.Shop", "password": password, **extra}
    return call("POST", f"{base}/api/v1/sessions", body, {"X-Forwarded-For": ip})


def test_password_and_code_guessing_are_counted_across_processes(postgres_settings):
    env = settings_env(postgres_settings.data_dir, postgres_settings.database_url)
    # The test's requests come through 127.0.0.1, taken for our proxy, so each
    # can claim its own client address as a botnet's would.
    env.update(
        SELLERGUARD_TRUSTED_PROXIES="127.0.0.1",
        SELLERGUARD_LOGIN_RATE_LIMIT="1000/minute",
    )
    with running_server(env) as first, running_server(env) as second:
        servers = (first, second)
        call(
            "POST",
            f"{first}/api/v1/sellers",
            {"username": "Spread.Shop", "email": "s@example.com", "password": PASSWORD},
        )
        _, _, owner = sign_in(first, "198.51.100.10")
        for n in range(20):
            status, _, _ = sign_in(servers[n % 2], f"192.0.2.{n // 4}", WRONG)
            assert status == 401
        thief = [sign_in(base, "192.0.2.200")[0] for base in servers]
        known = [
            sign_in(base, "198.51.100.10", device_token=owner["device_token"])
            for base in servers
        ]

        auth = {"Authorization": f"Bearer {known[0][2]['token']}"}
        _, _, enrolment = call("POST", f"{second}/api/v1/me/two-step", headers=auth)
        secret = enrolment["secret"]
        call(
            "POST",
            f"{first}/api/v1/me/two-step/confirm",
            {"code": Totp().code_at(secret, datetime.now(UTC))},
            auth,
        )
        right = Totp().code_at(secret, datetime.now(UTC))
        wrong = "000000" if right != "000000" else "111111"
        for n in range(10):
            base = servers[n % 2]
            if n % 5 == 0:
                _, _, challenge = sign_in(
                    base, "198.51.100.10", device_token=owner["device_token"]
                )
            call(
                "POST",
                f"{base}/api/v1/sessions/challenge",
                {"challenge_id": challenge["challenge_id"], "code": wrong},
            )
        locked = []
        for base in servers:
            _, _, challenge = sign_in(
                base, "198.51.100.10", device_token=owner["device_token"]
            )
            locked.append(
                call(
                    "POST",
                    f"{base}/api/v1/sessions/challenge",
                    {
                        "challenge_id": challenge["challenge_id"],
                        "code": Totp().code_at(secret, datetime.now(UTC)),
                    },
                )
            )
        _, _, alerts = call("GET", f"{second}/api/v1/me/alerts", headers=auth)

    assert thief == [401, 401]
    assert [status for status, _, _ in known] == [201, 201]
    assert [(s, body["code"]) for s, _, body in locked] == [(401, "invalid_code")] * 2
    kinds = [a["kind"] for a in alerts["items"]]
    assert kinds.count("password_guessing") == 1
    assert kinds.count("second_step_failed") == 1
