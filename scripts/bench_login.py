"""Cost of a full sign-in against one Argon2 verification with the same profile.

A full sign-in is ``POST /api/v1/sessions`` through the whole Flask stack
(schema, rate limiter, index look-up, account load, Argon2 verification,
events saved, token minted) on a fresh SQLite store. The reference is
argon2-cffi verifying the same hash. Rounds alternate between the two so that
machine noise hits both alike; the ratio is the median over the rounds.

    .venv/bin/python scripts/bench_login.py [--logins 10] [--rounds 5] \
        [--profile RFC_9106_LOW_MEMORY]

Budget (ARCHITECTURE.md): at most 1.15x.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import argon2

from infrastructure.settings import Settings
from interface.app import create_app
from interface.composition import build_services, initialise

PASSWORD = "Corr3ct-Horse!Battery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=10, help="per side per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", default="RFC_9106_LOW_MEMORY")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env(
            {
                "SELLERGUARD_DATA_DIR": tmp,
                "SELLERGUARD_ARGON2_PROFILE": args.profile,
                "SELLERGUARD_LOGIN_RATE_LIMIT": "100000/minute",
                "SELLERGUARD_LOG_LEVEL": "WARNING",
            }
        )
        initialise(settings)
        services = build_services(settings)
        client = create_app(services=services).test_client()
        client.post(
            "/api/v1/sellers",
            json={
                "username": "Bench.Shop",
                "email": "bench@example.com",
                "password": PASSWORD,
            },
        )
        account = services.ledger.repository.get(
            services.ledger.recorder.select_notifications(start=1, limit=1)[
                0
            ].originator_id
        )
        verifier = argon2.PasswordHasher.from_parameters(settings.argon2_parameters())

        device = {"device_token": None}

        def full_logins() -> None:
            # As a browser does: the device token of the last sign-in is sent
            # back (the first sign-in, without one, is a new device).
            for _ in range(args.logins):
                body = {"username": "Bench.Shop", "password": PASSWORD}
                if device["device_token"]:
                    body["device_token"] = device["device_token"]
                response = client.post("/api/v1/sessions", json=body)
                assert response.status_code == 201, response.get_json()
                device["device_token"] = response.get_json()["device_token"]

        def verifications() -> None:
            for _ in range(args.logins):
                verifier.verify(account.password_hash, PASSWORD)

        full_logins()  # warm up both
        verifications()
        ratios, login_ms, verify_ms = [], [], []
        for _ in range(args.rounds):
            t_login = _timed(full_logins)
            t_verify = _timed(verifications)
            ratios.append(t_login / t_verify)
            login_ms.append(1000 * t_login / args.logins)
            verify_ms.append(1000 * t_verify / args.logins)
        services.close()
    print(f"profile {args.profile}; {args.logins * args.rounds} of each")
    print(f"full sign-in (POST /sessions): {statistics.median(login_ms):8.1f} ms")
    print(f"one Argon2 verification:       {statistics.median(verify_ms):8.1f} ms")
    ratio = statistics.median(ratios)
    verdict = "within" if ratio <= 1.15 else "OVER"
    print(f"cost ratio (median of rounds): {ratio:.3f}x ({verdict} the 1.15x budget)")


def _timed(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
