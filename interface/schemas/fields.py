"""Field types shared by the schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma


class Timestamp(ma.fields.DateTime):
    """An RFC 3339 UTC timestamp with microseconds: ``2026-11-22T15:04:05.123456Z``."""

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        if value is None:
            return None
        stamp: datetime = value.astimezone(UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
