"""Schemas of accounts: registration and the owner's view."""

from __future__ import annotations

from functools import partial
from typing import Any

import marshmallow as ma

from domain.username import USERNAME_PATTERN, Username, UsernameError
from interface.schemas.fields import Timestamp

MAX_PASSWORD_FIELD = 4096  # the policy reports too_long well below this


def _valid_username(value: str) -> None:
    try:
        Username(value)
    except UsernameError as error:
        raise ma.ValidationError(f"{str(error).capitalize()}.") from None


# Field factories shared by every schema that creates an account.
USERNAME = partial(
    ma.fields.String,
    required=True,
    validate=_valid_username,
    metadata={"example": "shop.owner", "pattern": f"^{USERNAME_PATTERN.pattern}$"},
)
EMAIL = partial(
    ma.fields.Email,
    required=True,
    validate=ma.validate.Length(max=254),
    metadata={"example": "owner@example.com"},
)
PASSWORD = partial(
    ma.fields.String,
    required=True,
    load_only=True,
    validate=ma.validate.Length(min=1, max=MAX_PASSWORD_FIELD),
)


class RegisterSellerSchema(ma.Schema):
    """A seller's registration."""

    username = USERNAME()
    email = EMAIL()
    password = PASSWORD()
    birth_date = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Used only to refuse passwords that contain it"},
    )


class AccountSchema(ma.Schema):
    """An account as its owner sees it."""

    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    two_step_enabled = ma.fields.Boolean(required=True)
    role = ma.fields.String(required=True, allow_none=True)
    seller_id = ma.fields.UUID(required=True, allow_none=True)
    created_at = Timestamp(required=True)
    version = ma.fields.Integer(required=True)
    recovery_codes_left = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Unused recovery codes (null while two-step is off)"},
    )


class AccountLookupArgsSchema(ma.Schema):
    """Exactly one of a login name or an e-mail address, matched exactly."""

    username = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 256),
        metadata={"description": "The login name, in any letter case."},
    )
    email = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 254),
        metadata={"description": "The registered address, in any letter case."},
    )
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))

    @ma.validates_schema
    def one_of_them(self, data: dict[str, Any], **_: Any) -> None:
        if (data["username"] is None) == (data["email"] is None):
            message = "Give username or email (one of them)."
            raise ma.ValidationError({"username": [message], "email": [message]})


class FoundAccountSchema(ma.Schema):
    """An account as staff find it."""

    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    username = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    seller_id = ma.fields.UUID(required=True, allow_none=True)
    created_at = Timestamp(required=True)
