"""The guard in front of every API view: what a hostile client may send.

Bodies are checked before any parser recurses into them (nesting depth, a
JSON media type, text that is valid Unicode), query strings before they
reach a view. Every refusal is problem details: 400, 414, 415 or 422.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, request

from interface.problems import problem

API_PREFIX = "/api/v1/"
# Our schemas nest two levels; 32 leaves room without letting a parser recurse.
MAX_DEPTH = 32
# Below gunicorn's request-line limit (set to 8190 by `serve`), so that a long
# query string is refused here, with problem details, rather than by gunicorn.
MAX_QUERY_STRING = 4096
# Lone surrogates cannot be encoded (hashing, the database would fail), and
# control characters other than tab and line breaks have no place in any field.
ODD_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
BRACKETS = re.compile(rb"[\[\]{}]")
MULTIPART_ENDPOINTS = frozenset({"recovery.upload_document"})


def install(app: Flask) -> None:
    """Check every API request before its view runs."""
    app.before_request(check_request)


def check_request() -> Response | None:
    """A problem-details refusal of a malformed request, or None to go on."""
    if len(request.query_string) > MAX_QUERY_STRING:
        return problem(
            414,
            "uri_too_long",
            f"The query string is longer than {MAX_QUERY_STRING} bytes.",
        )
    refused = _odd_parameter()
    if refused is not None:
        return refused
    if not request.path.startswith(API_PREFIX) or not _has_body():
        return None
    if request.routing_exception is not None:
        return None  # 404 or 405 first: there is no view to take the body
    if request.endpoint in MULTIPART_ENDPOINTS:
        return None
    if not _is_json(request.mimetype):
        return problem(
            415,
            "unsupported_media_type",
            "The body must be JSON, sent with Content-Type: application/json.",
        )
    return _check_json(request.get_data(cache=True))


def _has_body() -> bool:
    return (
        bool(request.content_length)
        or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    )


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def _odd_parameter() -> Response | None:
    """Refuse control characters or broken text in the query or the path."""
    for name, value in request.args.items(multi=True):
        if ODD_TEXT.search(name):
            return _invalid_text("_schema")
        if ODD_TEXT.search(value):
            return _invalid_text(name)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and ODD_TEXT.search(value):
            return _invalid_text(name)
    return None


def _check_json(data: bytes) -> Response | None:
    if _depth(data) > MAX_DEPTH:
        return problem(
            400,
            "bad_request",
            f"The request body nests deeper than {MAX_DEPTH} levels.",
        )
    try:
        document = json.loads(data)
    except ValueError:  # also a body that is not UTF-8
        return problem(400, "bad_request", "The request body is not valid JSON.")
    for field, text in _strings(document):
        if ODD_TEXT.search(text):
            return _invalid_text(field)
    return None


def _depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects, strings left out; no recursion."""
    depth = deepest = 0
    for bracket in BRACKETS.findall(JSON_STRING.sub(b'""', data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _strings(document: Any) -> Iterator[tuple[str, str]]:
    """Every string (keys included) with the top-level field it belongs to."""
    stack: list[tuple[str, Any]] = (
        [(str(k), k) for k in document] + [(str(k), v) for k, v in document.items()]
        if isinstance(document, dict)
        else [("_schema", document)]
    )
    while stack:
        field, value = stack.pop()
        if ODD_TEXT.search(field):
            field = "_schema"
        if isinstance(value, str):
            yield field, value
        elif isinstance(value, dict):
            stack.extend((field, k) for k in value)
            stack.extend((field, v) for v in value.values())
        elif isinstance(value, list):
            stack.extend((field, v) for v in value)


def _invalid_text(field: str) -> Response:
    return problem(
        422,
        "validation_error",
        "The request has invalid fields.",
        errors={
            field: [
                "Not valid text: control characters and unpaired surrogates "
                "are not allowed."
            ]
        },
    )
