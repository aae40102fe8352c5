"""The headers every response wears (API.md, "Operations")."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

API_CSP = "default-src 'none'; frame-ancestors 'none'"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
# Responses that hold nothing personal and may be cached.
CACHEABLE = ("/api/v1/openapi.json", "/docs", "/healthz")


# What every API response in JSON wears (the checkout check's lean path too).
API_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Content-Security-Policy", API_CSP),
    ("Cache-Control", "no-store"),
)


def install(app: Flask) -> None:
    """Add the security headers to every response."""
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    """nosniff, no referrer, no framing, a CSP, and no-store where it matters."""
    headers = response.headers
    for name, value in API_HEADERS[:3]:
        headers[name] = value
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = _policy(response)
    if headers.get("Content-Disposition", "").startswith(("attachment", "inline")):
        # A file, saved or shown in the browser, runs nothing, reaches nothing.
        headers["Content-Security-Policy"] = "sandbox; " + API_CSP
    if not request.path.startswith(CACHEABLE):
        # Tokens, codes, secrets and personal data: never in any cache.
        headers["Cache-Control"] = "no-store"
    return response


CONSOLE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The console's second-step page, when it offers a passkey: our own script
# file may run (no inline script, nothing from another origin, no fetch).
CONSOLE_PASSKEY_CSP = CONSOLE_CSP + "; script-src 'self'"


def _policy(response: Response) -> str:
    """The API's policy; the docs page may run its own scripts and styles only;
    the console's pages run no script at all and load only their own
    stylesheet and the documents they show."""
    if request.path.startswith("/console/") and response.mimetype in (
        "text/html",
        "text/css",
    ):
        return CONSOLE_CSP
    if not (request.path.startswith("/docs") and response.mimetype == "text/html"):
        return API_CSP
    hashes = " ".join(
        f"'sha256-{_digest(script)}'"
        for script in INLINE_SCRIPT.findall(response.get_data())
    )
    return (
        "default-src 'none'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def _digest(script: bytes) -> str:
    return base64.b64encode(hashlib.sha256(script).digest()).decode()
