"""Account-takeover recovery: requests, cases, documents, decisions, reset."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import Response, request
from flask_smorest import Blueprint
from marshmallow import ValidationError

from application.recovery import CaseView, DocumentView, RequestView
from application.recovery_requests import requests_by_status
from application.recovery_views import CASES
from domain.recovery_case import MAX_DOCUMENT_BYTES, CaseStatus, DocumentType
from interface.auth import acting, bearer_token, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.idempotency import created_id, idempotent
from interface.pages import cursor_position, page, page_of_view
from interface.problems import InvalidFieldError
from interface.rate_limits import limited
from interface.request_context import anonymous
from interface.schemas.lists import page_of
from interface.schemas.recovery import (
    CaseListArgsSchema,
    CaseSchema,
    DecisionResultSchema,
    DecisionSchema,
    DismissSchema,
    DocumentArgsSchema,
    DocumentSchema,
    ObjectionResultSchema,
    ObjectionSchema,
    OpenCaseSchema,
    OpenedCaseSchema,
    QueuedRequestSchema,
    RecoveryRequestSchema,
    RequestAcceptedSchema,
    RequestListArgsSchema,
    RequestSchema,
    ResetSchema,
    RestoredSchema,
    UnfreezeSchema,
    UploadSchema,
)

blp = Blueprint(
    "recovery", __name__, url_prefix="/api/v1", description="Account-takeover recovery"
)

RECOVERY = "recovery:manage"
MULTIPART_ALLOWANCE = 64 * 1024  # form fields and boundaries around the file
MAX_PAGE = 500
# The types uploads are judged to be, and the extension each is saved with.
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@blp.post("/recovery-requests")
@limited(blp, "recovery_rate_limit")
@idempotent(blp, creates_by_id=True)
@blp.arguments(RecoveryRequestSchema)
@blp.response(202, RequestAcceptedSchema)
@problems(blp, 400, 422)
def request_recovery(body: dict[str, Any]) -> dict[str, Any]:
    """Ask for help with a lost shop; the same answer for any username."""
    request_id = services().recovery.request(
        actor=anonymous(), request_id=created_id(), **body
    )
    return {"request_id": request_id}


@blp.get("/recovery-requests")
@requires(blp, RECOVERY)
@blp.arguments(RequestListArgsSchema, location="query")
@blp.response(200, page_of(QueuedRequestSchema))
@problems(blp, 422)
def queued_requests(args: dict[str, Any]) -> dict[str, Any]:
    """Requests waiting for an agent (`status=open`, the default), or those
    handled (`linked` to a case, `dismissed`), or `all`; newest first."""
    found = services()
    found.read_models.ensure_current()
    rows = requests_by_status(
        found.views, args["status"], args["limit"] + 1, cursor_position(args["cursor"])
    )
    result = page(rows, args["limit"], lambda row: row.position)
    result["items"] = [{"id": row.item_id, **row.data} for row in result["items"]]
    return result


@blp.post("/recovery-requests/<uuid:request_id>/dismiss")
@requires(blp, RECOVERY)
@blp.arguments(DismissSchema)
@blp.response(200, RequestSchema)
@problems(blp, 400, 404, 409, 422)
def dismiss_request(body: dict[str, Any], request_id: UUID) -> RequestView:
    """Nothing to do for this request (an unknown name, spam, a duplicate): it
    leaves the open queue, with the reason."""
    return services().recovery.dismiss(
        request_id, body["reason"], acting(current_principal())
    )


@blp.post("/recovery-cases")
@requires(blp, RECOVERY)
@idempotent(blp, creates_by_id=True)
@blp.arguments(OpenCaseSchema)
@blp.response(201, OpenedCaseSchema)
@problems(blp, 400, 404, 409, 422)
def open_case(body: dict[str, Any]) -> CaseView:
    """Open a case: the account is frozen and every session of it ends."""
    agent = current_principal()
    return services().recovery.open(actor=acting(agent), case_id=created_id(), **body)


@blp.get("/recovery-cases")
@requires(blp, RECOVERY)
@blp.arguments(CaseListArgsSchema, location="query")
@blp.response(200, page_of(CaseSchema))
@problems(blp, 422)
def list_cases(args: dict[str, Any]) -> dict[str, Any]:
    """Cases, newest first, optionally of one status; unfiltered, the disputed
    ones lead the first page."""
    status = args["status"].value if args["status"] else "all"
    page = page_of_view(CASES, status, args["limit"], args["cursor"])
    ids = [item["id"] for item in page["items"]]
    if status == "all":
        ids = _disputed_first(ids, first_page=args["cursor"] is None)
    page["items"] = services().recovery.views([UUID(i) for i in ids])
    return page


@blp.get("/recovery-cases/<uuid:case_id>")
@requires(blp, RECOVERY)
@blp.response(200, CaseSchema)
@problems(blp, 404)
def view_case(case_id: UUID) -> CaseView:
    """One case: its documents and its timeline."""
    return services().recovery.view(case_id)


@blp.post("/recovery-cases/<uuid:case_id>/documents")
@blp.doc(
    security=[{"uploadToken": []}],
    requestBody={
        "required": True,
        "content": {"multipart/form-data": {"schema": UploadSchema}},
    },
)
@idempotent(blp, max_body=MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE, token_scoped=True)
@blp.response(201, DocumentSchema)
@problems(blp, 400, 401, 403, 409, 413, 415, 422)
def upload_document(case_id: UUID) -> DocumentView:
    """Upload a document (PDF, PNG or JPEG, at most 10 MiB) with the case's token."""
    token = bearer_token()
    request.max_content_length = MAX_DOCUMENT_BYTES + MULTIPART_ALLOWANCE
    services().recovery.check_upload(case_id, token)
    doc_type = _doc_type(request.form.get("doc_type"))
    upload = request.files.get("file")
    if upload is None:
        raise InvalidFieldError("file", "Missing data for required field.")
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    return services().recovery.upload(case_id, token, doc_type, data, anonymous())


