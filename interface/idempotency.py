"""The ``Idempotency-Key`` header on the POSTs that create something.

Place ``@idempotent(blp)`` right above ``@blp.arguments`` (below ``@requires``
and ``@recent_sign_in``, so the caller is known and allowed first):

    @blp.post("/sub-accounts")
    @requires(blp, MANAGE_SUB_ACCOUNTS)
    @recent_sign_in(blp)
    @idempotent(blp)
    @blp.arguments(CreateSubAccountSchema)
    @blp.response(201, SubAccountSchema)
    def create_sub_account(...): ...

A request that ends without knowing whether its work landed (a ``503`` after
a commit whose answer was lost) keeps its key; the retry with that key runs
again. Views declared ``creates_by_id`` give what they create the id
:func:`created_id` (derived from the key's claim), so that retry reads back
what the first attempt created and answers it, instead of ``409``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from flask import Response, g, make_response, request
from flask_smorest import Blueprint
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from application.idempotency import StoredResponse
from domain.errors import SellerGuardError
from interface.composition import services
from interface.problems import PROBLEM_JSON, InvalidFieldError, ProblemSchema
from interface.request_context import client_ip

F = TypeVar("F", bound=Callable[..., Any])

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED = "Idempotent-Replayed"
# The headers of a first response that a retry gets again (the others, such
# as the request id and the security headers, are this response's own).
KEPT_HEADERS = ("Content-Type", "ETag", "Location", "Cache-Control")

PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Any unique string (a UUID, say) of 1 to 255 printable ASCII "
        "characters. Retrying with the same key and the same request within "
        "24 hours answers the first response again (with "
        f"`{REPLAYED}: true`) and does nothing new. After a `503`, retry "
        "with the same key: the retry answers what the first attempt did if "
        "it was saved, and does it once if not. Keys are the caller's "
        "own: another principal or client never reaches them."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def idempotent(
    blp: Blueprint,
    *,
    max_body: int | None = None,
    token_scoped: bool = False,
    creates_by_id: bool = False,
) -> Callable[[F], F]:
    """Answer a retried request (same key, same request) with its first response.

    ``max_body`` raises the body limit before the body is read for the
    fingerprint (for uploads larger than the JSON limit). ``token_scoped``: the
    view checks a bearer token itself (an upload token); without one the key
    is not looked at, so the view's ``401`` comes first. ``creates_by_id``:
    the view gives what it creates the id :func:`created_id` and answers what
    an earlier attempt created with it (a retry after an unknown outcome).
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def once(*args: Any, **kwargs: Any) -> Any:
            key = request.headers.get(HEADER)
            if key is None or (token_scoped and _bearer() is None):
                return view(*args, **kwargs)
            _check(key)
            if max_body is not None:
                request.max_content_length = max_body
            return _once(key, functools.partial(view, *args, **kwargs), creates_by_id)

        documented = blp.doc(parameters=[PARAMETER])(once)
        return _refusals(blp)(documented)  # type: ignore[return-value]

    return decorate


def _once(key: str, view: Callable[[], Any], creates_by_id: bool) -> Response:
    keys = services().idempotency
    scope, fingerprint = _scope(), _fingerprint()
    claim = keys.begin(scope, key, fingerprint, creates_by_id=creates_by_id)
    if claim.replay is not None:
        return _replayed(claim.replay)
    if creates_by_id:
        g.created_resource_id = claim.resource_id
    try:
        response = make_response(view())
    except (SellerGuardError, HTTPException, ValidationError):
        keys.abandon(scope, key)  # refused: nothing changed
        raise
    except BaseException:
        _pause(scope, key)
        raise
    if 200 <= response.status_code < 300:
        keys.finish(scope, key, _kept(response))
    elif response.status_code >= 500:
        _pause(scope, key)
    else:
        keys.abandon(scope, key)
    return response


def created_id() -> UUID | None:
    """The id of what this request creates, when it came with a key: the same
    for each retry of it, so a retry can find what an earlier attempt created
    (its answer lost) instead of creating it again. None without a key."""
    found: UUID | None = g.get("created_resource_id")
    return found


def _pause(scope: str, key: str) -> None:
    """The attempt failed and may have changed something (a commit whose
    answer was lost): keep the key for this request's retry, which settles
    it. When even that cannot be stored, the first failure is the one to
    answer; the record then waits out the in-flight limit."""
    try:
        services().idempotency.pause(scope, key)
    except Exception as error:  # the original failure is the one answered
        logger.warning("idempotency key not paused: %s", type(error).__name__)


def _check(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in key):
        raise InvalidFieldError(
            HEADER, f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters."
        )


def _scope() -> str:
    """Whose keys these are: the principal, else the bearer token (an upload
    token), else the client's address."""
    principal = getattr(g, "principal", None)
    if principal is not None:
        return f"principal:{principal.kind.value}:{principal.id}"
    token = _bearer()
    if token is not None:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()
    return f"client:{client_ip()}"


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _fingerprint() -> str:
    """The request a key was first used with: method, path and body's content
    (JSON compared by value, a multipart form by its fields and files)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.mimetype == "multipart/form-data":
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(json.dumps(["field", name, value]).encode())
        for name, upload in sorted(request.files.items(multi=True)):
            content = hashlib.sha256(upload.stream.read()).hexdigest()
            upload.stream.seek(0)
            digest.update(
                json.dumps(
                    ["file", name, upload.filename, upload.mimetype, content]
                ).encode()
            )
        return digest.hexdigest()
    data = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(data), sort_keys=True).encode()
    except ValueError:
        canonical = data
    digest.update(canonical)
    return digest.hexdigest()


def _kept(response: Response) -> StoredResponse:
    headers = tuple(
        (name, response.headers[name])
        for name in KEPT_HEADERS
        if name in response.headers
    )
    return StoredResponse(response.status_code, headers, response.get_data())


def _replayed(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status)
    for name, value in stored.headers:
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def _refusals(blp: Blueprint) -> Callable[[F], F]:
    """Document the refusals a key adds to the operation's own (the first
    description of a status is the one the document shows: extend it)."""

    def decorate(view: F) -> F:
        for status, description in REFUSALS.items():
            view = blp.alt_response(
                status,
                schema=ProblemSchema,
                content_type=PROBLEM_JSON,
                description=description,
            )(view)
            documented = view._apidoc["response"]["responses"][status]  # type: ignore[attr-defined]
            for entry in documented:
                entry["description"] = description
        return view

    return decorate


REFUSALS = {
    409: "Conflict (also `idempotency_key_in_use`: a request with this "
    "Idempotency-Key is still being processed; retry after `Retry-After`)",
    422: "Unprocessable Content (also `idempotency_key_reused`: this "
    "Idempotency-Key was used with a different request)",
}
