"""Moments as the REST contract and the views write them (RFC 3339, UTC, µs)."""

from __future__ import annotations

from datetime import UTC, datetime

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def rfc3339(moment: datetime) -> str:
    """A moment as the REST contract writes it: ``2026-11-22T15:04:05.123456Z``."""
    return moment.astimezone(UTC).strftime(FORMAT)


def parse_rfc3339(text: str) -> datetime:
    """The moment an RFC 3339 text names (``Z`` or an offset), timezone-aware."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
