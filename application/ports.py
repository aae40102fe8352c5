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
