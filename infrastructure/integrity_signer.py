"""The checkpoint signer: Ed25519 from the ``cryptography`` library.

The keys are PKCS8 PEM blocks in the file ``sellerguard init`` creates,
outside the database, oldest first (``keys rotate signing`` appends one):
the newest signs, every one still verifies. Keys are named as C2SP signed
notes name them: the key name is the log's origin (``sellerguard/<deployment
id>``, the deployment id taken from the first key, so it survives rotation)
and the key id is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from infrastructure.keys import KeyFileError

ED25519 = b"\x01"  # the signed-note signature type of Ed25519


def raw(public: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def note_key_id(name: str, public: Ed25519PublicKey) -> bytes:
    """The C2SP key id of a named Ed25519 key."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + raw(public)).digest()[:4]


class NoteVerifier:
    """Checks note signatures with public keys only (no private key, no database)."""

    def __init__(self, publics: list[Ed25519PublicKey]) -> None:
        self._publics = publics

    @classmethod
    def from_pem(cls, pem: bytes) -> NoteVerifier:
        """The verifier of a PEM public key (or several, concatenated)."""
        end = b"-----END PUBLIC KEY-----"
        keys = []
        for block in (b + end for b in pem.split(end) if b.strip()):
            try:
                key = serialization.load_pem_public_key(block)
            except (ValueError, UnsupportedAlgorithm):
                key = None
            if not isinstance(key, Ed25519PublicKey):
                msg = "not an Ed25519 public key (PEM)"
                raise KeyFileError(msg)
            keys.append(key)
        if not keys:
            msg = "no public key in the PEM"
            raise KeyFileError(msg)
        return cls(keys)

    def verify(
        self, message: bytes, signature: bytes, key_name: str, key_id: bytes
    ) -> bool:
        """Whether one of the keys, so named, made this signature of the message."""
        for public in self._publics:
            if note_key_id(key_name, public) != key_id:
                continue
            try:
                public.verify(signature, message)
            except InvalidSignature:
                return False
            return True
        return False


class Ed25519Signer(NoteVerifier):
    """The ``IntegritySigner`` port on the Ed25519 private keys in a key file."""

    def __init__(self, key_file: Path) -> None:
        keys = [_load(key_file, block) for block in _blocks(key_file)]
        super().__init__([k.public_key() for k in keys])
        self._private = keys[-1]
        deployment = hashlib.sha256(raw(keys[0].public_key())).hexdigest()[:16]
        self.origin = f"sellerguard/{deployment}"
        self.key_id = note_key_id(self.origin, self._private.public_key())

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of the message, by the newest key."""
        return self._private.sign(message)

    def public_key_pem(self) -> str:
        """Every public key as PEM (SubjectPublicKeyInfo), the newest last."""
        return "".join(
            p.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            ).decode("ascii")
            for p in self._publics
        )


def _blocks(key_file: Path) -> list[bytes]:
    try:
        data = key_file.read_bytes()
    except OSError as error:
        msg = (
            f"cannot read signing key {key_file}: {error.strerror}; "
            "run 'sellerguard init'"
        )
        raise KeyFileError(msg) from None
    end = b"-----END PRIVATE KEY-----"
    blocks = [block + end + b"\n" for block in data.split(end) if block.strip()]
    return blocks or [data]


def _load(key_file: Path, data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{key_file} does not hold an unencrypted Ed25519 private key (PEM)"
        raise KeyFileError(msg)
    return key
