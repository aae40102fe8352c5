"""Who is calling: the principal behind a bearer token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError

TOKEN_PREFIX = "sg1"  # noqa: S105 - a version tag, not a secret


class UnauthorizedError(SellerGuardError):
    """The bearer token is missing, malformed, expired or revoked."""

    code = "unauthorized"


@dataclass(frozen=True)
class Principal:
    """A signed-in person (or, later, a service) and the session in use."""

    kind: ActorKind
    id: UUID
    role: str | None
    seller_id: UUID | None
    session_id: str

    def actor(self, request_id: str | None, ip: str | None) -> Actor:
        """This principal as the actor of events caused by one request."""
        return Actor(self.kind, str(self.id), request_id, ip)


@dataclass(frozen=True)
class SessionToken:
    """An opaque bearer token; the server keeps only its hash."""

    account_id: UUID
    session_id: str
    value: str

    @classmethod
    def mint(cls, account_id: UUID) -> SessionToken:
        """A new random token for a new session of the account."""
        session_id = secrets.token_urlsafe(12)
        secret = secrets.token_urlsafe(32)
        value = f"{TOKEN_PREFIX}.{account_id.hex}.{session_id}.{secret}"
        return cls(account_id, session_id, value)

    @classmethod
    def parse(cls, value: str) -> SessionToken:
        """The token's parts; UnauthorizedError if it is not one of ours."""
        parts = value.split(".")
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
            raise UnauthorizedError("malformed")
        try:
            account_id = UUID(hex=parts[1])
        except ValueError:
            raise UnauthorizedError("malformed") from None
        return cls(account_id, parts[2], value)

    @property
    def hash(self) -> str:
        """What the store keeps: SHA-256 of a 256-bit random token."""
        return digest(self.value)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, recovery codes)."""
    return hashlib.sha256(secret.encode()).hexdigest()
