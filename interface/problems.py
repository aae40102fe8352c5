"""Every failure as RFC 9457 problem details, mapped in this one module."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from application.credentials import PasswordRejectedError
from domain.errors import SellerGuardError
from infrastructure.database import UNAVAILABLE
from infrastructure.postgres_recorder import CommitOutcomeUnknownError

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# The HTTP status of each stable code of the REST contract.
STATUS_OF_CODE = {
    "validation_error": 422,
    "password_policy": 422,
    "username_taken": 409,
    "unauthorized": 401,
    "invalid_credentials": 401,
    "invalid_code": 401,
    "forbidden": 403,
    "account_frozen": 403,
    "account_closed": 403,
    "invalid_portfolio_code": 403,
    "same_store": 409,
    "already_linked": 409,
    "portfolio_conflict": 409,
    "not_found": 404,
    "two_step_already_enabled": 409,
    "two_step_not_started": 409,
    "two_step_not_enabled": 409,
    "account_not_frozen": 409,
    "precondition_failed": 412,
    "two_step_required": 403,
    "not_invited": 409,
    "sub_account_deactivated": 409,
    "sub_account_active": 409,
    "bad_request": 400,
    "concurrent_update": 409,
    "already_blocked": 409,
    "block_limit_reached": 422,
    "daily_block_limit_reached": 422,
    "blocking_access_revoked": 403,
    "rate_limited": 429,
    "case_already_open": 409,
    "request_handled": 409,
    "case_not_accepting_documents": 409,
    "four_eyes_required": 403,
    "no_documents": 409,
    "case_not_decidable": 409,
    "case_closed": 409,
    "payout_change_pending": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "signal_conflict": 409,
    "already_decided": 409,
    "reauthentication_required": 401,
    "passkey_rejected": 422,
    "passkey_limit_reached": 409,
    "integrity_violation": 503,
    "idempotency_key_reused": 422,
    "idempotency_key_in_use": 409,
    "service_unavailable": 503,
}


# Wrong credentials at sign-in, worded alike for every cause (unknown name,
# wrong password, locked out, deactivated), with what to do about it.
DETAIL_OF_CODE = {
    "invalid_credentials": (
        "The username or password is wrong. After several wrong attempts in a "
        "row, sign-ins from this address must wait 15 minutes (longer if it "
        "happens again)."
    ),
    "invalid_code": (
        "The code is wrong, expired or already used. After several wrong codes, "
        "codes are refused for 15 minutes (longer if it happens again)."
    ),
}
# The same codes on a call made with a valid session: the caller is still
# signed in (403, not 401), and no username was sent.
DETAIL_BEHIND_SESSION = {
    "invalid_credentials": (
        "The password is wrong. Several wrong passwords in a row end this session."
    ),
    "invalid_code": (
        "The code is wrong, expired or already used. Several wrong codes in a row "
        "end this session."
    ),
}


class InvalidFieldError(SellerGuardError):
    """A field of the request (in its path, say) is not acceptable."""

    code = "validation_error"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class BadRequestError(SellerGuardError):
    """The request is malformed."""

    code = "bad_request"


# The stable code of each HTTP status the framework itself can answer with.
CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class ViolationSchema(ma.Schema):
    """One broken password rule."""

    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with the contract's stable ``code``."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String())
    )
    violations = ma.fields.List(ma.fields.Nested(ViolationSchema))
    permission = ma.fields.String(
        metadata={"description": "With `403 forbidden`: the permission it needed"}
    )


def type_uri(code: str) -> str:
    """The problem's ``type``: a page this product serves (``problem_types``)."""
    return f"/problems/{code}"


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    """A problem-details response."""
    body = {
        "type": type_uri(code),
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def from_http_exception(error: HTTPException) -> Response:
    """Problem details for what the framework refused (routing, parsing, size)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages:
        return problem(400, "bad_request", "The request body is not valid JSON.")
    if status == 422 and messages:
        return problem(
            422,
            "validation_error",
            "The request has invalid fields.",
            errors=_flatten(messages),
        )
    code = CODE_OF_STATUS.get(status, "error")
    detail = error.description or HTTPStatus(status).phrase
    if status == 429:
        detail = "Too many requests from this address; try again later."
    response = problem(status, code, detail)
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def from_domain_error(error: SellerGuardError) -> Response:
    """Problem details for a refusal of the product's own rules."""
    status = STATUS_OF_CODE.get(error.code, 422)
    if isinstance(error, PasswordRejectedError):
        return problem(
            status,
            error.code,
            "The password does not meet the password policy.",
            violations=[
                {"code": v.code, "message": v.message} for v in error.violations
            ],
        )
    detail = DETAIL_OF_CODE.get(error.code) or _docstring(error)
    if error.code in DETAIL_BEHIND_SESSION and g.get("principal") is not None:
        status, detail = 403, DETAIL_BEHIND_SESSION[error.code]
    if error.code == "integrity_violation":
        # Someone changed the store without the key: operators must know now.
        logger.critical("integrity violation: stored %s does not open in place", error)
    if error.code == "validation_error":
        return problem(
            status,
            error.code,
            "The request has invalid fields.",
            errors=getattr(error, "errors", None) or _field_message(error),
        )
    extra: dict[str, Any] = {}
    permission = getattr(error, "permission", None)
    if error.code == "forbidden" and permission:
        extra["permission"] = str(permission)
        detail = f"This needs the permission {permission}, which you do not have."
    response = problem(status, error.code, detail, **extra)
    if error.code == "unauthorized":
        response.headers["WWW-Authenticate"] = "Bearer"
    if error.code == "reauthentication_required":  # RFC 9470
        response.headers["WWW-Authenticate"] = (
            'Bearer error="insufficient_user_authentication", '
            f"max_age={getattr(error, 'max_age', 300)}"
        )
    if error.code in ("rate_limited", "idempotency_key_in_use"):
        response.headers["Retry-After"] = str(getattr(error, "retry_after", 60))
    return response


def _docstring(error: SellerGuardError) -> str:
    return (error.__doc__ or "").strip() or error.code


def _field_message(error: SellerGuardError) -> dict[str, list[str]]:
    """The field and what is wrong with it, never the value that was sent.

    Only :class:`InvalidFieldError` carries a message of its own; other errors
    carry ids or the rejected input, so their one-line docstring speaks.
    """
    field = getattr(error, "field", "_schema")
    message = str(error) if isinstance(error, InvalidFieldError) else _docstring(error)
    return {field: [message]}


# Seconds a client should wait before trying again when the store is down.
RETRY_AFTER_UNAVAILABLE = 2


def from_unavailable_store(error: Exception) -> Response:
    """The database cannot be reached (or gave up): 503, try again shortly."""
    logger.error(
        "store unavailable: %s: %s",
        type(error).__name__,
        str(error).splitlines()[0][:200] if str(error) else "",
    )
    detail = "The database cannot be reached just now; try again shortly."
    if isinstance(error, CommitOutcomeUnknownError):
        detail = (
            "The database did not confirm the change, so it may or may not have "
            "been saved; repeat the request (with the same Idempotency-Key)."
        )
    response = problem(503, "service_unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
    return response


def from_unexpected(error: Exception) -> Response:
    """A bug: logged with its trace, answered without any detail."""
    logger.exception("unhandled error", exc_info=error)
    return problem(500, "internal_error", "Something went wrong on our side.")


def from_validation_error(error: ma.ValidationError) -> Response:
    """Problem details for input a view validated itself."""
    messages = (
        error.messages
        if isinstance(error.messages, dict)
        else {"_schema": error.messages}
    )
    return problem(
        422,
        "validation_error",
        "The request has invalid fields.",
        errors=_flatten({"query": messages}),
    )


def register(app: Flask) -> None:
    """Route every failure through problem details."""
    app.register_error_handler(ma.ValidationError, from_validation_error)
    app.register_error_handler(HTTPException, from_http_exception)
    app.register_error_handler(SellerGuardError, from_domain_error)
    for unavailable in UNAVAILABLE:
        app.register_error_handler(unavailable, from_unavailable_store)
    app.register_error_handler(Exception, from_unexpected)


def _flatten(messages: dict[str, Any]) -> dict[str, list[str]]:
    """Field → messages, whatever part of the request the field came from."""
    errors: dict[str, list[str]] = {}
    for by_field in messages.values():
        if isinstance(by_field, list):
            errors.setdefault("_schema", []).extend(map(str, by_field))
            continue
        for field, field_messages in by_field.items():
            errors.setdefault(str(field), []).extend(_strings(field_messages))
    return errors


def _strings(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [
            f"{key}: {text}"
            for key, value in messages.items()
            for text in _strings(value)
        ]
    if isinstance(messages, list):
        return [text for item in messages for text in _strings(item)]
    return [str(messages)]
