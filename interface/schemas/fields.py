"""Field types shared by the schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from application.timestamps import rfc3339


class Pattern(ma.validate.Regexp):
    """A value the whole of which matches ``regex``, written as the contract shows it.

    Patterns are written ``^...$`` so that the OpenAPI document's ``pattern``
    means the same to every client (ECMA-262 has no ``\\Z``), and matched
    with ``fullmatch``: Python's ``$`` alone lets a trailing newline through.
    """

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ma.ValidationError(self._format_error(value))
        return value


class Timestamp(ma.fields.DateTime):
    """An RFC 3339 UTC timestamp with microseconds: ``2026-11-22T15:04:05.123456Z``."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        if value is None:
            return None
        return rfc3339(value)


class Code(ma.fields.String):
    """A one-time code as people type it: ``528181``, ``528 181`` or ``528-181``.

    Spaces and hyphens are dropped (authenticator apps show codes in groups);
    recovery codes (``abcde-fghij``) compare without them anyway.
    """

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        text: str = super()._deserialize(value, attr, data, **kwargs)
        return "".join(text.split()).replace("-", "")
