"""Signing in with two-step verification, a block and its check, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.actor import Actor, ActorKind
from infrastructure.totp import Totp
from tests.e2e_helpers import call, running_server, settings_env

PASSWORD = "Corr3ct-Horse!Battery"


def test_a_seller_turns_on_two_step_and_signs_in_with_a_code(settings, services):
    key = services.platform_people.create_service_key(
        "orders", ["blocklist:check"], Actor(ActorKind.SYSTEM, "test")
    ).value
    env = settings_env(settings.data_dir, settings.database_url)
    totp = Totp()
    with running_server(env, "--workers", "2") as base:
        created = call(
            "POST",
            f"{base}/api/v1/sellers",
            {"username": "Http.Shop", "email": "h@example.com", "password": PASSWORD},
        )
        seller_id = created[2]["id"]
        _, _, grant = call(
            "POST",
            f"{base}/api/v1/sessions",
            {"username": "Http.Shop", "password": PASSWORD},
        )
        auth = {"Authorization": f"Bearer {grant['token']}"}
        _, _, enrolment = call("POST", f"{base}/api/v1/me/two-step", headers=auth)
        code = totp.code_at(enrolment["secret"], datetime.now(UTC))
        confirmed = call(
            "POST", f"{base}/api/v1/me/two-step/confirm", {"code": code}, auth
        )
        challenge = call(
            "POST",
            f"{base}/api/v1/sessions",
            {"username": "Http.Shop", "password": PASSWORD},
        )
        recovery_code = confirmed[2]["recovery_codes"][0]
        answered = call(
            "POST",
            f"{base}/api/v1/sessions/challenge",
            {"challenge_id": challenge[2]["challenge_id"], "code": recovery_code},
        )
        blocked = call(
            "POST",
            f"{base}/api/v1/blocklist",
            {
                "buyer": "Bad_Buyer",
                "reason": "fake_review",
                "scope": "this_id",
                "duration": "90d",
            },
            auth,
        )
        checked = call(
            "GET",
            f"{base}/api/v1/sellers/{seller_id}/blocklist/check?buyer=Bad_Buyer"
            "&action=place_order",
            headers={"Authorization": f"Bearer {key}"},
        )

    assert created[0] == 201
    assert confirmed[0] == 200
    assert challenge[0] == 202
    assert answered[0] == 201
    assert answered[2]["principal"]["kind"] == "seller"
    assert blocked[0] == 201
    assert checked[2] == {"allowed": False, "blocked": True}
