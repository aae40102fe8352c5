"""A platform admin's day in the console, in a real browser: Debian's
Chromium, driven by Playwright, against ``sellerguard serve``.

The admin signs in with password and code, links two buyers to one a shop
blocked, lifts another block (the shop is alerted), revokes the shop's
blocking access (its next block is refused by the API), and reads the staff
and service keys lists, which show no secret; a support agent is refused
those lists. A screenshot of each page is
saved under ``tests/artifacts/console/`` (ignored by git) for review.
"""

from __future__ import annotations

import subprocess
from typing import Any

from tests.console_browser import STAFF_PASSWORD, Staff, shot, signed_in
from tests.e2e_helpers import SELLERGUARD, call

OWNER_PASSWORD = "Corr3ct-Horse!Battery"


def create_service_key(env: dict[str, str], name: str, *scopes: str) -> str:
    """A key made at the command line, as an operator does; printed this once."""
    args = [a for scope in scopes for a in ("--scope", scope)]
    made = subprocess.run(
        [SELLERGUARD, "service-keys", "create", "--name", name, *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return made.stdout.strip()


def create_staff_without_two_step(env: dict[str, str], username: str) -> None:
    subprocess.run(
        [SELLERGUARD, "staff", "create", "--username", username,
         "--email", f"{username}@example.com", "--role", "auditor"],
        env={**env, "SELLERGUARD_PASSWORD": STAFF_PASSWORD},
        check=True,
        capture_output=True,
    )  # fmt: skip


def block(base: str, owner: dict[str, str], buyer: str, scope: str) -> Any:
    return call(
        "POST",
        f"{base}/api/v1/blocklist",
        {"buyer": buyer, "reason": "fake_review", "scope": scope, "duration": "90d"},
        owner,
    )


def may_order(base: str, checker: dict[str, str], shop: str, buyer: str) -> bool:
    _, _, answer = call(
        "GET",
        f"{base}/api/v1/sellers/{shop}/blocklist/check"
        f"?buyer={buyer}&action=place_order",
        headers=checker,
    )
    return bool(answer["allowed"])


def confirm(page: Any, form: str, name: str, button: str) -> str:
    """Continue from the form, see what will happen (returned), confirm."""
    page.click(f"{form} button:has-text('Continue')")
    shot(page, f"admin-confirm-{name}")
    warning = page.inner_text("main")
    page.click(f"button:has-text('{button}')")
    shot(page, f"admin-done-{name}")
    return warning


def test_a_platform_admin_links_buyers_lifts_a_block_and_revokes_access(
    server, browser
):
    base, env = server
    admin = Staff(base, env, "admin.one", "platform_admin")
    agent = Staff(base, env, "agent.one", "support_agent")
    create_staff_without_two_step(env, "auditor.new")
    checkout_key = create_service_key(env, "checkout", "blocklist:check")
    risk_key = create_service_key(env, "risk engine", "risk:write", "risk:read")
    checker = {"Authorization": f"Bearer {checkout_key}"}
    _, _, shop = call(
        "POST",
        f"{base}/api/v1/sellers",
        {"username": "Busy.Shop", "email": "shop@example.com",
         "password": OWNER_PASSWORD},
    )  # fmt: skip
    _, _, grant = call(
        "POST",
        f"{base}/api/v1/sessions",
        {"username": "Busy.Shop", "password": OWNER_PASSWORD},
    )
    owner = {"Authorization": f"Bearer {grant['token']}"}
    assert block(base, owner, "Main_Id", "linked_ids")[0] == 201
    assert block(base, owner, "Fake_Reviewer", "this_id")[0] == 201
    assert may_order(base, checker, shop["id"], "Alt_One")

    page = signed_in(browser, base, admin)
    shot(page, "admin-home")
    assert "Staff accounts" in page.inner_text("main")

    # Two more usernames are the same person as a blocked buyer.
    page.click("nav >> text=Buyer links")
    page.fill("input[name=buyer]", "Main_Id")
    page.fill("textarea[name=linked]", "Alt_One\nAlt_Two")
    shot(page, "admin-buyer-links")
    warning = confirm(page, "main form", "links", "Yes, link them")
    assert "cannot be undone" in warning
    assert "Main_Id is now linked with Alt_One, Alt_Two." in page.inner_text("main")
    assert not may_order(base, checker, shop["id"], "Alt_One")
    assert not may_order(base, checker, shop["id"], "Alt_Two")

    # A block the platform lifts: the buyer may order again, the shop is told.
    page.click("nav >> text=Blocks")
    shot(page, "admin-blocks")
    page.fill("#override input[name=seller_id]", shop["id"])
    page.fill("#override input[name=buyer]", "Fake_Reviewer")
    page.fill("#override input[name=reason]", "the review was genuine")
    warning = confirm(page, "#override", "override", "Yes, lift the block")
    assert "may order from Busy.Shop again" in warning
    assert "fake review" in warning
    assert "the shop has been alerted" in page.inner_text("main")
    assert may_order(base, checker, shop["id"], "Fake_Reviewer")
    _, _, alerts = call("GET", f"{base}/api/v1/me/alerts", headers=owner)
    assert alerts["items"][0]["kind"] == "block_overridden"
    assert "the review was genuine" in alerts["items"][0]["detail"]

    # The shop's right to block is taken away: its next block is refused.
    page.click("nav >> text=Blocks")
    page.fill("#access input[name=seller_id]", shop["id"])
    page.check("#access input[value=false]")
    page.fill("#access input[name=reason]", "blocks used to silence reviews")
    warning = confirm(page, "#access", "revoke-access", "Yes, revoke access")
    assert "The shop Busy.Shop can make no new block" in warning
    status, _, refused = block(base, owner, "Another_Buyer", "this_id")
    assert (status, refused["code"]) == (403, "blocking_access_revoked")

    # Who works on the platform and which services hold keys; no secret.
    page.click("nav >> text=Staff")
    staff = page.inner_text("table.staff")
    html = page.content()
    shot(page, "admin-staff")
    rows = {line.split("\t")[0]: line for line in staff.splitlines()[1:]}
    assert set(rows) == {"admin.one", "agent.one", "auditor.new"}
    assert "platform admin" in rows["admin.one"]
    assert "\ton\t" in rows["agent.one"]
    assert "\toff\t" in rows["auditor.new"]
    assert rows["auditor.new"].endswith("never")
    assert admin.secret not in html
    assert "$argon2" not in html
    page.click("nav >> text=Service keys")
    keys = page.inner_text("table.service-keys")
    html = page.content()
    shot(page, "admin-service-keys")
    assert "checkout\tblocklist:check" in keys
    assert "risk engine\trisk:read risk:write" in keys
    for key in (checkout_key, risk_key):
        assert key not in html
        assert key.rsplit(".", 1)[-1] not in html

    # A support agent gets the forbidden page for the admin's lists, and no
    # blocking-access form beside the override.
    other = signed_in(browser, base, agent)
    response = other.goto(f"{base}/console/staff")
    shot(other, "agent-forbidden-staff")
    assert response.status == 403
    assert "does not have the permission platform:staff" in other.inner_text("main")
    other.goto(f"{base}/console/blocks")
    assert other.locator("#override").count() == 1
    assert other.locator("#access").count() == 0
