"""The ports the application needs; infrastructure implements them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time; tests use one they can move."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords (Argon2id in production)."""

    def hash(self, password: str) -> str:
        """A new salted hash of the password."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches the hash."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than today's."""
        ...


class Authenticator(Protocol):
    """Time-based one-time codes from authenticator apps (RFC 6238)."""

    def new_secret(self) -> str:
        """A fresh random secret, base32."""
        ...

    def provisioning_uri(self, secret: str, account_name: str) -> str:
        """The ``otpauth://`` URI an app scans to learn the secret."""
        ...

    def qr_svg(self, uri: str) -> str:
        """A QR code of the URI, as an SVG document."""
        ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step whose code this is (one step of drift), or None."""
        ...


class DocumentVault(Protocol):
    """Keeps recovery documents' bytes, encrypted, out of the events."""

    def put(self, document_id: str, data: bytes) -> None:
        """Store a document under a new id."""
        ...

    def get(self, document_id: str) -> bytes:
        """The document's original bytes."""
        ...

    def delete(self, document_id: str) -> None:
        """Forget a document (a refused or failed upload leaves nothing)."""
        ...


class Notifier(Protocol):
    """Tells an account's owner what happens to it (e-mail in production)."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one message."""
        ...
