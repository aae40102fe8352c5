"""The checkpoint signer: Ed25519 from the ``cryptography`` library.

The key is the PKCS8 PEM file that ``sellerguard init`` creates, outside the
database. What a checkpoint's signature covers is
``application.integrity.checkpoint_message``.
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

KEY_ID_HEX_DIGITS = 16


class Ed25519Signer:
    """The ``IntegritySigner`` port on an Ed25519 private key file."""

    def __init__(self, key_file: Path) -> None:
        # The file holds one PEM block a key, oldest first (``keys rotate
        # signing`` appends): the newest signs, every one still verifies.
        keys = [_load(key_file, block) for block in _blocks(key_file)]
        self._private = keys[-1]
        self._public: Ed25519PublicKey = self._private.public_key()
        self.key_id = _key_id(self._public)
        self._publics = {_key_id(k.public_key()): k.public_key() for k in keys}

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of the message."""
        return self._private.sign(message)

    def verify(
        self, message: bytes, signature: bytes, key_id: str | None = None
    ) -> bool:
        """Whether it is the named key's (default: the newest) signature of it."""
        public = self._publics.get(key_id or self.key_id)
        if public is None:
            return False
        try:
            public.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def public_key_pem(self) -> str:
        """The public key as PEM (SubjectPublicKeyInfo)."""
        return self._public.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        ).decode("ascii")


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:KEY_ID_HEX_DIGITS]


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
