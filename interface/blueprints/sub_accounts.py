"""A seller's employees: sub-accounts, the roles, and permission checks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from application.accounts import AccountView
from domain.roles import Module, Role, permission, role_permissions
from interface.auth import (
    acting,
    current_principal,
    recent_sign_in,
    require_recent_sign_in,
    requires,
)
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.etags import if_match, with_etag
from interface.idempotency import created_id, idempotent
from interface.pages import page_of_list
from interface.schemas.lists import PageArgsSchema, page_of
from interface.schemas.sub_accounts import (
    AuthzCheckArgsSchema,
    AuthzResultSchema,
    ChangeRoleSchema,
    CreateSubAccountSchema,
    DeactivateSchema,
    RolesSchema,
    SubAccountSchema,
)

blp = Blueprint(
    "sub_accounts",
    __name__,
    url_prefix="/api/v1",
    description="Sub-accounts, roles and permission checks",
)

MANAGE_SUB_ACCOUNTS = permission(Module.SUB_ACCOUNT_MANAGEMENT, "manage")
ANY_PERSON = "own_account"


@blp.post("/sub-accounts")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@recent_sign_in(blp)
@idempotent(blp, creates_by_id=True)
@blp.arguments(CreateSubAccountSchema)
@blp.response(201, SubAccountSchema)
@problems(blp, 400, 409, 422)
def create_sub_account(body: dict[str, Any]) -> tuple[AccountView, int, dict[str, str]]:
    """Create an employee's account with a role."""
    seller = current_principal()
    view = services().sub_accounts.create(
        seller,
        body["username"],
        body["email"],
        body["role"],
        body["password"],
        acting(seller),
        account_id=created_id(),
    )
    return with_etag(view, 201)


@blp.get("/sub-accounts")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(SubAccountSchema))
@problems(blp, 422)
def list_sub_accounts(args: dict[str, Any]) -> dict[str, Any]:
    """The shop's sub-accounts, oldest first."""
    views = services().sub_accounts.list(current_principal())
    return page_of_list(views, args["limit"], args["cursor"])


@blp.get("/sub-accounts/<uuid:sub_account_id>")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.response(200, SubAccountSchema)
@problems(blp, 404)
def view_sub_account(sub_account_id: UUID) -> tuple[AccountView, int, dict[str, str]]:
    """One of the shop's sub-accounts."""
    return with_etag(services().sub_accounts.view(current_principal(), sub_account_id))


@blp.patch("/sub-accounts/<uuid:sub_account_id>")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.arguments(ChangeRoleSchema)
@blp.response(200, SubAccountSchema)
@problems(blp, 400, 404, 412, 422)
def change_role(
    body: dict[str, Any], sub_account_id: UUID
) -> tuple[AccountView, int, dict[str, str]]:
    """Give a sub-account another role (send If-Match to guard against races).

    Granting ``main_administrator`` needs a recent sign-in.
    """
    seller = current_principal()
    if body["role"] == Role.MAIN_ADMINISTRATOR:
        require_recent_sign_in()
    return with_etag(
        services().sub_accounts.change_role(
            seller, sub_account_id, body["role"], acting(seller), if_match()
        )
    )


@blp.post("/sub-accounts/<uuid:sub_account_id>/deactivate")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.arguments(DeactivateSchema)
@blp.response(200, SubAccountSchema)
@problems(blp, 400, 404, 409, 412, 422)
def deactivate(
    body: dict[str, Any], sub_account_id: UUID
) -> tuple[AccountView, int, dict[str, str]]:
    """Stop a sub-account signing in; its sessions end at once."""
    seller = current_principal()
    return with_etag(
        services().sub_accounts.deactivate(
            seller, sub_account_id, body["reason"], acting(seller), if_match()
        )
    )


@blp.post("/sub-accounts/<uuid:sub_account_id>/reactivate")
@requires(blp, MANAGE_SUB_ACCOUNTS)
@blp.response(200, SubAccountSchema)
@problems(blp, 404, 409, 412)
def reactivate(sub_account_id: UUID) -> tuple[AccountView, int, dict[str, str]]:
    """Let a sub-account sign in again."""
    seller = current_principal()
    return with_etag(
        services().sub_accounts.reactivate(
            seller, sub_account_id, acting(seller), if_match()
        )
    )


@blp.get("/roles")
@requires(blp, ANY_PERSON)
@blp.response(200, RolesSchema)
def roles() -> dict[str, Any]:
    """The marketplace's roles and what each may do."""
    return {
        "roles": [
            {"name": role.value, "permissions": sorted(role_permissions(role))}
            for role in Role
        ]
    }


@blp.get("/authz/check")
@requires(blp, "authz:check")
@blp.arguments(AuthzCheckArgsSchema, location="query")
@blp.response(200, AuthzResultSchema)
@problems(blp, 422)
def authz_check(args: dict[str, Any]) -> dict[str, bool]:
    """May this person do that, right now? For other platform services."""
    checks = services().access
    return {"allowed": checks.allowed(args["principal_id"], args["permission"])}