@blp.get("/recovery-cases/<uuid:case_id>/documents/<string:document_id>")
@requires(blp, RECOVERY)
@blp.arguments(DocumentArgsSchema, location="query")
@blp.doc(
    responses={
        "200": {
            "description": "The document's original bytes, as the type they were "
            "judged to be; `inline` to look at it in the browser",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in DOCUMENT_TYPES
            },
        }
    }
)
@problems(blp, 404, 422)
def download_document(
    args: dict[str, Any], case_id: UUID, document_id: str
) -> Response:
    """A document's original bytes; every view is recorded."""
    data, content_type = services().recovery.download(
        case_id, document_id, acting(current_principal())
    )
    return document_response(data, content_type, document_id, args["disposition"])


def document_response(
    data: bytes, content_type: str, document_id: str, disposition: str
) -> Response:
    """A document as the browser should take it: its real type, a file name
    with its extension, shown (``inline``) or saved, and run nothing either way."""
    name = f"document-{document_id[:12]}.{DOCUMENT_TYPES.get(content_type, 'bin')}"
    return Response(
        data,
        mimetype=content_type,
        headers={
            "Content-Disposition": f'{disposition}; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@blp.post("/recovery-cases/<uuid:case_id>/decision")
@requires(blp, RECOVERY)
@blp.arguments(DecisionSchema)
@blp.response(200, DecisionResultSchema)
@problems(blp, 400, 404, 409, 422)
def decide(body: dict[str, Any], case_id: UUID) -> CaseView:
    """Approve or reject; never by the agent who opened the case."""
    return services().recovery.decide(
        case_id, body["decision"], body["note"], acting(current_principal())
    )


@blp.post("/recovery-cases/<uuid:case_id>/objection")
@blp.arguments(ObjectionSchema)
@blp.response(200, ObjectionResultSchema)
@problems(blp, 400, 403, 404, 409, 422)
def object_to_case(body: dict[str, Any], case_id: UUID) -> CaseView:
    """The registered owner objects with the mailed link: the case is disputed,
    the reset link void, the shop frozen."""
    return services().recovery.object(
        case_id, body["objection_token"], body["note"], anonymous()
    )


@blp.post("/recovery-cases/<uuid:case_id>/reset")
@blp.arguments(ResetSchema)
@blp.response(200, RestoredSchema)
@problems(blp, 400, 403, 404, 422)
def reset(body: dict[str, Any], case_id: UUID) -> dict[str, Any]:
    """Set a new password with the reset token; the shop is active again."""
    account_id = services().recovery.reset(
        case_id, body["reset_token"], body["new_password"], anonymous()
    )
    return {"account_id": account_id, "status": "active"}


@blp.post("/platform/sellers/<uuid:seller_id>/unfreeze")
@requires(blp, "accounts:unfreeze")
@blp.arguments(UnfreezeSchema)
@blp.response(200, RestoredSchema)
@problems(blp, 400, 404, 409, 422)
def unfreeze(body: dict[str, Any], seller_id: UUID) -> dict[str, Any]:
    """A false alarm: restore the shop and close its open case."""
    services().recovery.unfreeze(seller_id, body["reason"], acting(current_principal()))
    return {"account_id": seller_id, "status": "active"}


def _disputed_first(ids: list[str], *, first_page: bool) -> list[str]:
    disputed = page_of_view(CASES, CaseStatus.DISPUTED.value, MAX_PAGE, None)
    lead = [item["id"] for item in disputed["items"]]
    rest = [i for i in ids if i not in lead]
    # The disputed lead the first page on top of it (so no case is skipped by
    # the cursor); later pages leave them out.
    return lead + rest if first_page else rest


def _doc_type(value: str | None) -> DocumentType:
    try:
        parsed = UploadSchema().fields["doc_type"].deserialize(value)
    except ValidationError as error:
        raise InvalidFieldError("doc_type", str(error.messages[0])) from None
    if not isinstance(parsed, DocumentType):
        raise InvalidFieldError("doc_type", "Missing data for required field.")
    return parsed
