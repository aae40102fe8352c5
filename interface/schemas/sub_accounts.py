"""Schemas of sub-accounts, roles and permission checks."""

from __future__ import annotations

import marshmallow as ma

from domain.roles import OWN_ACCOUNT, Role, seller_side_permissions
from interface.schemas.accounts import EMAIL, PASSWORD, USERNAME
from interface.schemas.fields import Timestamp

ROLE = ma.fields.Enum(Role, by_value=True, required=True)
KNOWN_PERMISSIONS = sorted({*seller_side_permissions(), OWN_ACCOUNT})


class CreateSubAccountSchema(ma.Schema):
    """An employee's new account."""

    username = USERNAME()
    email = EMAIL()
    role = ROLE
    password = PASSWORD(
        required=False,
        load_default=None,
        metadata={
            "description": "Leave out to invite the employee: a one-time link "
            "(72 hours) to choose their own password is mailed to `email`"
        },
    )


class SubAccountSchema(ma.Schema):
    """An employee's account as the seller sees it."""

    id = ma.fields.UUID(required=True)
    username = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    seller_id = ma.fields.UUID(required=True)
    created_at = Timestamp(required=True)
    version = ma.fields.Integer(required=True)
    last_active_at = Timestamp(
        required=True,
        allow_none=True,
        metadata={
            "description": "Latest sign-in or use of a session (noted every "
            "5 minutes of use); null if it never signed in"
        },
    )


class ChangeRoleSchema(ma.Schema):
    """The sub-account's new role."""

    role = ROLE


class DeactivateSchema(ma.Schema):
    """Why the sub-account is deactivated."""

    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))


class RoleSchema(ma.Schema):
    """A marketplace role and what it may do."""

    name = ma.fields.String(required=True)
    permissions = ma.fields.List(ma.fields.String(), required=True)


class RolesSchema(ma.Schema):
    """Every role of the marketplace."""

    roles = ma.fields.List(ma.fields.Nested(RoleSchema), required=True)


class AuthzCheckArgsSchema(ma.Schema):
    """Who, and which permission."""

    principal_id = ma.fields.UUID(required=True)
    permission = ma.fields.String(
        required=True, validate=ma.validate.OneOf(KNOWN_PERMISSIONS)
    )


class AuthzResultSchema(ma.Schema):
    """The answer."""

    allowed = ma.fields.Boolean(required=True)


class PoliciesSchema(ma.Schema):
    """The shop's rules for its employees."""

    sub_accounts_require_two_step = ma.fields.Boolean(required=True)


class AcceptInvitationSchema(ma.Schema):
    """The invitation's token (from the mailed link) and the chosen password."""

    token = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(1, 512)
    )
    password = PASSWORD()
