"""JSON logs on standard error; request bodies and headers are never logged.

One format for everything a serving process writes: the application's
records, its per-request access line, and gunicorn's own error log (and its
access log, if an operator turns it on), each one JSON object per line with
``time`` (RFC 3339, UTC), ``level``, ``logger``, ``message`` and, inside a
request, its ``request_id``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import g, has_request_context
from gunicorn import glogging
from pythonjsonlogger.json import JsonFormatter


def json_formatter() -> JsonFormatter:
    """The one log format."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


class RequestIdFilter(logging.Filter):
    """Stamps a record made while serving a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_request_context():
            request_id = g.get("request_id")
            if request_id:
                record.request_id = request_id
        return True


def configure(level: str) -> None:
    """Send every log record to standard error as one JSON object per line."""
    root = logging.getLogger()
    if any(getattr(h, "sellerguard", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    handler.addFilter(RequestIdFilter())
    handler.sellerguard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


class GunicornLogger(glogging.Logger):
    """gunicorn's error and access logs, in the application's JSON format."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(json_formatter())
