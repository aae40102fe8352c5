"""The console in a real browser: Debian's Chromium, driven by Playwright,
against ``sellerguard serve``.

Two support agents and an auditor do their day's work as the issue tells it;
a screenshot of each page is saved under ``tests/artifacts/console/`` (ignored
by git) for review.
"""

from __future__ import annotations

import io
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests import documents
from tests.console_browser import Staff, shot, signed_in
from tests.e2e_helpers import call

OWNER_PASSWORD = "Corr3ct-Horse!Battery"
PNG = documents.png(320, 200)
PDF = documents.pdf()


def upload(base: str, case_id: str, token: str, data: bytes, name: str) -> int:
    boundary, body = encode_multipart(
        {"doc_type": "identity", "file": FileStorage(io.BytesIO(data), name)}
    )
    request = urllib.request.Request(
        f"{base}/api/v1/recovery-cases/{case_id}/documents",
        data=body,
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.status)


def test_agents_and_an_auditor_do_their_work_in_the_browser(server, browser):
    """The whole journey, on SQLite and on PostgreSQL (the ``store`` fixture:
    required in CI, skipped with the reason elsewhere)."""
    base, env = server
    agent = Staff(base, env, "agent.one", "support_agent")
    second = Staff(base, env, "agent.two", "support_agent")
    auditor = Staff(base, env, "auditor.one", "auditor")
    call(
        "POST",
        f"{base}/api/v1/sellers",
        {"username": "Locked.Owner", "email": "owner@example.com",
         "password": OWNER_PASSWORD},
    )  # fmt: skip
    time.sleep(1.2)  # the moment typed is whole seconds after registering
    before_the_case = datetime.now(UTC)
    status, _, _ = call(
        "POST",
        f"{base}/api/v1/recovery-requests",
        {
            "username": "Locked.Owner",
            "contact_email": "owner.private@example.com",
            "description": "Someone changed my password <script>alert(1)</script>",
        },
    )
    assert status == 202

    # An agent signs in, finds the locked-out owner and opens a case from
    # their request.
    page = signed_in(browser, base, agent)
    shot(page, "queue")
    assert "Someone changed my password <script>" in page.inner_text("main")
    page.click("text=Find a shop")
    page.fill("input[name=q]", "locked.OWNER")
    page.click("button:has-text('Find')")
    assert "owner@example.com" in page.inner_text("main")
    shot(page, "find-a-shop")
    page.fill("form.request input[name=reason]", "owner called from the number on file")
    page.click("text=Open a case from this request")
    shot(page, "case-opened")
    token = page.inner_text("code.token").strip()
    case_id = page.url.rsplit("/", 1)[-1] if "/cases/" in page.url else None
    case_id = case_id or page.inner_text("dl dd code").strip()
    assert upload(base, case_id, token, PNG, "passport.png") == 201
    assert upload(base, case_id, token, PDF, "registration.pdf") == 201

    # The documents: the picture shown inline, the PDF opened.
    page.goto(f"{base}/console/cases/{case_id}")
    image = page.locator("ul.documents img")
    image.wait_for()
    width = page.evaluate(
        "() => document.querySelector('ul.documents img').naturalWidth"
    )
    assert width == 320
    shot(page, "case-with-documents")
    with page.context.expect_page() as opened:
        page.click("text=Open the PDF")
    pdf = opened.value
    pdf.wait_for_load_state()
    shot(pdf, "pdf-opened")  # headless Chromium draws no PDF in a screenshot
    assert pdf.evaluate("() => document.contentType") == "application/pdf"
    assert pdf.url.startswith(f"{base}/console/cases/{case_id}/documents/")
    assert "cannot be" not in pdf.title().lower()

    # The agent who opened the case cannot decide it.
    page.check("input[value=approve]")
    page.fill("textarea[name=note]", "I would like to approve my own case")
    page.click("button:has-text('Continue')")
    page.click("button:has-text('Yes, approve')")
    refusal = page.inner_text("main")
    shot(page, "own-case-refused")
    assert "cannot also decide it" in refusal

    # A second agent approves, with a confirmation.
    other = signed_in(browser, base, second)
    other.click(f"a[href='/console/cases/{case_id}']")
    other.check("input[value=approve]")
    other.fill("textarea[name=note]", "passport matches the registration")
    other.click("button:has-text('Continue')")
    assert "Whoever reads that mailbox can take the shop" in other.inner_text("main")
    shot(other, "confirm-approval")
    other.click("button:has-text('Yes, approve')")
    decided = other.inner_text("main")
    shot(other, "case-approved")
    assert "Approved by agent.two" in decided
    assert "agent.two approved the case: passport matches the registration" in decided
    assert "agent.one opened the case and froze the shop" in decided
    assert "agent.one viewed the identity document." in decided

    # An auditor filters the history, replays the shop as it stood before
    # the case, downloads a CSV and sees the integrity status.
    audit = signed_in(browser, base, auditor)
    assert "/console/audit/events" in audit.url
    audit.fill("input[name=username]", "Locked.Owner")
    audit.click("button:has-text('Search')")
    listed = audit.inner_text("table.events")
    shot(audit, "history-filtered")
    assert "SellerAccount.Registered" in listed
    assert "SellerAccount.Frozen" in listed
    audit.click("text=SellerAccount v1")
    audit.fill("input[name=as_of]", before_the_case.strftime("%Y-%m-%dT%H:%M:%S"))
    audit.click("button:has-text('Show the state then')")
    state = audit.inner_text("pre.state")
    shot(audit, "state-before-the-case")
    assert '"status": "active"' in state
    assert "[redacted]" in state
    audit.goto(f"{base}/console/audit/events?username=Locked.Owner")
    with audit.expect_download() as download:
        audit.click("a.button:has-text('CSV for spreadsheets')")
    saved = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename.endswith(".csv")
    assert saved.startswith("\ufeffposition,")
    assert "Locked.Owner" in saved
    audit.click("text=Integrity")
    audit.wait_for_selector(".status-line")
    shot(audit, "integrity")
    assert audit.inner_text(".status-line").startswith("Intact")


# Headers and CSRF do not depend on the store: SQLite only, to keep CI short.
@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_no_inline_script_runs_and_a_form_without_its_token_is_refused(server, browser):
    base, env = server
    agent = Staff(base, env, "agent.one", "support_agent")
    page = signed_in(browser, base, agent)
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text))

    ran = page.evaluate(
        """() => new Promise(done => {
            document.addEventListener('securitypolicyviolation',
                e => done({blocked: e.violatedDirective, ran: window.injected === 1}));
            const script = document.createElement('script');
            script.textContent = 'window.injected = 1';
            document.body.appendChild(script);
            setTimeout(() => done({blocked: null, ran: window.injected === 1}), 2000);
        })"""
    )

    assert ran["ran"] is False
    assert ran["blocked"] is not None
    assert "script-src" in ran["blocked"]
    # A form whose CSRF token is gone (as a forged one would be) changes nothing.
    page.goto(f"{base}/console/accounts?q=agent.one")
    page.evaluate(
        "() => document.querySelectorAll('input[name=csrf]').forEach(i => i.remove())"
    )
    response_status: list[int] = []
    page.on("response", lambda r: response_status.append(r.status))
    page.click("button:has-text('Sign out')")
    shot(page, "csrf-refused")
    assert 403 in response_status
    assert "did not come from this console" in page.inner_text("main")
    page.goto(f"{base}/console/queue")
    assert "/console/queue" in page.url  # still signed in: the post changed nothing
