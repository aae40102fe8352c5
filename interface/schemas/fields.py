"""Field types shared by the schemas."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from application.timestamps import rfc3339


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
