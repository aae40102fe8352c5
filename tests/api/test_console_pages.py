"""The console's pages through the test client: sessions, CSRF, permissions.

The browser tests (tests/e2e/test_console_browser.py) walk the same pages in
Chromium; these check the rules page by page, on both stores.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from domain.roles import StaffRole
from infrastructure.totp import Totp
from tests.api.helpers import register, token_of
from tests.api.principals import OPERATOR, STAFF_PASSWORD

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def staff(
    client: Any, services: Any, clock: Any, username: str, role: StaffRole
) -> str:
    """A staff member with two-step on; returns the authenticator secret."""
    services.platform_people.create_staff(
        username, f"{username}@example.com", role, STAFF_PASSWORD, OPERATOR
    )
    token = token_of(client, username=username, password=STAFF_PASSWORD)
    secret = client.post(
        "/api/v1/me/two-step", headers={"Authorization": f"Bearer {token}"}
    ).get_json()["secret"]
    client.post(
        "/api/v1/me/two-step/confirm",
        headers={"Authorization": f"Bearer {token}"},
        json={"code": Totp().code_at(secret, clock.now())},
    )
    clock.advance(seconds=31)
    return str(secret)


def sign_in(client: Any, clock: Any, username: str, secret: str) -> Any:
    form = client.get("/console/sign-in")
    response = client.post(
        "/console/sign-in",
        data={
            "username": username,
            "password": STAFF_PASSWORD,
            "csrf": csrf_of(form.get_data(as_text=True)),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    code_page = client.get(response.headers["Location"])
    done = client.post(
        "/console/sign-in/code",
        data={
            "code": Totp().code_at(secret, clock.now()),
            "csrf": csrf_of(code_page.get_data(as_text=True)),
            "next": "/console/",
        },
    )
    clock.advance(seconds=31)
    return done


@pytest.fixture
def agent(client, services, clock) -> str:
    return staff(client, services, clock, "agent.one", StaffRole.SUPPORT_AGENT)


@pytest.fixture
def auditor(client, services, clock) -> str:
    return staff(client, services, clock, "auditor.one", StaffRole.AUDITOR)


def test_staff_sign_in_with_password_and_code_to_a_strict_cookie(client, clock, agent):
    done = sign_in(client, clock, "agent.one", agent)

    cookie = next(
        c for c in done.headers.getlist("Set-Cookie") if c.startswith("sg_console=")
    )
    assert done.status_code == 302
    assert done.headers["Location"] == "/console/"
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert "Secure" in cookie  # SELLERGUARD_CONSOLE_INSECURE_COOKIES is unset
    assert "Path=/console" in cookie


def test_a_wrong_password_or_code_gets_no_session(client, clock, agent):
    form = client.get("/console/sign-in").get_data(as_text=True)
    wrong = client.post(
        "/console/sign-in",
        data={"username": "agent.one", "password": "nope", "csrf": csrf_of(form)},
    )

    assert wrong.status_code == 401
    assert "Wrong username or password" in wrong.get_data(as_text=True)
    assert not any(
        c.startswith("sg_console=") for c in wrong.headers.getlist("Set-Cookie")
    )


def test_a_seller_gets_no_console_session(client, clock):
    register(client, "Shop.One")
    form = client.get("/console/sign-in").get_data(as_text=True)

    refused = client.post(
        "/console/sign-in",
        data={
            "username": "Shop.One",
            "password": "Corr3ct-Horse!Battery",
            "csrf": csrf_of(form),
        },
    )

    assert refused.status_code == 403
    assert client.get("/console/queue").status_code == 302  # to the sign-in


def test_pages_need_a_session(client):
    response = client.get("/console/queue")

    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        "/console/sign-in?next=/console/queue"
    )


def test_a_form_posted_without_its_csrf_token_changes_nothing(
    client, services, clock, agent
):
    sign_in(client, clock, "agent.one", agent)
    owner = register(client, "Shop.One")

    refused = client.post(
        "/console/cases",
        data={
            "account_id": owner["id"],
            "reason": "cross-site",
            "contact_email": "x@example.com",
        },
    )
    forged = client.post(
        "/console/cases",
        data={
            "account_id": owner["id"],
            "reason": "cross-site",
            "contact_email": "x@example.com",
            "csrf": "forged",
        },
    )

    assert refused.status_code == forged.status_code == 403
    assert "did not come from this console" in refused.get_data(as_text=True)
    assert token_of(client, username="Shop.One")  # not frozen


def test_the_sign_in_form_needs_its_csrf_token_too(client, agent):
    response = client.post(
        "/console/sign-in", data={"username": "agent.one", "password": STAFF_PASSWORD}
    )

    assert response.status_code == 403


def test_console_pages_carry_a_strict_policy_and_no_script(client, clock, agent):
    sign_in(client, clock, "agent.one", agent)

    response = client.get("/console/queue")

    policy = response.headers["Content-Security-Policy"]
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # so no script runs at all
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "<script" not in html
    assert "style=" not in html
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_agent_may_not_read_the_history_nor_an_auditor_the_queue(
    app, client, clock, agent, auditor
):
    other = app.test_client()
    sign_in(client, clock, "agent.one", agent)
    sign_in(other, clock, "auditor.one", auditor)

    assert client.get("/console/audit/events").status_code == 403
    assert other.get("/console/queue").status_code == 403
    assert other.get("/console/audit/events").status_code == 200
    assert client.get("/console/queue").status_code == 200


def test_an_auditor_sees_a_refused_filter_on_the_page(client, clock, auditor):
    sign_in(client, clock, "auditor.one", auditor)

    response = client.get("/console/audit/events?event_type=selleraccount.registered")

    assert response.status_code == 422
    assert "Did you mean SellerAccount.Registered?" in response.get_data(as_text=True)


def test_signing_out_ends_the_session(client, services, clock, agent):
    sign_in(client, clock, "agent.one", agent)
    form = client.get("/console/queue").get_data(as_text=True)

    out = client.post("/console/sign-out", data={"csrf": csrf_of(form)})

    assert out.status_code == 302
    assert client.get("/console/queue").status_code == 302


def test_staff_without_two_step_get_no_console_session(client, services):
    services.platform_people.create_staff(
        "new.agent", "n@example.com", StaffRole.SUPPORT_AGENT, STAFF_PASSWORD, OPERATOR
    )
    form = client.get("/console/sign-in").get_data(as_text=True)

    refused = client.post(
        "/console/sign-in",
        data={
            "username": "new.agent",
            "password": STAFF_PASSWORD,
            "csrf": csrf_of(form),
        },
    )

    assert refused.status_code == 403
    assert "two-step verification" in refused.get_data(as_text=True)


def test_an_auditor_replays_a_shop_at_a_moment_typed_in_the_browser(
    client, clock, auditor
):
    shop = register(client, "Shop.One")
    sign_in(client, clock, "auditor.one", auditor)
    moment = clock.now().strftime("%Y-%m-%dT%H:%M:%S")  # a datetime-local value

    response = client.get(f"/console/audit/aggregates/shop.one?as_of={moment}")

    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert shop["id"] in html
    assert "&#34;status&#34;: &#34;active&#34;" in html or '"status": "active"' in html


def test_an_auditor_sees_names_beside_the_ids_on_the_event_pages(
    client, clock, auditor
):
    shop = register(client, "Shop.One")
    token_of(client, username="Shop.One")
    sign_in(client, clock, "auditor.one", auditor)

    listed = client.get(f"/console/audit/events?aggregate_id={shop['id']}")
    replayed = client.get(f"/console/audit/aggregates/{shop['id']}")
    trail = client.get("/console/audit/events?aggregate_type=AuditTrail")

    for page in (listed, replayed):
        html = page.get_data(as_text=True)
        assert page.status_code == 200, html
        assert '<span class="name">Shop.One</span>' in html or "Shop.One <code>" in html
        assert shop["id"][:12] in html
    assert '<span class="name">auditor.one</span>' in trail.get_data(as_text=True)
