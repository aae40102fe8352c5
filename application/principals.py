"""Who is calling: the principal behind a bearer token, and what it may do."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from domain.roles import (
    SELLER_PERMISSIONS,
    Role,
    StaffRole,
    role_permissions,
    staff_permissions,
)
from domain.service_key import ServiceKey
from domain.sign_in import SignInAccount

SESSION_TOKEN = "sg1"  # noqa: S105 - version tags, not secrets
SERVICE_KEY = "sgk1"


class UnauthorizedError(SellerGuardError):
    """The bearer token is missing, malformed, expired or revoked."""

    code = "unauthorized"


@dataclass(frozen=True)
class Principal:
    """A signed-in person or a calling service, and what it may do."""

    kind: ActorKind
    id: UUID
    role: str | None
    seller_id: UUID | None
    session_id: str | None
    permissions: frozenset[str]
    two_step_enabled: bool = False
    auth_time: datetime | None = None

    def signed_in_within(self, max_age: timedelta, at: datetime) -> bool:
        """Whether the session's owner proved who they are within ``max_age``."""
        return self.auth_time is not None and at - self.auth_time <= max_age

    def actor(self, request_id: str | None, ip: str | None) -> Actor:
        """This principal as the actor of events caused by one request."""
        return Actor(self.kind, str(self.id), request_id, ip)

    def may(self, permission: str) -> bool:
        """Whether the permission matrix grants this principal the permission."""
        return permission in self.permissions


def permissions_of(account: SignInAccount | ServiceKey) -> frozenset[str]:
    """What an account may do, read from the one permission matrix."""
    if isinstance(account, ServiceKey):
        return frozenset(account.scopes)
    role = account.role
    if isinstance(role, Role):
        return role_permissions(role)
    if isinstance(role, StaffRole):
        return staff_permissions(role)
    return SELLER_PERMISSIONS


def principal_of(
    account: SignInAccount | ServiceKey, session_id: str | None
) -> Principal:
    """The principal an account signs in as (a service key: its service)."""
    if isinstance(account, ServiceKey):
        role, shop, two_step = None, account.id, False
    else:
        role, shop = account.role, account.employer_id or account.id
        # A passkey is a second step too (staff may meet the rule with one).
        two_step = account.has_second_step
    return Principal(
        kind=ActorKind(account.principal_kind),
        id=account.id,
        role=None if role is None else str(role),
        seller_id=shop,
        session_id=session_id,
        permissions=permissions_of(account),
        two_step_enabled=two_step,
        auth_time=(
            None
            if isinstance(account, ServiceKey) or session_id is None
            else account.session_auth_time(session_id)
        ),
    )


@dataclass(frozen=True)
class BearerToken:
    """An opaque bearer token (session or service key); only its hash is kept."""

    prefix: str
    owner_id: UUID
    session_id: str
    value: str

    @classmethod
    def mint_session(cls, account_id: UUID) -> BearerToken:
        """A new random token for a new session of the account."""
        session_id = secrets.token_urlsafe(12)
        return cls.minted(SESSION_TOKEN, account_id, session_id)

    @classmethod
    def mint_service_key(cls, key_id: UUID) -> BearerToken:
        """A new random service key."""
        return cls.minted(SERVICE_KEY, key_id, "key")

    @classmethod
    def parse(
        cls, value: str, prefixes: tuple[str, ...] = (SESSION_TOKEN, SERVICE_KEY)
    ) -> BearerToken:
        """The token's parts; UnauthorizedError if it is not one of ours."""
        parts = value.split(".")
        if len(parts) != 4 or parts[0] not in prefixes:
            raise UnauthorizedError("malformed")
        try:
            owner_id = UUID(hex=parts[1])
        except ValueError:
            raise UnauthorizedError("malformed") from None
        return cls(parts[0], owner_id, parts[2], value)

    @property
    def is_service_key(self) -> bool:
        """Whether this is a service's key rather than a person's session."""
        return self.prefix == SERVICE_KEY

    @property
    def hash(self) -> str:
        """What the store keeps: SHA-256 of a 256-bit random token."""
        return digest(self.value)

    @classmethod
    def minted(cls, prefix: str, owner_id: UUID, session_id: str) -> BearerToken:
        """A new random token of the given kind for the given owner."""
        secret = secrets.token_urlsafe(32)
        value = f"{prefix}.{owner_id.hex}.{session_id}.{secret}"
        return cls(prefix, owner_id, session_id, value)


def digest(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens, recovery codes)."""
    return hashlib.sha256(secret.encode()).hexdigest()
