"""Unknown query parameters are refused (422), on every documented operation.

A misspelt filter that is silently ignored shows the wrong data as if it
were the answer, so a name the operation does not take is the caller's
mistake to hear about. The served OpenAPI document is the one list of what
each operation takes: what it declares is accepted, nothing else (routes
the document leaves out, such as the docs pages, are not checked).

Views behind :func:`interface.auth.requires` check after authorisation (a
stranger gets 401 first); every other API view is checked before it runs.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_smorest import Api
from flask_smorest.spec.plugins import FlaskPlugin

from domain.errors import SellerGuardError

EXTENSION = "sellerguard.query_params"
UNKNOWN = "Unknown query parameter: this operation does not take it."


class UnknownQueryParameterError(SellerGuardError):
    """The operation does not take a query parameter of that name."""

    code = "validation_error"

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.errors = {name: [UNKNOWN] for name in names}


class DeclaredParameters:
    """The query parameters each documented operation takes, read once."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._by_operation: dict[tuple[str, str], frozenset[str]] | None = None

    def of(self, rule: str, method: str) -> frozenset[str] | None:
        """What the operation takes; None for a route the document leaves out."""
        if self._by_operation is None:
            self._by_operation = _read(self.api.spec.to_dict())
        path = FlaskPlugin.flaskpath2openapi(rule)
        verb = "get" if method == "HEAD" else method.lower()
        return self._by_operation.get((path, verb))


def install(app: Flask, api: Api) -> None:
    """Refuse unknown query parameters on every API operation."""
    app.extensions[EXTENSION] = DeclaredParameters(api)
    app.before_request(_check_unguarded)


def refuse_unknown() -> None:
    """Raise UnknownQueryParameterError if the request names what its view lacks."""
    rule = request.url_rule
    if rule is None or not request.args or request.method == "OPTIONS":
        return
    declared: DeclaredParameters = current_app.extensions[EXTENSION]
    allowed = declared.of(rule.rule, request.method)
    if allowed is None:
        return
    view = current_app.view_functions.get(str(request.endpoint))
    unknown = sorted(set(request.args) - allowed - _query_schema_names(view))
    if unknown:
        raise UnknownQueryParameterError(unknown)


def _check_unguarded() -> None:
    if request.endpoint is None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "checks_query", False):
        return  # checked once the caller is known
    refuse_unknown()


def _query_schema_names(view: Any) -> frozenset[str]:
    """What the view's own query schema reads (a hand-written ``doc`` may
    have replaced the parameters the document lists)."""
    apidoc = getattr(view, "_apidoc", {})
    names: set[str] = set()
    for argument in apidoc.get("arguments", {}).get("parameters", []):
        if argument.get("in", argument.get("location")) != "query":
            continue
        schema = argument["schema"]
        instance = schema() if isinstance(schema, type) else schema
        names.update(
            field.data_key or name
            for name, field in instance.fields.items()
            if not field.dump_only
        )
    return frozenset(names)


def _read(spec: dict[str, Any]) -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], frozenset[str]] = {}
    for path, item in spec.get("paths", {}).items():
        shared = _query_names(item.get("parameters", []))
        for verb, operation in item.items():
            if isinstance(operation, dict) and verb != "parameters":
                names = _query_names(operation.get("parameters", []))
                found[(path, verb)] = shared | names
    return found


def _query_names(parameters: list[Any]) -> frozenset[str]:
    return frozenset(
        str(p["name"])
        for p in parameters
        if isinstance(p, dict) and p.get("in") == "query" and "name" in p
    )
