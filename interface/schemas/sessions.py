"""Schemas of signing in, sessions and the second step."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from interface.schemas.fields import Code, Timestamp

SECRET_FIELD = ma.validate.Length(min=1, max=4096)


class LoginSchema(ma.Schema):
    """A sign-in attempt."""

    username = ma.fields.String(required=True, validate=ma.validate.Length(1, 256))
    password = ma.fields.String(required=True, load_only=True, validate=SECRET_FIELD)
    device_id = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(1, 128),
        metadata={"description": "A label of the device, shown in the history"},
    )
    device_token = ma.fields.String(
        load_default=None,
        load_only=True,
        validate=ma.validate.Length(1, 256),
        metadata={
            "description": "The device_token an earlier sign-in returned: "
            "it makes this a known device"
        },
    )


class PrincipalSchema(ma.Schema):
    """Who a session signs in."""

    id = ma.fields.UUID(required=True)
    kind = ma.fields.String(required=True)
    role = ma.fields.String(required=True, allow_none=True)


class SessionGrantSchema(ma.Schema):
    """A new session; the token is shown this once."""

    token = ma.fields.String(required=True)
    expires_at = Timestamp(required=True)
    device_token = ma.fields.String(
        required=True,
        metadata={"description": "Send it back on later sign-ins (valid a year)"},
    )
    principal = ma.fields.Nested(PrincipalSchema, required=True)


class ChallengeSchema(ma.Schema):
    """The password was right; answer with a second-step code or a passkey."""

    challenge_id = ma.fields.String(required=True)
    methods = ma.fields.List(ma.fields.String(), required=True)
    expires_at = Timestamp(required=True)
    passkey_options = ma.fields.Dict(
        keys=ma.fields.String(),
        allow_none=True,
        metadata={
            "description": "WebAuthn request options (JSON, base64url) when "
            "methods lists passkey; answer with credential"
        },
    )


class ChallengeAnswerSchema(ma.Schema):
    """The answer to a challenge: a code (authenticator app or recovery code),
    or the credential a passkey signed for ``passkey_options``."""

    challenge_id = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    code = Code(load_default=None, load_only=True, validate=ma.validate.Length(1, 64))
    credential = ma.fields.Dict(
        keys=ma.fields.String(),
        load_default=None,
        load_only=True,
        metadata={
            "description": "The PublicKeyCredential of navigator.credentials.get()"
        },
    )

    @ma.validates_schema
    def one_answer(self, data: dict[str, Any], **_: Any) -> None:
        """Exactly one of a code and a credential."""
        if (data.get("code") is None) == (data.get("credential") is None):
            raise ma.ValidationError("Give either code or credential.", "code")


class ReauthenticateSchema(ma.Schema):
    """The password, and the second step when there is one: a code, or a
    passkey's ``credential`` for ``challenge_id`` (from
    ``POST /sessions/current/reauthenticate/options``)."""

    password = ma.fields.String(required=True, load_only=True, validate=SECRET_FIELD)
    code = Code(load_default=None, load_only=True, validate=ma.validate.Length(1, 64))
    challenge_id = ma.fields.String(
        load_default=None, validate=ma.validate.Length(1, 200)
    )
    credential = ma.fields.Dict(
        keys=ma.fields.String(),
        load_default=None,
        load_only=True,
        metadata={
            "description": "The PublicKeyCredential of navigator.credentials.get()"
        },
    )


class AuthTimeSchema(ma.Schema):
    """When the session's owner last proved who they are."""

    auth_time = Timestamp(required=True)


class PasswordChangeSchema(ma.Schema):
    """The current password and the new one."""

    current_password = ma.fields.String(
        required=True, load_only=True, validate=SECRET_FIELD
    )
    new_password = ma.fields.String(
        required=True, load_only=True, validate=SECRET_FIELD
    )


class EnrolmentSchema(ma.Schema):
    """What an authenticator app needs; two-step is on once a code confirms it."""

    secret = ma.fields.String(required=True)
    provisioning_uri = ma.fields.String(required=True)
    qr_svg = ma.fields.String(required=True)


class CodeSchema(ma.Schema):
    """A code from the authenticator app."""

    code = Code(required=True, load_only=True, validate=ma.validate.Length(1, 64))


class RecoveryCodesSchema(ma.Schema):
    """Single-use recovery codes, shown this once."""

    recovery_codes = ma.fields.List(ma.fields.String(), required=True)


class DisableTwoStepSchema(ma.Schema):
    """The password and a current code, to turn two-step off."""

    password = ma.fields.String(required=True, load_only=True, validate=SECRET_FIELD)
    code = Code(required=True, load_only=True, validate=ma.validate.Length(1, 64))


class SessionSchema(ma.Schema):
    """One live session."""

    id = ma.fields.String(required=True)
    started_at = Timestamp(required=True)
    last_seen = Timestamp(required=True)
    ip = ma.fields.String(required=True)
    device_id = ma.fields.String(required=True)
    current = ma.fields.Boolean(required=True)


class FreezeSchema(ma.Schema):
    """Why the owner freezes the shop."""

    reason = ma.fields.String(required=True, validate=ma.validate.Length(1, 500))


class FreezeResultSchema(ma.Schema):
    """The account that is now frozen."""

    id = ma.fields.UUID(required=True)
    status = ma.fields.String(required=True)
