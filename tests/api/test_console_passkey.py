"""The console's second step with a passkey, through the test client.

A software authenticator signs what the page offers (or what an attacker
would make it sign); the browser test (tests/e2e/test_console_passkey_browser.py)
does the same in Chromium with its virtual authenticator.
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import pytest

from domain.roles import StaffRole
from tests.api.helpers import bearer, register, token_of
from tests.api.principals import OPERATOR, STAFF_PASSWORD, enable_staff_two_step
from tests.api.test_console_pages import csrf_of, sign_in, staff
from tests.api.test_passkeys import add_passkey
from tests.passkey_authenticator import SoftAuthenticator, b64url

OPTIONS = re.compile(r'data-passkey-options="([^"]+)"')


def passkey_staff(
    client: Any, services: Any, username: str, authenticator: SoftAuthenticator
) -> str:
    """A staff member whose only second step is a passkey; returns a token."""
    services.platform_people.create_staff(
        username,
        f"{username}@example.com",
        StaffRole.SUPPORT_AGENT,
        STAFF_PASSWORD,
        OPERATOR,
    )
    token = token_of(client, username=username, password=STAFF_PASSWORD)
    add_passkey(client, token, authenticator)
    return token


def second_step_page(client: Any, username: str, password: str = STAFF_PASSWORD):
    """Password through the console; the second-step page it leads to."""
    form = client.get("/console/sign-in").get_data(as_text=True)
    response = client.post(
        "/console/sign-in",
        data={"username": username, "password": password, "csrf": csrf_of(form)},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"])


def options_of(page: Any) -> dict[str, Any]:
    found = OPTIONS.search(page.get_data(as_text=True))
    assert found, page.get_data(as_text=True)
    return dict(json.loads(unescape(found.group(1))))


def post_passkey(client: Any, page: Any, credential: Any, **extra: str):
    return client.post(
        "/console/sign-in/passkey",
        data={
            "csrf": csrf_of(page.get_data(as_text=True)),
            "next": "/console/queue",
            "credential": credential
            if isinstance(credential, str)
            else json.dumps(credential),
            **extra,
        },
    )


def outcomes(client: Any, token: str) -> list[str]:
    logins = client.get("/api/v1/me/logins", headers=bearer(token)).get_json()
    return [entry["outcome"] for entry in logins["items"]]


def console_cookie(response: Any) -> str | None:
    for cookie in response.headers.getlist("Set-Cookie"):
        if cookie.startswith("sg_console="):
            return cookie
    return None


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


@pytest.fixture
def agent(client, services, authenticator) -> str:
    return passkey_staff(client, services, "agent.key", authenticator)


def test_a_staff_member_signs_in_with_password_and_passkey(
    client, agent, authenticator
):
    page = second_step_page(client, "agent.key")
    html = page.get_data(as_text=True)
    options = options_of(page)

    done = post_passkey(client, page, authenticator.get(options))

    assert page.status_code == 200
    assert "Sign in with a passkey" in html
    assert 'name="code"' not in html  # a passkey is this account's only step
    assert [c["id"] for c in options["allowCredentials"]] == [
        b64url(authenticator.only().id)
    ]
    assert done.status_code == 302, done.get_data(as_text=True)
    assert done.headers["Location"] == "/console/queue"
    cookie = console_cookie(done)
    assert cookie is not None
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    assert client.get("/console/queue").status_code == 200
    assert outcomes(client, agent)[0] == "succeeded"
    (passkey,) = client.get("/api/v1/me/passkeys", headers=bearer(agent)).get_json()[
        "items"
    ]
    assert passkey["last_used_at"] is not None


def test_only_the_passkey_page_runs_a_script_and_only_our_own(client, agent, clock):
    page = second_step_page(client, "agent.key")
    html = page.get_data(as_text=True)
    policy = page.headers["Content-Security-Policy"]
    with client.get("/console/static/passkey.js") as script:
        source = script.get_data(as_text=True)

    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy
    assert "'unsafe-inline'" not in policy
    assert re.findall(r"<script[^>]*>", html) == [
        '<script src="/console/static/passkey.js">'
    ]
    assert "<script>" not in html
    assert "style=" not in html
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert "navigator.credentials.get" in source
    assert "fetch(" not in source  # it makes no request: it posts the form


def test_with_an_authenticator_app_too_both_are_offered(
    client, services, clock, authenticator
):
    token = passkey_staff(client, services, "agent.both", authenticator)
    enable_staff_two_step(client, token, clock)

    html = second_step_page(client, "agent.both").get_data(as_text=True)

    assert "Sign in with a passkey" in html
    assert 'name="code"' in html


def test_without_a_passkey_the_page_offers_the_code_and_runs_no_script(
    client, services, clock
):
    staff(client, services, clock, "agent.code", StaffRole.SUPPORT_AGENT)

    page = second_step_page(client, "agent.code")
    html = page.get_data(as_text=True)

    assert 'name="code"' in html
    assert "<script" not in html
    assert "script-src" not in page.headers["Content-Security-Policy"]


def test_another_staff_members_passkey_is_refused_and_counted(
    client, services, agent, authenticator
):
    thief = SoftAuthenticator()
    passkey_staff(client, services, "agent.other", thief)
    page = second_step_page(client, "agent.key")
    options = options_of(page)
    # The colleague's own passkey, signing this very challenge.
    foreign = thief.get(
        {**options, "allowCredentials": [{"id": b64url(thief.only().id)}]}
    )

    refused = post_passkey(client, page, foreign)

    assert refused.status_code == 401
    assert "That passkey was not accepted" in refused.get_data(as_text=True)
    assert console_cookie(refused) is None
    assert client.get("/console/queue").status_code == 302  # to the sign-in
    assert outcomes(client, agent)[0] == "second_step_failed"
    # The page offers this account's passkey again, and it still works.
    done = post_passkey(client, refused, authenticator.get(options_of(refused)))
    assert done.status_code == 302
    assert outcomes(client, agent)[0] == "succeeded"


def test_wrong_passkeys_lock_the_second_step_like_wrong_codes(
    client, services, agent, authenticator
):
    thief = SoftAuthenticator()
    passkey_staff(client, services, "agent.other", thief)
    refusals = []
    for _ in range(2):  # five wrong answers void a challenge; ten lock
        page = second_step_page(client, "agent.key")
        foreign = {"id": b64url(thief.only().id)}
        for _ in range(5):
            signed = thief.get({**options_of(page), "allowCredentials": [foreign]})
            page = post_passkey(client, page, signed)
            refusals.append(page.status_code)
            if "data-passkey-options" not in page.get_data(as_text=True):
                break  # the challenge is void: back to the password

    page = second_step_page(client, "agent.key")
    right = post_passkey(client, page, authenticator.get(options_of(page)))

    assert refusals == [401] * 10
    assert right.status_code == 401
    assert console_cookie(right) is None
    assert outcomes(client, agent).count("second_step_failed") == 10
    assert outcomes(client, agent)[0] == "locked"


def test_wrong_codes_and_wrong_passkeys_count_towards_one_lock(
    client, services, clock, authenticator
):
    token = passkey_staff(client, services, "agent.both", authenticator)
    enable_staff_two_step(client, token, clock)
    thief = SoftAuthenticator()
    passkey_staff(client, services, "agent.other", thief)
    page = second_step_page(client, "agent.both")
    for wrong in ("000000", "111111", "222222", "333333", "444444"):
        page = client.post(
            "/console/sign-in/code",
            data={"code": wrong, "csrf": csrf_of(page.get_data(as_text=True))},
        )
        assert page.status_code == 401
    page = second_step_page(client, "agent.both")  # five void a challenge
    foreign = {"id": b64url(thief.only().id)}
    for _ in range(5):
        signed = thief.get({**options_of(page), "allowCredentials": [foreign]})
        page = post_passkey(client, page, signed)
        assert page.status_code == 401

    page = second_step_page(client, "agent.both")
    right = post_passkey(client, page, authenticator.get(options_of(page)))

    assert right.status_code == 401
    assert console_cookie(right) is None
    assert outcomes(client, token).count("second_step_failed") == 10
    assert outcomes(client, token)[0] == "locked"


def test_a_post_without_a_signed_answer_changes_nothing(client, agent):
    page = second_step_page(client, "agent.key")

    empty = post_passkey(client, page, "")
    garbage = post_passkey(client, page, "[1, 2")
    not_an_object = post_passkey(client, page, "[1, 2]")
    huge = post_passkey(client, page, json.dumps({"id": "x" * 20_000}))

    for response in (empty, garbage, not_an_object, huge):
        assert response.status_code == 422
        assert "This browser sent no passkey" in response.get_data(as_text=True)
        assert console_cookie(response) is None
    assert "second_step_failed" not in outcomes(client, agent)


def test_the_passkey_form_needs_its_csrf_token(client, agent, authenticator):
    page = second_step_page(client, "agent.key")
    signed = authenticator.get(options_of(page))

    forged = post_passkey(client, page, signed, csrf="forged")

    assert forged.status_code == 403
    assert console_cookie(forged) is None
    assert "second_step_failed" not in outcomes(client, agent)


def test_a_seller_with_a_passkey_gets_no_console_session(client, authenticator):
    register(client, "Shop.One")
    token = token_of(client, username="Shop.One")
    add_passkey(client, token, authenticator)
    page = second_step_page(client, "Shop.One", "Corr3ct-Horse!Battery")

    refused = post_passkey(client, page, authenticator.get(options_of(page)))

    assert refused.status_code == 403
    assert console_cookie(refused) is None
    sessions = client.get("/api/v1/me/sessions", headers=bearer(token)).get_json()
    assert len(sessions["items"]) == 1  # the console's session was ended


def test_a_lapsed_sign_in_starts_again(client, agent, clock, authenticator):
    page = second_step_page(client, "agent.key")
    signed = authenticator.get(options_of(page))
    clock.advance(minutes=10)

    late = post_passkey(client, page, signed)
    again = client.get("/console/sign-in/code")

    assert late.status_code == 401
    assert console_cookie(late) is None
    assert 'name="password"' in late.get_data(as_text=True)
    assert again.status_code == 302


# Adding a passkey in the console

CREATION = re.compile(r'data-passkey-creation="([^"]+)"')
CHALLENGE = re.compile(r'name="challenge_id" value="([^"]+)"')


@pytest.fixture
def coded(client, services, clock) -> str:
    """A support agent with an authenticator app, signed in to the console."""
    secret = staff(client, services, clock, "agent.code", StaffRole.SUPPORT_AGENT)
    done = sign_in(client, clock, "agent.code", secret)
    assert done.status_code == 302
    return secret


def start_adding(client: Any, name: str = "Desk laptop"):
    listed = client.get("/console/passkeys")
    return client.post(
        "/console/passkeys/options",
        data={"name": name, "csrf": csrf_of(listed.get_data(as_text=True))},
    )


def finish_adding(client: Any, started: Any, credential: Any, **extra: str):
    html = started.get_data(as_text=True)
    found = CHALLENGE.search(html)
    assert found, html
    return client.post(
        "/console/passkeys",
        data={
            "csrf": csrf_of(html),
            "challenge_id": found.group(1),
            "name": "Desk laptop",
            "credential": json.dumps(credential),
            **extra,
        },
    )


def creation_options(started: Any) -> dict[str, Any]:
    found = CREATION.search(started.get_data(as_text=True))
    assert found, started.get_data(as_text=True)
    return dict(json.loads(unescape(found.group(1))))


def test_a_staff_member_adds_a_passkey_in_the_console_and_signs_in_with_it(
    client, clock, coded, authenticator
):
    before = client.get("/console/passkeys").get_data(as_text=True)
    started = start_adding(client)
    added = finish_adding(
        client, started, authenticator.create(creation_options(started))
    )
    listed = client.get("/console/passkeys").get_data(as_text=True)
    out = client.post("/console/sign-out", data={"csrf": csrf_of(listed)})
    page = second_step_page(client, "agent.code")
    done = post_passkey(client, page, authenticator.get(options_of(page)))

    assert "You have no passkey yet" in before
    assert started.status_code == 200
    assert "script-src 'self'" in started.headers["Content-Security-Policy"]
    assert added.status_code == 302
    assert added.headers["Location"] == "/console/passkeys"
    assert "Desk laptop" in listed
    assert "<script" not in listed  # the list runs no script
    assert (
        "script-src"
        not in client.get("/console/passkeys").headers["Content-Security-Policy"]
    )
    assert out.status_code == 302
    html = page.get_data(as_text=True)
    assert "Sign in with a passkey" in html
    assert 'name="code"' in html  # the code is still offered too
    assert done.status_code == 302, done.get_data(as_text=True)
    assert client.get("/console/queue").status_code == 200


def test_adding_a_passkey_needs_a_recent_sign_in(client, clock, coded, authenticator):
    started = start_adding(client)
    credential = authenticator.create(creation_options(started))
    clock.advance(minutes=6)  # SELLERGUARD_STEP_UP_MAX_AGE is 5 minutes

    listed = client.get("/console/passkeys").get_data(as_text=True)
    late = finish_adding(client, started, credential)
    again = start_adding(client)

    assert "sign out, sign in again" in listed
    assert 'name="name"' not in listed
    assert late.status_code == again.status_code == 401
    assert "data-passkey-creation" not in again.get_data(as_text=True)
    assert "You have no passkey yet" in client.get("/console/passkeys").get_data(
        as_text=True
    )


def test_a_passkey_made_for_a_phishing_site_is_not_added(
    client, clock, coded, authenticator
):
    started = start_adding(client)
    phished = authenticator.create(
        creation_options(started), origin="https://se11erguard-console.example"
    )

    refused = finish_adding(client, started, phished)
    forged = finish_adding(
        client,
        start_adding(client),
        authenticator.create(creation_options(started)),
        csrf="forged",
    )
    too_long = start_adding(client, name="x" * 65)

    assert refused.status_code == 422
    assert forged.status_code == 403
    assert too_long.status_code == 422
    assert "You have no passkey yet" in client.get("/console/passkeys").get_data(
        as_text=True
    )
