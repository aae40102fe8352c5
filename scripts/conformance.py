"""Schemathesis against the served OpenAPI document, as every kind of caller.

Starts the real server on a fresh embedded store, signs in a seller, each
kind of staff (two-step on) and a service key, and runs ``schemathesis run``
on every operation once per caller with all checks: no 5xx, no response that
breaks its own schema, no undocumented status code or content type.

    .venv/bin/python scripts/conformance.py [--examples 15]

Excluded, with reason: ``positive_data_acceptance`` — the password policy,
the caps and the other business rules cannot be written in JSON Schema, so a
schema-valid request may rightly be refused with a documented 409 or 422.
Exit status 0 when every run passes.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from domain.actor import Actor, ActorKind
from domain.roles import StaffRole
from domain.sign_in import Attempt
from infrastructure.settings import Settings
from infrastructure.totp import Totp
from interface.composition import build_services, initialise

BIN = Path(sys.executable).parent
CONFIG = Path(__file__).with_name("schemathesis.toml")
PASSWORD = "Corr3ct-Horse!Battery"
OPERATOR = Actor(ActorKind.SYSTEM, "conformance")
ATTEMPT = Attempt("127.0.0.1", "conformance", "conformance")
EXCLUDED = "positive_data_acceptance"


def callers(env: dict[str, str]) -> dict[str, str]:
    """Bearer tokens of a seller, each staff role and a service."""
    settings = Settings.from_env(env)
    initialise(settings)
    services = build_services(settings)
    totp = Totp()
    try:
        services.sellers.register(
            "Conf.Shop", "c@example.com", PASSWORD, None, OPERATOR
        )
        tokens = {
            "seller": services.sign_in.login(
                "Conf.Shop", PASSWORD, ATTEMPT, OPERATOR
            ).token
        }
        for role in StaffRole:
            name = f"conf.{role.value.replace('_', '-')}"
            services.platform_people.create_staff(
                name, f"{name}@example.com", role, PASSWORD, OPERATOR
            )
            grant = services.sign_in.login(name, PASSWORD, ATTEMPT, OPERATOR)
            security = services.account_security
            enrolment = security.start_two_step(grant.principal, OPERATOR)
            code = totp.code_at(enrolment.secret, datetime.now(UTC))
            security.confirm_two_step(grant.principal, code, OPERATOR)
            tokens[role.value] = grant.token
        tokens["service"] = services.platform_people.create_service_key(
            "conformance",
            [
                "authz:check",
                "blocklist:check",
                "risk:write",
                "risk:read",
                "metrics:read",
            ],
            OPERATOR,
        ).value
    finally:
        services.close()
    return tokens


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [str(BIN / "sellerguard"), "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the server did not start")


def run(base: str, who: str, token: str | None, examples: int) -> tuple[bool, str]:
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/api/v1/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED,
        "--max-examples",
        str(examples),
        "--request-timeout",
        "20",
        "--seed",
        "20261122",
        "--no-color",
    ]
    if token:
        command += ["--header", f"Authorization: Bearer {token}"]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, check=False
    )
    summary = re.findall(r"=+ (.+ in [\d.]+s) =+", result.stdout)
    line = summary[-1] if summary else "no summary"
    if result.returncode != 0:
        # The failures first (each names its operation), then the summary:
        # a long generated value must not push the operation out of view.
        failures = result.stdout.find("= FAILURES =")
        warnings = result.stdout.find("= WARNINGS =", max(failures, 0))
        if failures >= 0:
            sys.stdout.write(result.stdout[failures:warnings][:20000])
        sys.stdout.write(result.stdout[-3000:])
    return result.returncode == 0, f"{who:>15}: {line}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SELLERGUARD_DATA_DIR": tmp,
            "SELLERGUARD_ARGON2_PROFILE": "CHEAPEST",
            "SELLERGUARD_LOG_LEVEL": "ERROR",
            # Fuzzing sends thousands of sign-ins from one address.
            "SELLERGUARD_LOGIN_RATE_LIMIT": "1000000/minute",
            "SELLERGUARD_RECOVERY_RATE_LIMIT": "1000000/hour",
        }
        env.pop("SELLERGUARD_DATABASE_URL", None)
        tokens = {"anonymous": None, **callers(env)}
        process, base = serve(env)
        try:
            outcomes = [
                run(base, who, token, args.examples) for who, token in tokens.items()
            ]
        finally:
            process.terminate()
            process.wait(timeout=30)
    print("schemathesis, every operation, all checks but " + EXCLUDED)
    for _, line in outcomes:
        print(line)
    passed = sum(ok for ok, _ in outcomes)
    print(f"{passed} passed, {len(outcomes) - passed} failed")
    sys.exit(0 if passed == len(outcomes) else 1)


if __name__ == "__main__":
    main()
