"""Passkeys in the console, in a real browser.

Debian's Chromium (Playwright) against ``sellerguard serve``, with Chromium's
DevTools virtual authenticator (CTAP2, internal, resident keys, user
verification) behind the real ``navigator.credentials`` API. An agent adds a
passkey in the console and signs in with it; a colleague's passkey (added
through the API from a page on the same origin) is refused in its place.
Screenshots go to ``tests/artifacts/console/``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.console_browser import STAFF_PASSWORD, Staff, shot, staff_session
from tests.e2e.test_passkey_in_browser import PAGE as API_PAGE
from tests.e2e.test_passkey_in_browser import virtual_authenticator
from tests.e2e_helpers import call, free_port, running_server, settings_env

INJECT = """() => new Promise(done => {
    document.addEventListener('securitypolicyviolation',
        e => done({blocked: e.violatedDirective, ran: window.injected === 1}));
    const script = document.createElement('script');
    script.textContent = 'window.injected = 1';
    document.body.appendChild(script);
    setTimeout(() => done({blocked: null, ran: window.injected === 1}), 2000);
})"""
# A hostile page (or a colleague at the keyboard) makes the browser answer
# with another passkey than the ones the server asked for.
SWAP_PASSKEY = """([id]) => {
    const form = document.querySelector('form[data-passkey-options]');
    const options = JSON.parse(form.dataset.passkeyOptions);
    options.allowCredentials = [{type: 'public-key', id}];
    form.dataset.passkeyOptions = JSON.stringify(options);
}"""


@pytest.fixture
def console(settings) -> Iterator[tuple[str, str, dict[str, str]]]:
    """The console served on localhost, the relying party of its passkeys:
    the API's base URL, the browser's origin and the environment."""
    port = free_port()
    origin = f"http://localhost:{port}"
    env = settings_env(settings.data_dir, settings.database_url)
    env.update(
        SELLERGUARD_CONSOLE_INSECURE_COOKIES="1",  # plain HTTP on loopback
        SELLERGUARD_WEBAUTHN_RP_ID="localhost",
        SELLERGUARD_WEBAUTHN_ORIGIN=origin,
    )
    with running_server(env, port=port) as base:
        yield base, origin, env


def staff_token(base: str, env: dict[str, str], username: str) -> str:
    """A support agent not yet with any second step; a session token to add
    a passkey with."""
    return staff_session(base, env, username, "support_agent")


def add_passkey(page: Any, token: str, name: str) -> None:
    added = page.evaluate("([t, n]) => addPasskey(t, n)", [token, name])
    assert added["status"] == 201, added


def credential_ids(devtools: Any, authenticator: str) -> list[str]:
    """The authenticator's credential ids, base64url as WebAuthn writes them."""
    held = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    return [
        base64.urlsafe_b64encode(base64.b64decode(c["credentialId"]))
        .rstrip(b"=")
        .decode()
        for c in held["credentials"]
    ]


def password_step(page: Any, origin: str, username: str) -> None:
    page.goto(f"{origin}/console/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{origin}/console/sign-in/code**")


def test_staff_add_a_passkey_in_the_console_and_sign_in_with_it(console, browser):
    base, origin, env = console
    agent = Staff(base, env, "agent.key", "support_agent")  # with a code
    colleague = staff_token(base, env, "agent.other")
    context = browser.new_context()
    page = context.new_page()
    page.route(
        f"{origin}/passkeys.html",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body=API_PAGE
        ),
    )
    page.goto(f"{origin}/passkeys.html")
    devtools, authenticator = virtual_authenticator(context, page)
    # The colleague's passkey is in this browser too (a shared desk).
    add_passkey(page, colleague, "Colleague's laptop")
    (colleagues_passkey,) = credential_ids(devtools, authenticator)

    # The agent signs in with a code and adds a passkey in the console.
    password_step(page, origin, "agent.key")
    page.fill("input[name=code]", agent.next_code())
    page.click("button:has-text('Sign in')")
    page.wait_for_url(f"{origin}/console/queue")
    page.click("nav >> text=Passkeys")
    page.fill("input[name=name]", "Desk laptop")
    page.click("button:has-text('Continue')")
    shot(page, "passkey-add")
    page.click("button:has-text('Create the passkey')")
    page.wait_for_url(f"{origin}/console/passkeys")
    listed = page.inner_text("table.passkeys")
    shot(page, "passkeys")
    page.click("button:has-text('Sign out')")

    # The colleague's passkey, answering agent.key's sign-in: refused.
    password_step(page, origin, "agent.key")
    page.wait_for_selector("form.passkey")
    second_step = page.inner_text("main")
    shot(page, "second-step-passkey")
    page.evaluate(SWAP_PASSKEY, [colleagues_passkey])
    page.click("button:has-text('Sign in with a passkey')")
    page.wait_for_selector("p.problem >> text=That passkey was not accepted")
    refused_at = page.url
    shot(page, "passkey-refused")
    refused_cookies = [c["name"] for c in context.cookies()]

    # The page offers agent.key's own passkey again; an injected inline
    # script does not run there, the console's own script does.
    injected = page.evaluate(INJECT)
    page.click("button:has-text('Sign in with a passkey')")
    page.wait_for_url(f"{origin}/console/queue")
    shot(page, "signed-in-with-passkey")
    token = next(c["value"] for c in context.cookies() if c["name"] == "sg_console")
    _, _, logins = call(
        "GET",
        f"{base}/api/v1/me/logins",
        headers={"Authorization": f"Bearer {token}"},
    )
    _, _, passkeys = call(
        "GET",
        f"{base}/api/v1/me/passkeys",
        headers={"Authorization": f"Bearer {token}"},
    )
    held = credential_ids(devtools, authenticator)
    context.close()

    assert "Desk laptop" in listed
    assert len(held) == 2  # the authenticator made the agent's passkey
    assert "Sign in with a passkey" in second_step
    assert "authenticator app" in second_step  # the code is still offered
    assert refused_at.endswith("/console/sign-in/passkey")
    assert "sg_console" not in refused_cookies
    assert injected["ran"] is False
    assert "script-src" in str(injected["blocked"])
    outcomes = [entry["outcome"] for entry in logins["items"]]
    assert outcomes[:2] == ["succeeded", "second_step_failed"]
    (used,) = passkeys["items"]
    assert used["name"] == "Desk laptop"
    assert used["last_used_at"] is not None
