"""Platform admins list staff accounts and service keys (created at the
command line, never here)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from application.platform_directory import Listed
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.pages import cursor_position
from interface.schemas.lists import PageArgsSchema, page_of
from interface.schemas.platform_people import (
    ServiceKeyEntrySchema,
    StaffMemberSchema,
)

LIST_STAFF = "platform:staff"
LIST_SERVICE_KEYS = "platform:service_keys"

blp = Blueprint(
    "platform_people",
    __name__,
    url_prefix="/api/v1",
    description="Staff accounts and service keys, for platform admins",
)


@blp.get("/platform/staff")
@requires(blp, LIST_STAFF)
@blp.arguments(PageArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, page_of(StaffMemberSchema))
@problems(blp, 422)
def list_staff(args: dict[str, Any]) -> dict[str, Any]:
    """Staff accounts, newest first: role, whether a second step is on, when
    last active; never a secret. Each listing is recorded on the reader's
    trail."""
    reader = acting(current_principal())
    before = cursor_position(args["cursor"])
    return _page(services().platform_roster.staff(reader, args["limit"], before))


@blp.get("/platform/service-keys")
@requires(blp, LIST_SERVICE_KEYS)
@blp.arguments(PageArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, page_of(ServiceKeyEntrySchema))
@problems(blp, 422)
def list_service_keys(args: dict[str, Any]) -> dict[str, Any]:
    """Service keys, newest first, revoked ones included: name, scopes, when
    created; never the key nor its hash. Each listing is recorded on the
    reader's trail."""
    reader = acting(current_principal())
    before = cursor_position(args["cursor"])
    return _page(services().platform_roster.service_keys(reader, args["limit"], before))


def _page(listed: Listed[Any]) -> dict[str, Any]:
    return {
        "items": listed.items,
        "next": None if listed.next is None else str(listed.next),
    }
