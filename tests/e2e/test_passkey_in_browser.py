"""A passkey in a real browser: Debian's Chromium, its virtual authenticator.

`sellerguard serve` (two workers, so a ceremony may start in one and finish
in the other) runs on localhost; the test serves a minimal page on the same
origin (Playwright answers that one URL; every API call goes to the server).
Chromium's DevTools virtual authenticator (CTAP2, internal, resident keys,
user verification) creates and uses the passkey through the real
``navigator.credentials`` API.
"""

from __future__ import annotations

from typing import Any

from tests.console_browser import chromium as find_chromium
from tests.e2e_helpers import call, free_port, running_server, settings_env

PASSWORD = "Corr3ct-Horse!Battery"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Passkeys</title></head>
<body><p>SellerGuard passkey test page</p>
<script>
const b64 = {
  decode(text) {
    const s = atob(text.replace(/-/g, "+").replace(/_/g, "/")
      + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(s, c => c.charCodeAt(0)).buffer;
  },
  encode(buffer) {
    const s = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(s).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  },
};
async function api(path, body, token) {
  const headers = {"Content-Type": "application/json"};
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch("/api/v1" + path, {
    method: "POST", headers, body: JSON.stringify(body || {})});
  return {status: response.status, body: await response.json()};
}
function descriptors(list) {
  return (list || []).map(c => ({...c, id: b64.decode(c.id)}));
}
async function addPasskey(token, name) {
  const started = await api("/me/passkeys/options", {}, token);
  const o = started.body.options;
  const created = await navigator.credentials.create({publicKey: {
    ...o, challenge: b64.decode(o.challenge),
    user: {...o.user, id: b64.decode(o.user.id)},
    excludeCredentials: descriptors(o.excludeCredentials)}});
  const r = created.response;
  return api("/me/passkeys", {challenge_id: started.body.challenge_id, name,
    credential: {id: created.id, rawId: b64.encode(created.rawId),
      type: created.type, clientExtensionResults: {},
      response: {clientDataJSON: b64.encode(r.clientDataJSON),
                 attestationObject: b64.encode(r.attestationObject),
                 transports: r.getTransports ? r.getTransports() : []}}}, token);
}
async function assertion(options) {
  const got = await navigator.credentials.get({publicKey: {
    ...options, challenge: b64.decode(options.challenge),
    allowCredentials: descriptors(options.allowCredentials)}});
  const r = got.response;
  return {id: got.id, rawId: b64.encode(got.rawId), type: got.type,
    clientExtensionResults: {},
    response: {clientDataJSON: b64.encode(r.clientDataJSON),
      authenticatorData: b64.encode(r.authenticatorData),
      signature: b64.encode(r.signature),
      userHandle: r.userHandle ? b64.encode(r.userHandle) : null}};
}
async function signInWithPasskey() {
  const started = await api("/sessions/passkey/options", {});
  const credential = await assertion(started.body.options);
  return api("/sessions/passkey",
    {challenge_id: started.body.challenge_id, credential});
}
async function secondStep(username, password) {
  const started = await api("/sessions", {username, password});
  if (started.status !== 202) return started;
  const credential = await assertion(started.body.passkey_options);
  return api("/sessions/challenge",
    {challenge_id: started.body.challenge_id, credential});
}
</script></body></html>
"""


def test_a_passkey_is_registered_and_signs_in_in_a_real_browser(settings):
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    port = free_port()
    origin = f"http://localhost:{port}"
    env = settings_env(settings.data_dir, settings.database_url)
    env.update(
        SELLERGUARD_WEBAUTHN_RP_ID="localhost", SELLERGUARD_WEBAUTHN_ORIGIN=origin
    )
    with running_server(env, "--workers", "2", port=port) as base:
        call(
            "POST",
            f"{base}/api/v1/sellers",
            {
                "username": "Browser.Shop",
                "email": "b@example.com",
                "password": PASSWORD,
            },
        )
        _, _, grant = call(
            "POST",
            f"{base}/api/v1/sessions",
            {"username": "Browser.Shop", "password": PASSWORD},
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium),
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            try:
                outcome = _drive(browser, origin, grant["token"])
            finally:
                browser.close()
        assert outcome["added"]["status"] == 201, outcome["added"]
        assert outcome["second_step"]["status"] == 201, outcome["second_step"]
        assert outcome["passwordless_status"] == 201, outcome["passwordless"]
        me = call(
            "GET",
            f"{base}/api/v1/me",
            headers={"Authorization": f"Bearer {outcome['passwordless']['token']}"},
        )
        _, _, passkeys = call(
            "GET",
            f"{base}/api/v1/me/passkeys",
            headers={"Authorization": f"Bearer {grant['token']}"},
        )

    assert outcome["added"]["body"]["name"] == "Chromium"
    assert me[2]["username"] == "Browser.Shop"
    (passkey,) = passkeys["items"]
    assert passkey["last_used_at"] is not None
    assert outcome["credentials"] == 1  # the authenticator holds one passkey


def _drive(browser: Any, origin: str, token: str) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    page.route(
        f"{origin}/passkeys.html",
        lambda route: route.fulfill(status=200, content_type="text/html", body=PAGE),
    )
    page.goto(f"{origin}/passkeys.html")
    devtools, authenticator = virtual_authenticator(context, page)
    added = page.evaluate("([t]) => addPasskey(t, 'Chromium')", [token])
    second_step = page.evaluate(
        "([u, p]) => secondStep(u, p)", ["Browser.Shop", PASSWORD]
    )
    passwordless = page.evaluate("() => signInWithPasskey()")
    held = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    return {
        "added": added,
        "second_step": second_step,
        "passwordless": passwordless["body"],
        "passwordless_status": passwordless["status"],
        "credentials": len(held["credentials"]),
    }


def virtual_authenticator(context: Any, page: Any) -> tuple[Any, str]:
    """Chromium's DevTools authenticator for the page: a platform passkey
    with user verification, as a laptop's fingerprint reader would be."""
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    added = devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return devtools, added["authenticatorId"]
