"""Documenting problem responses in the served OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

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
