"""A software authenticator: real ES256 keys, CBOR, attestation ``none``.

It answers WebAuthn options the way a browser and a platform authenticator
would (``navigator.credentials.create()`` / ``.get()`` as JSON), and lets a
test lie where an attacker could: another origin (a phishing site), another
relying party id, no user verification, a counter going backwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40
ORIGIN = "http://localhost:8080"
RP_ID = "localhost"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One key pair the authenticator holds for one account."""

    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class SoftAuthenticator:
    """A platform authenticator that keeps its credentials in memory."""

    origin: str = ORIGIN
    counts: bool = True  # keeps a signature counter (some never do: always 0)
    credentials: dict[bytes, Credential] = field(default_factory=dict)

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        reuse: Credential | None = None,
    ) -> dict[str, Any]:
        """Answer creation options with a new ES256 credential (or, like a
        broken authenticator, with one it already holds)."""
        rp = rp_id or options["rp"]["id"]
        credential = reuse or Credential(
            id=secrets.token_bytes(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=options["rp"]["id"],
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials[credential.id] = credential
        attested = (
            bytes(16)  # AAGUID
            + struct.pack(">H", len(credential.id))
            + credential.id
            + credential.cose_public_key()
        )
        auth_data = _auth_data(rp, AT | UP | (UV if user_verified else 0), 0)
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(
                    cbor2.dumps(
                        {"fmt": "none", "attStmt": {}, "authData": auth_data + attested}
                    )
                ),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        counter: int | None = None,
    ) -> dict[str, Any]:
        """Sign request options with a credential (the only one, by default)."""
        chosen = credential or self.only()
        if counter is not None:
            chosen.counter = counter
        elif self.counts:
            chosen.counter += 1
        auth_data = _auth_data(
            rp_id or options.get("rpId") or chosen.rp_id,
            UP | (UV if user_verified else 0),
            chosen.counter,
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = chosen.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(chosen.id),
            "rawId": b64url(chosen.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(chosen.user_handle),
            },
        }

    def only(self) -> Credential:
        (credential,) = self.credentials.values()
        return credential

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            }
        ).encode()


def _auth_data(rp_id: str, flags: int, counter: int) -> bytes:
    return (
        hashlib.sha256(rp_id.encode()).digest()
        + bytes([flags])
        + struct.pack(">I", counter)
    )
