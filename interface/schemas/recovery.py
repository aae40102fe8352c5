"""Schemas of account-takeover recovery."""

from __future__ import annotations

import marshmallow as ma

from domain.recovery_case import CaseStatus, Decision, DocumentType
from domain.recovery_request import RequestStatus
from interface.schemas.accounts import PASSWORD
from interface.schemas.fields import Timestamp

TEXT = ma.validate.Length(1, 2000)


class RecoveryRequestSchema(ma.Schema):
    """A stranger's request for help."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 256))
    contact_email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    description = ma.fields.String(required=True, validate=TEXT)


class RequestAcceptedSchema(ma.Schema):
    """The request is queued (whether or not the username exists)."""

    request_id = ma.fields.UUID(required=True)


class QueuedRequestSchema(ma.Schema):
    """A recovery request, and what became of it."""

    id = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    account_id = ma.fields.String(required=True, allow_none=True)
    contact_email = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    received_at = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, metadata={"enum": [s.value for s in RequestStatus]}
    )
    case_id = ma.fields.String(required=True, allow_none=True)
    dismissal_reason = ma.fields.String(required=True, allow_none=True)


class RequestListArgsSchema(ma.Schema):
    """Which requests: the open queue (default), handled ones, or all."""

    status = ma.fields.String(
        load_default=RequestStatus.OPEN.value,
        validate=ma.validate.OneOf([*(s.value for s in RequestStatus), "all"]),
    )
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))


class DismissSchema(ma.Schema):
    """Why nothing is to be done for the request."""

    reason = ma.fields.String(required=True, validate=TEXT)


class RequestSchema(ma.Schema):
    """A recovery request, and what became of it."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    account_id = ma.fields.UUID(required=True, allow_none=True)
    contact_email = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    received_at = Timestamp(required=True)
    status = ma.fields.String(required=True)
    case_id = ma.fields.UUID(required=True, allow_none=True)
    dismissal_reason = ma.fields.String(required=True, allow_none=True)


class OpenCaseSchema(ma.Schema):
    """Open a case about an account (for a request, when ``request_id`` names it)."""

    account_id = ma.fields.UUID(required=True)
    reason = ma.fields.String(required=True, validate=TEXT)
    contact_email = ma.fields.Email(
        load_default=None,
        validate=ma.validate.Length(max=254),
        metadata={"description": "Required unless `request_id` gives the request's."},
    )
    request_id = ma.fields.UUID(
        load_default=None,
        metadata={
            "description": "The recovery request the case answers; it "
            "leaves the open queue."
        },
    )


class DocumentSchema(ma.Schema):
    """A received document: never its bytes."""

    id = ma.fields.String(required=True)
    doc_type = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    content_type = ma.fields.String(required=True)
    received_at = Timestamp(required=True)


class TimelineEntrySchema(ma.Schema):
    """One step of a case, as a sentence naming who acted."""

    at = Timestamp(required=True)
    step = ma.fields.String(
        required=True,
        metadata={
            "description": "opened, request_linked, document_received, "
            "document_viewed, decided, objected or closed"
        },
    )
    by = ma.fields.String(required=True, allow_none=True)
    by_username = ma.fields.String(required=True, allow_none=True)
    text = ma.fields.String(required=True)


class CaseDecisionSchema(ma.Schema):
    """The latest verdict on a case."""

    decision = ma.fields.String(required=True)
    note = ma.fields.String(required=True)
    decided_by = ma.fields.String(required=True, allow_none=True)
    decided_by_username = ma.fields.String(required=True, allow_none=True)
    decided_at = Timestamp(required=True)


class CaseAccountSchema(ma.Schema):
    """The shop a case is about."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class CaseSchema(ma.Schema):
    """A recovery case."""

    id = ma.fields.UUID(required=True)
    account_id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
    opened_by = ma.fields.String(required=True, allow_none=True)
    reason = ma.fields.String(required=True)
    contact_email = ma.fields.String(required=True)
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema), required=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema), required=True)
    version = ma.fields.Integer(required=True)
    opened_by_username = ma.fields.String(required=True, allow_none=True)
    account = ma.fields.Nested(CaseAccountSchema, required=True, allow_none=True)
    request_id = ma.fields.UUID(required=True, allow_none=True)
    decision = ma.fields.Nested(CaseDecisionSchema, required=True, allow_none=True)


class OpenedCaseSchema(CaseSchema):
    """A new case, with the owner's upload token (shown this once)."""

    upload_token = ma.fields.String(required=True)


class CaseListArgsSchema(ma.Schema):
    """Which cases."""

    status = ma.fields.Enum(CaseStatus, by_value=True, load_default=None)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))


class UploadSchema(ma.Schema):
    """A document: the file and what it is meant to prove."""

    doc_type = ma.fields.Enum(DocumentType, by_value=True, required=True)
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DecisionSchema(ma.Schema):
    """The second agent's verdict."""

    decision = ma.fields.Enum(Decision, by_value=True, required=True)
    note = ma.fields.String(required=True, validate=TEXT)


class DocumentArgsSchema(ma.Schema):
    """How the browser is to treat the file."""

    disposition = ma.fields.String(
        load_default="attachment",
        validate=ma.validate.OneOf(["attachment", "inline"]),
        metadata={"description": "`inline` to look at it in the browser."},
    )


class DecisionResultSchema(ma.Schema):
    """The case after the decision (the reset link goes by mail, to the owner)."""

    status = ma.fields.String(required=True)


class ObjectionSchema(ma.Schema):
    """The registered owner's objection, with the token of their mailed link."""

    objection_token = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(1, 300)
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(0, 2000))


class ObjectionResultSchema(ma.Schema):
    """The case, disputed."""

    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)


class ResetSchema(ma.Schema):
    """The reset token and the new password."""

    reset_token = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(1, 300)
    )
    new_password = PASSWORD()


class RestoredSchema(ma.Schema):
    """The account, active again."""

    account_id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)


class UnfreezeSchema(ma.Schema):
    """Why the freeze was a false alarm."""

    reason = ma.fields.String(required=True, validate=TEXT)
