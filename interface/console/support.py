"""Support agents' pages: the queue, finding a shop, a case, its documents.

Each page calls the use case the matching API operation calls, with the
agent as the actor, so the same rules hold (four eyes) and the same events
are recorded (lookups, document views, decisions).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, g, redirect, request, url_for

from application.recovery import CaseView
from application.recovery_requests import requests_by_status
from application.recovery_views import CASES
from domain.recovery_case import CaseStatus
from domain.recovery_request import RequestStatus
from interface.auth import acting
from interface.blueprints.recovery import document_response
from interface.composition import services
from interface.console.base import blp, page, staff_page
from interface.schemas.recovery import (
    DecisionSchema,
    DismissSchema,
    OpenCaseSchema,
    UnfreezeSchema,
)

RECOVERY = "recovery:manage"
LOOKUP = "accounts:lookup"
UNFREEZE = "accounts:unfreeze"
QUEUE_SIZE = 200
# Cases still needing an agent, in the order the queue shows them after the
# disputed ones.
WAITING = (
    CaseStatus.AWAITING_DOCUMENTS,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.REJECTED,
    CaseStatus.APPROVED,
)


@blp.get("/")
@staff_page()
def home() -> Response:
    """Each role's first page."""
    if g.principal.may(RECOVERY):
        return redirect(url_for("console.queue"))  # type: ignore[return-value]
    if g.principal.may("audit:read"):
        return redirect(url_for("console.audit_events"))  # type: ignore[return-value]
    return page("home.html")


@blp.get("/queue")
@staff_page(RECOVERY)
def queue() -> Response:
    """Open requests and the cases waiting for an agent: disputed first, then
    the oldest."""
    found = services()
    found.read_models.ensure_current()
    requests = requests_by_status(
        found.views, RequestStatus.OPEN.value, QUEUE_SIZE, None
    )
    ids = [i.item_id for i in found.views.items(CASES, "disputed", limit=QUEUE_SIZE)]
    waiting = sorted(
        (
            item
            for status in WAITING
            for item in found.views.items(CASES, status.value, limit=QUEUE_SIZE)
        ),
        key=lambda item: item.position,
    )
    ids = list(reversed(ids)) + [i.item_id for i in waiting]
    return page(
        "queue.html",
        requests=list(reversed(requests)),
        cases=found.recovery.views([UUID(i) for i in ids]),
    )


@blp.get("/accounts")
@staff_page(LOOKUP)
def accounts() -> Response:
    """Find a shop by its exact login name or e-mail address (recorded)."""
    wanted = request.args.get("q", "").strip()[:256]
    if not wanted:
        return page("accounts.html", wanted="", accounts=None, requests={})
    lookup = services().account_lookup
    reader = acting(g.principal)
    staff_too = g.principal.may("audit:read")
    found = (
        lookup.by_email(reader, wanted, staff_too=staff_too)
        if "@" in wanted
        else lookup.by_username(reader, wanted, staff_too=staff_too)
    )
    return page(
        "accounts.html",
        wanted=wanted,
        accounts=found,
        requests=_open_requests_of({str(a.id) for a in found}),
    )


@blp.post("/cases")
@staff_page(RECOVERY)
def open_case() -> Response:
    """Open a case (from a request, when the form names one); the upload token
    is shown this once, to read out to the owner."""
    body = OpenCaseSchema().load(
        _form("account_id", "reason", "contact_email", "request_id")
    )
    case = services().recovery.open(actor=acting(g.principal), **body)
    return page("case.html", case=case, upload_token=case.upload_token)


@blp.get("/cases/<uuid:case_id>")
@staff_page(RECOVERY)
def case(case_id: UUID) -> Response:
    """A case: the shop, its documents, its timeline, and the decision."""
    return page("case.html", case=services().recovery.view(case_id))


@blp.get("/cases/<uuid:case_id>/documents/<string:document_id>")
@staff_page(RECOVERY)
def document(case_id: UUID, document_id: str) -> Response:
    """A document shown in the browser (the view is recorded)."""
    data, content_type = services().recovery.download(
        case_id, document_id[:64], acting(g.principal)
    )
    return document_response(data, content_type, document_id, "inline")


@blp.post("/cases/<uuid:case_id>/decision")
@staff_page(RECOVERY)
def decide(case_id: UUID) -> Response:
    """The decision, in two steps: what it will do, then the confirmation."""
    body = DecisionSchema().load(_form("decision", "note"))
    recovery = services().recovery
    if request.form.get("confirmed") != "yes":
        return page(
            "confirm.html",
            case=recovery.view(case_id),
            decision=body["decision"].value,
            note=body["note"],
        )
    decided = recovery.decide(
        case_id, body["decision"], body["note"], acting(g.principal)
    )
    return _to_case(decided)


@blp.post("/requests/<uuid:request_id>/dismiss")
@staff_page(RECOVERY)
def dismiss(request_id: UUID) -> Response:
    """Nothing to do for a request: it leaves the queue, with the reason."""
    body = DismissSchema().load(_form("reason"))
    services().recovery.dismiss(request_id, body["reason"], acting(g.principal))
    return redirect(url_for("console.queue"))  # type: ignore[return-value]


@blp.post("/accounts/<uuid:account_id>/unfreeze")
@staff_page(UNFREEZE)
def unfreeze(account_id: UUID) -> Response:
    """A false alarm: the shop is active again and its open case closed."""
    body = UnfreezeSchema().load(_form("reason"))
    services().recovery.unfreeze(account_id, body["reason"], acting(g.principal))
    return page("done.html", message="The shop is active again.")


def _to_case(case: CaseView) -> Response:
    return redirect(url_for("console.case", case_id=case.id))  # type: ignore[return-value]


def _form(*names: str) -> dict[str, Any]:
    """The named form fields that were filled in (empty ones left out)."""
    return {n: request.form[n] for n in names if request.form.get(n, "").strip()}


def _open_requests_of(account_ids: set[str]) -> dict[str, list[Any]]:
    found = services()
    found.read_models.ensure_current()
    mine: dict[str, list[Any]] = {}
    for item in requests_by_status(
        found.views, RequestStatus.OPEN.value, QUEUE_SIZE, None
    ):
        account = item.data.get("account_id")
        if account in account_ids:
            mine.setdefault(account, []).append(item)
    return mine
