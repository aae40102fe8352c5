"""Password hashing with Argon2id through argon2-cffi."""

from __future__ import annotations

import functools
import logging

import argon2
from argon2.exceptions import InvalidHashError, VerificationError

logger = logging.getLogger(__name__)


@functools.cache
def _warn_cheapest() -> None:
    """Once per process: every component that hashes would say it again."""
    logger.warning(
        "Argon2 profile CHEAPEST is for tests only: passwords are weakly hashed"
    )


class Argon2Hasher:
    """The ``PasswordHasher`` port, with the parameters of one Argon2 profile."""

    def __init__(self, parameters: argon2.Parameters, profile_name: str = "") -> None:
        if profile_name == "CHEAPEST":
            _warn_cheapest()
        self._hasher = argon2.PasswordHasher.from_parameters(parameters)

    def hash(self, password: str) -> str:
        """A new salted Argon2id hash of the password."""
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches the hash; a damaged hash never matches."""
        try:
            return self._hasher.verify(password_hash, password)
        except VerificationError:
            return False
        except InvalidHashError:
            logger.error("a stored password hash is not a valid Argon2 hash")
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than the profile's."""
        return self._hasher.check_needs_rehash(password_hash)
