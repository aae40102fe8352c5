"""Platform admins' pages: buyer links, block overrides, blocking access, and
the staff and service keys listed (created at the command line only).

Each form calls the use case its API operation calls, under the same
permission, with the admin as the actor, so the same events are recorded and
the shop is alerted the same way. What cannot be undone from here (a link,
a lifted block) or takes a right away (blocking access revoked) is shown
once more and done only when confirmed.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import marshmallow as ma
from flask import Response, g, request, url_for

from domain.buyer_identity import others_to_link
from interface.auth import acting
from interface.blueprints.platform_people import LIST_SERVICE_KEYS, LIST_STAFF
from interface.composition import services
from interface.console.base import blp, page, staff_page
from interface.pages import cursor_position
from interface.schemas.block_lists import (
    BUYER,
    BlockingAccessSchema,
    LinksSchema,
    ReasonSchema,
)

LINKS = "platform:links"
OVERRIDE = "blocklist:override"
BLOCKING_ACCESS = "platform:blocking_access"
LIST_SIZE = 100
# Names typed into one box: one a line, or separated by commas or spaces.
SEPARATORS = re.compile(r"[\s,;]+")


class LinkForm(LinksSchema):
    """The buyer (as the API's path names them) and who they also are."""

    buyer = ma.fields.String(required=True, validate=BUYER)


class OverrideForm(ReasonSchema):
    """Which shop (its account id, as the API's path names it), which buyer."""

    seller_id = ma.fields.UUID(required=True)
    buyer = ma.fields.String(required=True, validate=BUYER)


class AccessForm(BlockingAccessSchema):
    """Which shop, granted or not, and why."""

    seller_id = ma.fields.UUID(required=True)


@blp.get("/buyers")
@staff_page(LINKS)
def buyers() -> Response:
    """The form that links buyer usernames that are one person."""
    return page("buyers.html")


@blp.post("/buyers/links")
@staff_page(LINKS)
def link_buyers() -> Response:
    """Link buyers (``POST /platform/buyers/{buyer}/links``) once confirmed:
    a shop's ``linked_ids`` block then reaches every one of them."""
    linked = [n for n in SEPARATORS.split(request.form.get("linked", "")) if n]
    body = LinkForm().load({**_form("buyer"), "linked": linked})
    buyer = body["buyer"]
    others = others_to_link(buyer, body["linked"])  # refused before confirming
    if not _confirmed():
        return _confirm(
            "link",
            "console.link_buyers",
            {"buyer": buyer, "linked": "\n".join(others)},
            buyer=buyer,
            linked=others,
        )
    services().block_lists.link(buyer, others, acting(g.principal))
    names = ", ".join(others)
    return page("done.html", message=f"{buyer} is now linked with {names}.")


@blp.get("/blocks")
@staff_page(OVERRIDE)
def blocks() -> Response:
    """Lifting a shop's block; for admins, a shop's right to block as well."""
    return page("blocks.html", may_set_access=g.principal.may(BLOCKING_ACCESS))


@blp.post("/blocks/override")
@staff_page(OVERRIDE)
def override_block() -> Response:
    """Lift a shop's block (``POST /platform/sellers/{id}/blocklist/{buyer}/
    override``) once confirmed; the shop is alerted."""
    body = OverrideForm().load(_form("seller_id", "buyer", "reason"))
    seller_id, buyer, reason = body["seller_id"], body["buyer"], body["reason"]
    if not _confirmed():
        shops = services().block_lists
        return _confirm(
            "override",
            "console.override_block",
            {"seller_id": str(seller_id), "buyer": buyer, "reason": reason},
            shop=shops.shop_name(seller_id),
            block=shops.block_in_force(seller_id, buyer),
            buyer=buyer,
            reason=reason,
        )
    services().block_lists.override(seller_id, buyer, reason, acting(g.principal))
    return page(
        "done.html",
        message=f"The block of {buyer} is lifted; the shop has been alerted.",
    )


@blp.post("/blocks/access")
@staff_page(BLOCKING_ACCESS)
def blocking_access() -> Response:
    """Grant or revoke a shop's right to block buyers (``POST /platform/
    sellers/{id}/blocking-access``); a revocation once confirmed."""
    body = AccessForm().load(_form("seller_id", "granted", "reason"))
    seller_id: UUID = body["seller_id"]
    if not body["granted"] and not _confirmed():
        return _confirm(
            "revoke",
            "console.blocking_access",
            {"seller_id": str(seller_id), "granted": "false", "reason": body["reason"]},
            shop=services().block_lists.shop_name(seller_id),
            reason=body["reason"],
        )
    services().block_lists.set_blocking_access(
        seller_id, body["granted"], body["reason"], acting(g.principal)
    )
    message = (
        "The shop may block buyers again."
        if body["granted"]
        else "The shop can no longer block buyers; its blocks in force stay."
    )
    return page("done.html", message=message)


@blp.get("/staff")
@staff_page(LIST_STAFF)
def staff() -> Response:
    """Every staff account (recorded as a read): never a secret."""
    listed = services().platform_roster.staff(acting(g.principal), LIST_SIZE, _before())
    return page("staff.html", listed=listed)


@blp.get("/service-keys")
@staff_page(LIST_SERVICE_KEYS)
def service_keys() -> Response:
    """Every service key, revoked ones too (recorded as a read): never the key."""
    listed = services().platform_roster.service_keys(
        acting(g.principal), LIST_SIZE, _before()
    )
    return page("service_keys.html", listed=listed)


def _confirm(
    action: str, endpoint: str, fields: dict[str, str], **shown: Any
) -> Response:
    """The page that says what will happen, with the same fields to post again."""
    return page(
        "platform_confirm.html",
        action=action,
        target=url_for(endpoint),
        fields=fields,
        **shown,
    )


def _confirmed() -> bool:
    return request.form.get("confirmed") == "yes"


def _before() -> int | None:
    return cursor_position(request.args.get("cursor") or None)


def _form(*names: str) -> dict[str, Any]:
    """The named form fields that were filled in, trimmed (empty ones left out)."""
    found = {n: request.form.get(n, "").strip() for n in names}
    return {n: value for n, value in found.items() if value}
