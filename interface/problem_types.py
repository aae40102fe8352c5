"""The problem types the API answers with, each with a page at ``/problems/<code>``.

A problem's ``type`` is ``/problems/<code>``, a URI this product serves: a
short HTML page saying what the code means and what to do about it. The
registry is built from the one list of codes the interface answers with
(``problems.STATUS_OF_CODE``, ``problems.CODE_OF_STATUS``, the few codes only
the interface gives) and from every domain and application error class, whose
one-line docstring says when it is raised.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from http import HTTPStatus

from flask import Blueprint, Response, abort

from domain.errors import SellerGuardError
from interface import problems

# What to do about a code, where its status and error classes do not say it.
ADVICE = {
    "request_timeout": "Send the whole request at once: the server waits "
    "`--read-timeout` seconds (10 by default) for it, plus 1 s per 64 KiB of body.",
    "request_header_fields_too_large": "Send fewer or shorter header fields "
    "(64 KiB in all at most).",
    "validation_error": "Correct the fields named in `errors` and send again.",
    "password_policy": "Choose another password; `violations` lists every rule "
    "it broke.",
    "unauthorized": "Sign in again (POST /api/v1/sessions) or send a valid "
    "bearer token.",
    "forbidden": "The caller's role or scope does not allow this; the "
    "`permission` member, when present, names what was needed.",
    "rate_limited": "Wait for the number of seconds in `Retry-After`.",
    "precondition_failed": "Fetch the resource again and retry with its current "
    "`ETag` in `If-Match`.",
    "concurrent_update": "Someone changed the same thing at the same moment; retry.",
    "two_step_required": "Turn on two-step verification (POST "
    "/api/v1/me/two-step) before anything else.",
    "reauthentication_required": "Confirm your password (and code) at POST "
    "/api/v1/sessions/current/reauthenticate, then repeat the request.",
    "integrity_violation": "A stored record does not open in its place: the "
    "store was changed without the key. Operators have been alerted.",
    "not_ready": "The server cannot serve yet (its store is unreachable or its "
    "log follower lags); the load balancer should send requests elsewhere.",
    "service_unavailable": "The database cannot be reached; retry after "
    "`Retry-After` seconds.",
    "internal_error": "A fault on our side; nothing was changed. Report the "
    "`X-Request-Id` of the response.",
    "bad_request": "Send a well-formed JSON body.",
    "payload_too_large": "Send a smaller body (1 MiB for JSON, 10 MiB for documents).",
    "unsupported_media_type": "Send the body as `application/json`.",
    "method_not_allowed": "Use one of the methods listed in `Allow`.",
    "uri_too_long": "Send a shorter query string (at most 4 KiB).",
}
# Codes only the interface gives (no error class, no entry in the tables).
INTERFACE_CODES = {
    "internal_error": 500,
    "not_ready": 503,
    "service_unavailable": 503,
    "method_not_allowed": 405,
    "conflict": 409,
    "error": 400,
    "uri_too_long": 414,
    # Written by serve's worker before a request reaches the app.
    "request_timeout": 408,
    "request_header_fields_too_large": 431,
}


@dataclass(frozen=True)
class ProblemType:
    """One stable code: its status, and the cases that give it."""

    code: str
    status: int
    cases: tuple[str, ...]

    @property
    def uri(self) -> str:
        """The problem's ``type`` member."""
        return problems.type_uri(self.code)


def problem_types() -> dict[str, ProblemType]:
    """Every code the API answers with, from the tables and the error classes."""
    statuses = dict(INTERFACE_CODES)
    statuses.update({code: status for status, code in problems.CODE_OF_STATUS.items()})
    statuses.update(problems.STATUS_OF_CODE)
    cases: dict[str, list[str]] = {code: [] for code in statuses}
    for error in _subclasses(SellerGuardError):
        code = getattr(error, "code", None)
        doc = (error.__doc__ or "").strip().splitlines()
        if isinstance(code, str) and doc:
            statuses.setdefault(code, 422)  # problems.from_domain_error's default
            found = cases.setdefault(code, [])
            if doc[0] not in found:
                found.append(doc[0])
    return {
        code: ProblemType(code, statuses[code], tuple(sorted(cases[code])))
        for code in sorted(statuses)
    }


def _subclasses(cls: type[SellerGuardError]) -> list[type[SellerGuardError]]:
    found: list[type[SellerGuardError]] = []
    subclass: type[SellerGuardError]
    for subclass in cls.__subclasses__():
        found += [subclass, *_subclasses(subclass)]
    return found


blp = Blueprint("problem_types", __name__, url_prefix="/problems")


@blp.get("/")
def index() -> Response:
    """Every problem type, linked."""
    items = "".join(
        f'<li><a href="{html.escape(t.uri)}"><code>{t.code}</code></a> '
        f"({t.status} {HTTPStatus(t.status).phrase})</li>"
        for t in problem_types().values()
    )
    return _page("Problem types", f"<ul>{items}</ul>")


@blp.get("/<code>")
def page(code: str) -> Response:
    """What one code means, and what a caller can do about it."""
    found = problem_types().get(code)
    if found is None:
        abort(404)
    status = f"{found.status} {HTTPStatus(found.status).phrase}"
    body = f"<p>HTTP status: <strong>{status}</strong></p>"
    if found.code in ADVICE:
        body += f"<p>{_marked(ADVICE[found.code])}</p>"
    if found.cases:
        listed = "".join(f"<li>{html.escape(case)}</li>" for case in found.cases)
        body += f"<p>Given when:</p><ul>{listed}</ul>"
    body += (
        '<p>Every error is <a href="https://www.rfc-editor.org/rfc/rfc9457">RFC '
        "9457</a> problem details; <code>code</code> is stable. "
        '<a href="/problems/">All problem types</a>.</p>'
    )
    return _page(found.code, body)


def _marked(text: str) -> str:
    """Escaped text with its `backquoted` words set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _page(title: str, body: str) -> Response:
    text = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>SellerGuard: {html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(text, mimetype="text/html")
