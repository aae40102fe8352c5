"""Paged lists: ``{"items": [...], "next": cursor}`` with ``?limit=&cursor=``."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageArgsSchema(ma.Schema):
    """Which page of a list."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT, validate=ma.validate.Range(1, MAX_LIMIT)
    )
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))


def page_of(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of items of the given schema."""
    fields: dict[str, Any] = {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next": ma.fields.String(required=True, allow_none=True),
    }
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return ma.Schema.from_dict(fields, name=name)
