"""Documenting problem responses in the served OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from apispec import BasePlugin
from flask_smorest import Blueprint

from interface.problems import PROBLEM_JSON, ProblemSchema

F = TypeVar("F", bound=Callable[..., Any])

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def problems(blp: Blueprint, *statuses: int) -> Callable[[F], F]:
    """Declare the problem-details responses an operation can give."""

    def decorate(view: F) -> F:
        for status in statuses:
            view = blp.alt_response(
                status,
                schema=ProblemSchema,
                content_type=PROBLEM_JSON,
                description=HTTPStatus(status).phrase,
            )(view)
        return view

    return decorate


PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
UNKNOWN_QUERY = (
    "validation_error: invalid fields, unknown query parameters included "
    "(each named in `errors`)"
)
NOT_JSON = (
    "unsupported_media_type: the body was not sent as JSON "
    "(Content-Type: application/json)"
)
FORBIDDEN = (
    "forbidden: the caller's role or scopes lack the permission named in `permission`"
)
WRONG_PROOF_BEHIND_SESSION = (
    "invalid_credentials / invalid_code: the password or code sent is wrong "
    "(the session stays valid; the fifth wrong one in a row ends it)"
)
# The notable errors of operations whose status alone does not say which
# code comes (the contract's error tables), by (method, path).
EXPLAINED: dict[tuple[str, str], dict[str, str]] = {
    ("post", "/api/v1/sessions"): {
        "401": "invalid_credentials: unknown username, wrong password, locked "
        "out or deactivated, all alike; several wrong attempts make the address "
        "wait 15 minutes",
        "403": "account_frozen / account_closed (only after correct credentials)",
    },
    ("post", "/api/v1/sessions/challenge"): {
        "401": "invalid_code: wrong, expired or spent code, or the second step "
        "is locked for 15 minutes after several wrong codes",
        "403": "account_frozen / account_closed",
    },
    ("post", "/api/v1/sessions/current/reauthenticate"): {
        "403": WRONG_PROOF_BEHIND_SESSION,
    },
    ("post", "/api/v1/me/password"): {"403": WRONG_PROOF_BEHIND_SESSION},
    ("delete", "/api/v1/me/two-step"): {"403": WRONG_PROOF_BEHIND_SESSION},
    ("post", "/api/v1/me/two-step/confirm"): {"403": WRONG_PROOF_BEHIND_SESSION},
}


class ProblemResponses(BasePlugin):
    """Documents the problems every API operation can answer with.

    Any documented operation: ``422`` (unknown query parameters); any with a JSON body:
    ``415`` (a body of another media type); plus the codes behind the
    statuses of :data:`EXPLAINED` and of ``403 forbidden``.
    """

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not path or not operations:
            return
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            _add(responses, "422", UNKNOWN_QUERY)
            body = operation.get("requestBody", {}).get("content", {})
            if "application/json" in body:
                _add(responses, "415", NOT_JSON)
            explained = EXPLAINED.get((method, path), {})
            if "403" not in explained and _has(responses, "403"):
                _describe(responses, "403", FORBIDDEN, append=True)
            for status, text in explained.items():
                _describe(responses, status, text)


def _has(responses: dict[Any, Any], status: str) -> bool:
    return status in responses or int(status) in responses


def _add(responses: dict[Any, Any], status: str, description: str) -> None:
    if _has(responses, status):
        _describe(responses, status, description, append=True)
    else:
        responses[status] = {"description": description, "content": PROBLEM_CONTENT}


def _describe(
    responses: dict[Any, Any], status: str, text: str, *, append: bool = False
) -> None:
    key: Any = status if status in responses else int(status)
    response = responses.get(key)
    if not isinstance(response, dict):
        responses[status] = {"description": text, "content": PROBLEM_CONTENT}
        return
    described = str(response.get("description", ""))
    if append and described and described != HTTPStatus(int(status)).phrase:
        response["description"] = f"{described}; {text}"
    else:
        response["description"] = text
