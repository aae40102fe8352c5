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
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, make_response, request
from flask_smorest import Blueprint

from application.idempotency import StoredResponse
from interface.composition import services
from interface.problems import PROBLEM_JSON, InvalidFieldError, ProblemSchema
from interface.request_context import client_ip

F = TypeVar("F", bound=Callable[..., Any])

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
        f"`{REPLAYED}: true`) and does nothing new. Keys are the caller's "
        "own: another principal or client never reaches them."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def idempotent(
    blp: Blueprint, *, max_body: int | None = None, token_scoped: bool = False
) -> Callable[[F], F]:
    """Answer a retried request (same key, same request) with its first response.

    ``max_body`` raises the body limit before the body is read for the
    fingerprint (for uploads larger than the JSON limit). ``token_scoped``: the
    view checks a bearer token itself (an upload token); without one the key
    is not looked at, so the view's ``401`` comes first.
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
            return _once(key, functools.partial(view, *args, **kwargs))

        documented = blp.doc(parameters=[PARAMETER])(once)
        return _refusals(blp)(documented)  # type: ignore[return-value]

    return decorate


def _once(key: str, view: Callable[[], Any]) -> Response:
    keys = services().idempotency
    scope, fingerprint = _scope(), _fingerprint()
    claim = keys.begin(scope, key, fingerprint)
    if claim.replay is not None:
        return _replayed(claim.replay)
    try:
        response = make_response(view())
    except BaseException:
        keys.abandon(scope, key)
        raise
    if 200 <= response.status_code < 300:
        keys.finish(scope, key, _kept(response))
    else:
        keys.abandon(scope, key)
    return response


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
