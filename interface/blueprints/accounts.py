"""Staff find an account by its login name or e-mail address."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.pages import page_of_list
from interface.schemas.accounts import AccountLookupArgsSchema, FoundAccountSchema
from interface.schemas.lists import page_of

ACCOUNTS_LOOKUP = "accounts:lookup"
STAFF_LOOKUP = "audit:read"  # auditors find staff too; agents only shops

blp = Blueprint(
    "accounts",
    __name__,
    url_prefix="/api/v1",
    description="Finding accounts, for support agents and auditors",
)


@blp.get("/accounts")
@requires(blp, ACCOUNTS_LOOKUP)
@blp.arguments(AccountLookupArgsSchema, location="query", unknown=ma.RAISE)
@blp.response(200, page_of(FoundAccountSchema))
@problems(blp, 422)
def find_accounts(args: dict[str, Any]) -> dict[str, Any]:
    """The accounts with exactly this login name or e-mail address (any letter
    case); each lookup is recorded on the looker's trail. Support agents find
    shops and their sub-accounts; auditors staff accounts as well."""
    principal = current_principal()
    lookup = services().account_lookup
    staff_too = principal.may(STAFF_LOOKUP)
    reader = acting(principal)
    found = (
        lookup.by_username(reader, args["username"], staff_too=staff_too)
        if args["username"] is not None
        else lookup.by_email(reader, args["email"], staff_too=staff_too)
    )
    return page_of_list(found, args["limit"], args["cursor"])
