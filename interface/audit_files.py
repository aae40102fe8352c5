"""The audit export as a file: JSON lines, or CSV with flattened ``data.*`` columns.

The API's ``GET /audit/export``, the console's download and ``sellerguard
audit export`` write the same lines. A record that could not be read keeps
its place: a line naming its position and why, and the export carries on;
the writer remembers at which line of the output each such record stands.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from application.audit import ExportItem, ExportPage, UnreadableEvent
from application.event_catalogue import data_fields
from interface.schemas.audit import AuditEventSchema

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
META_COLUMNS = (
    "position",
    "aggregate_id",
    "aggregate_username",
    "aggregate_type",
    "version",
    "event_type",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_username",
    "request_id",
    "ip",
    "unreadable",
)
# Fields of events recorded by an older or newer release than this one.
OTHER_DATA = "data._other"
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
EVENT = AuditEventSchema()
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True)
class Unread:
    """A record the export could not read: its log position and output line."""

    position: int
    line: int
    reason: str


@dataclass
class ExportWriter:
    """Turns an export's pages into lines of text, counting where each lands."""

    fmt: str
    data_columns: tuple[str, ...] = ()
    bom: bool = False
    line: int = 0
    unread: list[Unread] = field(default_factory=list)

    @classmethod
    def for_filters(
        cls, fmt: str, filters: dict[str, Any], *, bom: bool = False
    ) -> ExportWriter:
        """A writer whose CSV columns are the fields of the events filtered for."""
        columns = data_fields(filters.get("event_type"), filters.get("aggregate_type"))
        return cls(fmt, columns, bom)

    def header(self) -> str:
        """What the file starts with (CSV: the column names)."""
        if self.fmt != "csv":
            return ""
        self.line += 1
        columns = (*META_COLUMNS, *(f"data.{c}" for c in self.data_columns))
        return (BOM if self.bom else "") + _csv_line([*columns, OTHER_DATA])

    def lines(self, page: ExportPage) -> Iterator[str]:
        """Each item of the page as one line of the file."""
        for item in page.items:
            self.line += 1
            if isinstance(item, UnreadableEvent):
                self.unread.append(Unread(item.position, self.line, item.reason))
            yield self._line(item)

    def _line(self, item: ExportItem) -> str:
        shown = _shown(item)
        if self.fmt != "csv":
            return _dumps(shown) + "\n"
        data = dict(shown.pop("data", {}))
        values = [
            shown.get("position"),
            shown.get("aggregate_id"),
            shown.get("aggregate_username"),
            shown.get("aggregate_type"),
            shown.get("version"),
            shown.get("event_type"),
            shown.get("occurred_at"),
            shown.get("actor", {}).get("kind"),
            shown.get("actor", {}).get("id"),
            shown.get("actor", {}).get("username"),
            shown.get("request_id"),
            shown.get("ip"),
            shown.get("unreadable"),
        ]
        values += [_cell(data.pop(c, None)) for c in self.data_columns]
        values.append(_dumps(data) if data else None)
        return _csv_line(values)


def _shown(item: ExportItem) -> dict[str, Any]:
    if isinstance(item, UnreadableEvent):
        return {
            "position": item.position,
            "aggregate_id": str(item.aggregate_id),
            "aggregate_type": item.aggregate_type,
            "version": item.version,
            "event_type": item.event_type,
            "occurred_at": EVENT.fields["occurred_at"].serialize(
                "occurred_at", {"occurred_at": item.occurred_at}
            ),
            "unreadable": item.reason,
        }
    shown: dict[str, Any] = EVENT.dump(item)
    return shown


def _cell(value: Any) -> Any:
    """A nested value as JSON in its cell; a plain one as it is."""
    if isinstance(value, dict | list):
        return _dumps(value)
    return value


def _defused(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, quoted (OWASP CSV injection).

    Names, descriptions and user agents come from strangers; JSON lines keep
    them exactly as recorded.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(map(_defused, values))
    return buffer.getvalue()
