"""JSON logs on standard error; request bodies and headers are never logged."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


def configure(level: str) -> None:
    """Send every log record to standard error as one JSON object per line."""
    root = logging.getLogger()
    if any(getattr(h, "sellerguard", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.sellerguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
