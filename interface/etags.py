"""Versions as HTTP validators: ``ETag`` out, ``If-Match`` in."""

from __future__ import annotations

from typing import Protocol, TypeVar

from flask import request

from interface.problems import BadRequestError


class Versioned(Protocol):
    """Anything that carries the version of what it shows."""

    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)


def with_etag(view: V, status: int = 200) -> tuple[V, int, dict[str, str]]:
    """The view as a response, its version as a strong ``ETag``."""
    return view, status, {"ETag": f'"{view.version}"'}


def if_match() -> int | None:
    """The version an ``If-Match: "<version>"`` header names, if any."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 12:
        raise BadRequestError("If-Match must be an ETag this API gave out")
    return int(value)
