"""WebAuthn ceremonies through Duo Labs' ``webauthn`` library.

The relying party's id and origin come from configuration; user verification
is required in both ceremonies. The library's exceptions (and any parse error
a hostile body provokes in its CBOR, COSE or base64 decoding) become
:class:`PasskeyRejectedError`, never a 500.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

import webauthn
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from application.ports import Assertion
from domain.passkeys import NewPasskey, PasskeyRejectedError

RP_NAME = "SellerGuard"
TIMEOUT_MS = 300_000  # the ceremony's five minutes
CHALLENGE_BYTES = 32


class WebAuthnCeremonies:
    """Creation and request options, and verification of what browsers answer."""

    def __init__(self, rp_id: str, origin: str) -> None:
        self.rp_id = rp_id
        self.origin = origin

    def new_challenge(self) -> str:
        """A fresh random challenge, base64url."""
        return bytes_to_base64url(secrets.token_bytes(CHALLENGE_BYTES))

    def creation_options(
        self,
        challenge: str,
        user_id: bytes,
        user_name: str,
        exclude: list[str],
    ) -> dict[str, Any]:
        """``PublicKeyCredentialCreationOptions`` as JSON (base64url fields)."""
        options = webauthn.generate_registration_options(
            rp_id=self.rp_id,
            rp_name=RP_NAME,
            user_name=user_name,
            user_id=user_id,
            user_display_name=user_name,
            challenge=base64url_to_bytes(challenge),
            timeout=TIMEOUT_MS,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[_descriptor(c) for c in exclude],
        )
        return _as_json(options)

    def request_options(self, challenge: str, allow: list[str]) -> dict[str, Any]:
        """``PublicKeyCredentialRequestOptions`` as JSON (base64url fields)."""
        options = webauthn.generate_authentication_options(
            rp_id=self.rp_id,
            challenge=base64url_to_bytes(challenge),
            timeout=TIMEOUT_MS,
            allow_credentials=[_descriptor(c) for c in allow],
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return _as_json(options)

    def verify_registration(
        self, credential: Mapping[str, Any], challenge: str
    ) -> NewPasskey:
        """The new passkey, if the browser's answer verifies."""
        try:
            verified = webauthn.verify_registration_response(
                credential=dict(credential),
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        except Exception as error:  # hostile input, any parser
            raise PasskeyRejectedError(_reason(error)) from None
        return NewPasskey(
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
            aaguid=verified.aaguid,
            backed_up=bool(verified.credential_backed_up),
        )

    def read_assertion(self, credential: Mapping[str, Any]) -> Assertion:
        """Which credential (and user handle) an assertion claims, unverified."""
        try:
            parsed = parse_authentication_credential_json(dict(credential))
        except Exception as error:  # hostile input, any parser
            raise PasskeyRejectedError(_reason(error)) from None
        handle = parsed.response.user_handle
        return Assertion(
            credential_id=bytes_to_base64url(parsed.raw_id),
            user_handle=None if handle is None else bytes(handle),
        )

    def verify_assertion(
        self, credential: Mapping[str, Any], challenge: str, public_key: str
    ) -> int:
        """The signature counter the authenticator reports, if the assertion
        verifies (the counter is judged by the caller, against the account)."""
        try:
            verified = webauthn.verify_authentication_response(
                credential=dict(credential),
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=base64url_to_bytes(public_key),
                credential_current_sign_count=0,
                require_user_verification=True,
            )
        except Exception as error:  # hostile input, any parser
            raise PasskeyRejectedError(_reason(error)) from None
        return int(verified.new_sign_count)


def _descriptor(credential_id: str) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential_id))


def _as_json(options: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(options_to_json(options))
    return loaded


def _reason(error: Exception) -> str:
    """A short reason for the history, without echoing the client's bytes."""
    if isinstance(error, WebAuthnException):
        return str(error).split(". See", 1)[0][:120]
    return type(error).__name__
