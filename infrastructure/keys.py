"""The key files: created once by ``sellerguard init``, readable only by the owner."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Callable
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


def cipher_keys(settings: Settings) -> list[str]:
    """The stored records' AES-256 keys, base64, oldest first (the newest seals).

    The key file holds one key per line; ``keys rotate cipher`` adds a line.
    """
    return _keyring(settings.secret_key_file)


def cipher_key(settings: Settings) -> str:
    """The first cipher key: what derived secrets (name index ids) hang on."""
    return cipher_keys(settings)[0]


def rotate(path: Path, make_key: Callable[[], bytes]) -> None:
    """Add a new key after the file's keys: it seals new data, the old stay readable.

    The file is replaced atomically (a copy renamed over it), mode 0600.
    """
    old = _read(path)
    if old and not old.endswith(b"\n"):
        old += b"\n"
    staging = path.with_name(path.name + ".rotating")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(old + make_key())
        file.flush()
        os.fsync(file.fileno())
    staging.replace(path)


def random_key() -> bytes:
    """A new AES-256 key as a line of base64."""
    return _random_key()


def signing_key() -> bytes:
    """A new Ed25519 private key as PKCS8 PEM."""
    return _signing_key()


def _keyring(path: Path) -> list[str]:
    keys = [line.strip() for line in _read(path).splitlines() if line.strip()]
    for key in keys:
        try:
            raw = base64.b64decode(key, validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            msg = f"{path} does not hold base64 256-bit keys, one per line"
            raise KeyFileError(msg)
    if not keys:
        msg = f"{path} holds no key; run 'sellerguard init'"
        raise KeyFileError(msg)
    return [key.decode("ascii") for key in keys]


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


def link_key(key: str) -> bytes:
    """The key of mailed links' tokens, derived from the cipher key.

    Whoever holds only the database can neither compute nor recover a link.
    """
    return hmac.new(
        base64.b64decode(key), b"sellerguard/mailed-links/v1", hashlib.sha256
    ).digest()


def idempotency_digest_key(key: str) -> bytes:
    """The key of idempotency records' row ids and request fingerprints,
    derived from the cipher key: the database alone tells nobody whose they are.
    """
    return hmac.new(
        base64.b64decode(key), b"sellerguard/idempotency-keys/v1", hashlib.sha256
    ).digest()
