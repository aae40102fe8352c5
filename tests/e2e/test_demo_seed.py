"""`sellerguard demo seed` on a fresh store, then what it left there."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from application.recovery_views import CASES
from application.security_views import ALERTS
from application.sign_in import ChallengeView
from domain.actor import Actor, ActorKind
from domain.block_list import BuyerAction
from domain.sign_in import Attempt
from infrastructure.notifier import SmtpNotifier
from infrastructure.totp import Totp
from interface.cli import cli
from interface.composition import build_services
from tests.e2e_helpers import SELLERGUARD, settings_env

ALREADY_SEEDED = "the store already has data; use a fresh SELLERGUARD_DATA_DIR"
SELLERS = ("willowwick", "harbourtea", "copperleaf")
HERE = Attempt("192.0.2.200", "pytest", "test-device")


def seed_command() -> list[str]:
    """The console script once `demo` is registered in interface/cli.py."""
    if "demo" in cli.commands:
        return [str(SELLERGUARD), "demo", "seed"]
    program = "from interface.cli_demo import demo; demo(['seed'])"
    return [sys.executable, "-c", program]


def run_seed(settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        seed_command(),
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )


@pytest.fixture
def seeded(settings):
    result = run_seed(settings)
    assert result.returncode == 0, result.stderr
    services = build_services(settings)
    services.read_models.catch_up()
    yield result.stdout + result.stderr, services
    services.close()


def printed(pattern: str, output: str) -> str:
    match = re.search(pattern, output, re.MULTILINE)
    assert match, f"{pattern!r} not in the output:\n{output}"
    return match.group(1)


def sign_in(services, username: str, password: str, secret: str = "") -> Any:
    actor = Actor(ActorKind.ANONYMOUS, None, None, HERE.ip)
    outcome = services.sign_in.login(username, password, HERE, actor)
    if isinstance(outcome, ChallengeView):
        code = Totp().code_at(secret, datetime.now(UTC))
        outcome = services.sign_in.complete_challenge(outcome.challenge_id, code, actor)
    return outcome.principal


def shop_ids(output: str) -> dict[str, uuid.UUID]:
    return {s: uuid.UUID(printed(rf"^  {s} .* id (\S+)$", output)) for s in SELLERS}


def test_the_people_sign_in_with_what_was_printed(seeded):
    output, services = seeded
    password = printed(r"^Sellers \(password (\S+),", output)
    secret = printed(r"^\s+two-step secret: ([A-Z2-7]+)$", output)  # copperleaf's
    staff_password = printed(r"^Staff \(password (\S+);", output)
    maya_secret = printed(r"^  agent\.maya .* two-step secret: (\S+)$", output)

    sellers = {name: sign_in(services, name, password, secret) for name in SELLERS}
    maya = sign_in(services, "agent.maya", staff_password, maya_secret)

    assert {p.id for p in sellers.values()} == set(shop_ids(output).values())
    assert all(p.kind is ActorKind.SELLER for p in sellers.values())
    assert sellers["copperleaf"].two_step_enabled
    assert (maya.role, maya.two_step_enabled) == ("support_agent", True)
    key = printed(r"^Service key .*: (\S+)$", output)
    scopes = services.sign_in.authenticate(key, None, None).permissions
    assert scopes == {"blocklist:check", "authz:check"}


def test_the_blocks_are_checked_from_the_read_model(seeded):
    output, services = seeded
    shop = shop_ids(output)

    def blocked(seller: str, buyer: str) -> bool:
        action = BuyerAction.PLACE_ORDER
        return services.block_lists.check(shop[seller], buyer, action).blocked

    assert blocked("willowwick", "refund_rex")
    assert blocked("willowwick", "rexy.returns")  # linked to refund_rex
    assert blocked("harbourtea", "leafy_larry")
    assert blocked("copperleaf", "spokes_n_deals")
    assert not blocked("willowwick", "bargain_hunter_88")  # lapsed
    assert not blocked("harbourtea", "teatime_troll")  # overridden


def test_the_alerts_recovery_case_and_chain_are_there(seeded):
    output, services = seeded
    shop = shop_ids(output)

    def kinds(seller: str) -> set[str]:
        items = services.views.items(ALERTS, str(shop[seller]), limit=500)
        return {item.data["kind"] for item in items}

    assert {"new_device_login", "account_frozen", "account_restored"} <= kinds(
        "willowwick"
    )
    assert {"password_changed", "block_overridden", "sub_account_role_changed"} <= (
        kinds("harbourtea")
    )
    assert {"login_locked", "two_step_enabled", "sub_account_created"} <= kinds(
        "copperleaf"
    )
    (closed,) = services.views.items(CASES, "closed", limit=10)
    case = services.recovery.view(uuid.UUID(closed.item_id))
    assert (case.status, case.account_id) == ("closed", shop["willowwick"])
    assert [d.content_type for d in case.documents] == ["application/pdf"]
    services.integrity.extend()
    assert services.integrity.verify().ok


def test_a_second_run_is_refused_with_a_message(seeded, settings):
    again = run_seed(settings)

    assert again.returncode == 1
    assert ALREADY_SEEDED in again.stderr
    assert "Traceback" not in again.stderr


def test_no_hash_of_a_password_or_token_is_printed(seeded, settings):
    output, services = seeded
    output += run_seed(settings).stderr
    hashes: set[str] = set()
    to_event = services.ledger.mapper.to_domain_event
    for n in services.ledger.recorder.select_notifications(start=1, limit=10_000):
        for field, value in vars(to_event(n)).items():
            if "hash" in field and value:
                hashes.update(value if isinstance(value, list) else [value])

    assert len(hashes) > 50
    assert "$argon2" not in output
    assert not [h for h in hashes if h in output]


def test_the_security_center_has_a_month_to_show(seeded):
    output, services = seeded
    shop = shop_ids(output)

    boards = {
        name: services.security_dashboard.dashboard(shop[name], 30) for name in SELLERS
    }
    week = services.security_dashboard.dashboard(shop["willowwick"], 7)
    decided = services.security_center.decisions(shop["harbourtea"], None, 500, None)

    stopped = boards["willowwick"]["intercepted"]
    assert stopped["total"] > 60
    assert sum(1 for day in stopped["by_day"] if day["count"]) > 20
    assert 0 < week["intercepted"]["total"] < stopped["total"]
    assert all(b["open_risk_orders"] + b["open_risk_refunds"] for b in boards.values())
    assert {d["decision"] for d in decided["items"]} >= {"cancel"}
    assert "risk_order_flagged" in {
        item.data["kind"]
        for item in services.views.items(ALERTS, str(shop["copperleaf"]), limit=500)
    }


def test_no_mail_is_ever_sent_for_the_demo_data(seeded, smtp_relay):
    output, services = seeded
    withheld = int(printed(r"^(\d+) demo mails marked never to be sent", output))
    assert withheld > 0  # the recovery case's notices, the payout alerts...
    services.outbox.notifier = SmtpNotifier(smtp_relay.url, "sellerguard@example.com")

    services.read_models.catch_up()
    sent = services.outbox.dispatch()

    assert sent == 0
    assert smtp_relay.mails == []
    assert services.outbox.backlog() == 0
