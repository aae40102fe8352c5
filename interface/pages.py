"""Paged lists, one way for every list: ``{"items": [...], "next": cursor}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from domain.errors import SellerGuardError
from interface.composition import services

T = TypeVar("T")
POSITION_DIGITS = 18
OFFSET_DIGITS = 9


class BadCursorError(SellerGuardError):
    """The cursor is not one this list gave out."""

    code = "validation_error"
    field = "cursor"


def cursor_position(cursor: str | None, digits: int = POSITION_DIGITS) -> int | None:
    """The number a cursor this API gave out stands for (None: the first page)."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > digits:
        raise BadCursorError(cursor)
    return int(cursor)


def page(
    read: Sequence[T], limit: int, cursor_after: Callable[[T], int]
) -> dict[str, Any]:
    """The first ``limit`` of ``limit + 1`` items read; ``next`` if there are more."""
    items = list(read[:limit])
    more = len(read) > limit and bool(items)
    return {"items": items, "next": str(cursor_after(items[-1])) if more else None}


def page_of_list(whole: Sequence[T], limit: int, cursor: str | None) -> dict[str, Any]:
    """A page of a short list held whole, the cursor an offset into it."""
    start = cursor_position(cursor, OFFSET_DIGITS) or 0
    return page(whole[start : start + limit + 1], limit, lambda _: start + limit)


def page_of_view(view: str, key: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a keyed view, newest first, after catching up with the log."""
    found = services()
    found.read_models.ensure_current()
    rows = found.views.items(view, key, limit=limit + 1, before=cursor_position(cursor))
    result = page(rows, limit, lambda row: row.position)
    result["items"] = [{"id": row.item_id, **row.data} for row in result["items"]]
    return result
