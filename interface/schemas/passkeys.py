"""Schemas of passkeys (WebAuthn): ceremonies, registration, management."""

from __future__ import annotations

import marshmallow as ma

from interface.schemas.fields import Pattern, Timestamp

CHALLENGE_ID = ma.validate.Length(1, 200)
# A printable name of 1 to 64 characters (no control characters), with at
# least one that shows (a control character is not whitespace to ``\S``).
PASSKEY_NAME = ma.validate.And(
    ma.validate.Length(1, 64),
    Pattern(r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$"),
)


def credential_field(what: str) -> ma.fields.Dict:
    """The PublicKeyCredential a browser returned, as JSON (base64url fields)."""
    return ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        load_only=True,
        metadata={"description": f"The PublicKeyCredential of {what}, as JSON"},
    )


class CeremonyOptionsSchema(ma.Schema):
    """A started ceremony: answer it within 5 minutes, once."""

    challenge_id = ma.fields.String(required=True)
    options = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={"description": "WebAuthn options (JSON, base64url fields)"},
    )


class PasskeyRegistrationSchema(ma.Schema):
    """The browser's answer to creation options, and a name for the passkey."""

    challenge_id = ma.fields.String(required=True, validate=CHALLENGE_ID)
    name = ma.fields.String(required=True, validate=PASSKEY_NAME)
    credential = credential_field("navigator.credentials.create()")


class PasskeyRenameSchema(ma.Schema):
    """Another name for a passkey."""

    name = ma.fields.String(required=True, validate=PASSKEY_NAME)


class PasskeySchema(ma.Schema):
    """One passkey of the caller (no key material)."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    created_at = Timestamp(required=True)
    last_used_at = Timestamp(required=True, allow_none=True)


class PasskeySignInOptionsSchema(ma.Schema):
    """Start a sign-in with a passkey; a username limits it to that account."""

    username = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 256))


class PasskeySignInSchema(ma.Schema):
    """The credential a passkey signed for the sign-in options."""

    challenge_id = ma.fields.String(required=True, validate=CHALLENGE_ID)
    credential = credential_field("navigator.credentials.get()")
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
