"""Reading read models for a request: current as of the request, paged."""

from __future__ import annotations

from typing import Any

from flask import current_app

from domain.errors import SellerGuardError


class BadCursorError(SellerGuardError):
    """The cursor is not one this list gave out."""

    code = "validation_error"
    field = "cursor"


def page_of_view(view: str, key: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a keyed view, newest first, after catching up with the log."""
    services = current_app.extensions["sellerguard"]
    services.read_models.ensure_current()
    before = _position(cursor)
    items = services.views.items(view, key, limit=limit + 1, before=before)
    page = items[:limit]
    return {
        "items": [{"id": item.item_id, **item.data} for item in page],
        "next": str(page[-1].position) if len(items) > limit else None,
    }


def _position(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise BadCursorError(cursor)
    return int(cursor)
