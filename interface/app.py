"""The Flask application factory."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from flask_swagger_ui import get_swaggerui_blueprint

from infrastructure.settings import Settings
from interface import (
    console,
    fast_check,
    logs,
    openapi,
    problem_types,
    problems,
    query_params,
    rate_limits,
    request_body,
    request_context,
    security_headers,
)
from interface.blueprints import (
    accounts,
    audit,
    audit_integrity,
    block_lists,
    health,
    me,
    metrics,
    passkeys,
    payouts,
    platform_people,
    recovery,
    security_center,
    sellers,
    sessions,
    staff_controls,
    store_health,
    sub_accounts,
)
from interface.blueprints.documenting import ProblemResponses
from interface.composition import EXTENSION, Services, build_services

MAX_JSON_BODY = 1024 * 1024


class SellerGuardApi(Api):
    """flask-smorest's Api, documenting and answering errors as problem details."""

    ERROR_SCHEMA = problems.ProblemSchema

    def handle_http_exception(self, error: Any) -> Any:
        return problems.from_http_exception(error)

    def _register_responses(self) -> None:
        """The error responses flask-smorest documents, as problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, problems.PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, problems.PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)

    def _register_pagination_header(self) -> None:
        """None: lists page with ``next`` cursors, not flask-smorest's header."""


def create_app(
    settings: Settings | None = None, services: Services | None = None
) -> Flask:
    """Build the WSGI application around one long-lived set of services."""
    settings = settings or (services.settings if services else Settings.from_env())
    logs.configure(settings.log_level)
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_JSON_BODY,
        API_TITLE="SellerGuard",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.extensions[EXTENSION] = services or build_services(settings)
    fast_check.install(app)  # the checkout check, in front of Flask
    # First in, last out: every request is timed, refusals by any hook included.
    operation_docs = openapi.OperationDocs()
    metrics.install(app, operation_docs)
    request_context.install(app, settings.proxy_hops, settings.trusted_proxies)
    request_body.install(app)
    security_headers.install(app)
    api = SellerGuardApi(
        app,
        spec_kwargs={
            "info": {"description": DESCRIPTION},
            "extra_plugins": [operation_docs, ProblemResponses()],
        },
    )
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer"}
    )
    api.spec.components.security_scheme(
        "uploadToken",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "The recovery case's upload token",
        },
    )
    areas = (
        health,
        metrics,
        sellers,
        accounts,
        sessions,
        me,
        passkeys,
        payouts,
        sub_accounts,
        staff_controls,
        block_lists,
        platform_people,
        recovery,
        security_center,
        store_health,
        audit_integrity,
        audit,
    )
    for area in areas:
        api.register_blueprint(area.blp)
    rate_limits.install(app, settings)
    query_params.install(app, api)
    app.register_blueprint(
        get_swaggerui_blueprint(
            "/docs", "/api/v1/openapi.json", config={"app_name": "SellerGuard API"}
        )
    )
    app.register_blueprint(problem_types.blp)
    app.register_blueprint(console.blp)
    problems.register(app)
    return app


DESCRIPTION = (
    "Account security and audit for a marketplace's sellers. Every error is "
    "RFC 9457 problem details with a stable `code`; its `type` is a page "
    "explaining that code (`/problems/<code>`)."
)
