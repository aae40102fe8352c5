"""The key files: created once by ``sellerguard init``, readable only by the owner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infrastructure.settings import Settings


class KeyFileError(RuntimeError):
    """A key file is missing, unreadable or not a key."""


def ensure_keys(settings: Settings) -> list[Path]:
    """Create whichever key files are missing; never replace one. Returns the new."""
    created = []
    makers = {
        settings.secret_key_file: _random_key,
        settings.document_key_file: _random_key,
        settings.signing_key_file: _signing_key,
    }
    for path, make in makers.items():
        if _write_new(path, make()):
            created.append(path)
    return created


def cipher_key(settings: Settings) -> str:
    """The stored events' AES-256 key, base64-encoded as the library expects."""
    key = _read(settings.secret_key_file).strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        msg = f"{settings.secret_key_file} does not hold a base64 256-bit key"
        raise KeyFileError(msg)
    return key.decode("ascii")


def username_namespace(key: str) -> UUID:
    """A secret namespace for login-name index ids, derived from the cipher key.

    Ids stay in clear in the store; with a secret namespace they reveal nothing
    about which names exist to someone holding only the database.
    """
    digest = hmac.new(
        base64.b64decode(key), b"sellerguard/username-index/v1", hashlib.sha256
    ).digest()
    return UUID(bytes=digest[:16], version=5)


def _random_key() -> bytes:
    return base64.b64encode(os.urandom(32)) + b"\n"


def _signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_new(path: Path, content: bytes) -> bool:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as file:
        file.write(content)
    return True


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        msg = f"cannot read key file {path}: {error.strerror}; run 'sellerguard init'"
        raise KeyFileError(msg) from None
