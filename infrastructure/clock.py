"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """The ``Clock`` port on the machine's time, in UTC."""

    def now(self) -> datetime:
        """The current moment."""
        return datetime.now(UTC)
