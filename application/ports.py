"""The ports the application needs; infrastructure implements them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from application.integrity_check import Checkpoint, Link, Row


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


class DocumentInspector(Protocol):
    """Judges an upload by decoding all of it, never by its name or first bytes."""

    def content_type_of(self, data: bytes) -> str:
        """The type of a whole, well-formed PDF, PNG or JPEG; refuses anything else."""
        ...


class Notifier(Protocol):
    """Tells an account's owner what happens to it (e-mail in production)."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one message."""
        ...


class IntegritySigner(Protocol):
    """Signs checkpoints with a key kept outside the database."""

    @property
    def key_id(self) -> str:
        """A short, stable name of the key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of the message."""
        ...

    def verify(
        self, message: bytes, signature: bytes, key_id: str | None = None
    ) -> bool:
        """Whether the signature is the named key's (default: the newest) of it."""
        ...

    def public_key_pem(self) -> str:
        """The public key, PEM (SubjectPublicKeyInfo)."""
        ...


class ChainStore(Protocol):
    """Keeps one link per position and the signed checkpoints; inserts are idempotent.

    Several processes may extend the chain at once: they compute the same
    links, and a position already stored is left as it is.
    """

    def last_link(self) -> Link | None:
        """The link at the highest position, if any."""
        ...

    def links(self, after: int, upto: int) -> Sequence[Link]:
        """The links at positions in ``(after, upto]``, in order."""
        ...

    def add(self, links: Sequence[Link], checkpoints: Sequence[Checkpoint]) -> None:
        """Store links and checkpoints in one transaction, skipping stored positions."""
        ...

    def last_checkpoint(self) -> Checkpoint | None:
        """The checkpoint at the highest position, if any."""
        ...

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        """Checkpoints at positions above ``after``, in order."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


class StoredLog(Protocol):
    """The ledger's stored events as raw rows, read without decoding."""

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        """At most ``limit`` rows at positions in ``(after, upto]``, in order."""
        ...


class LeaderLock(Protocol):
    """Held by one process at a time (per store): the one that follows and signs."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free, or confirm it is still held; never waits."""
        ...

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        ...
