"""Keys with which other platform services call SellerGuard."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError
from domain.roles import SERVICE_SCOPES


class UnknownScopeError(SellerGuardError):
    """A scope that no endpoint knows."""

    code = "validation_error"
    field = "scope"


class ServiceKey(Recorded):
    """A service's key: its name, its scopes and the hash of its secret."""

    TOPIC = "sellerguard:ServiceKey"
    principal_kind = "service"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:ServiceKey.Event"

    class Created(Event, Recorded.Created):
        """An operator created the key; its secret was shown once."""

        TOPIC = "sellerguard:ServiceKey.Created"
        name: str
        scopes: list[str]
        key_hash: str

    class Revoked(Event):
        """The key no longer admits requests."""

        TOPIC = "sellerguard:ServiceKey.Revoked"
        reason: str

        def apply(self, key: ServiceKey) -> None:
            key.revoked = True

    def __init__(self, name: str, scopes: list[str], key_hash: str) -> None:
        self.name = name
        self.scopes = list(scopes)
        self.key_hash = key_hash
        self.revoked = False

    @classmethod
    def create(
        cls,
        key_id: UUID,
        name: str,
        scopes: list[str],
        key_hash: str,
        actor: Actor,
        at: datetime,
    ) -> ServiceKey:
        """Create a key with known scopes only."""
        unknown = sorted(set(scopes) - set(SERVICE_SCOPES))
        if unknown or not scopes:
            raise UnknownScopeError(", ".join(unknown) or "no scope")
        return cls._create(
            cls.Created,
            id=key_id,
            name=name,
            scopes=sorted(set(scopes)),
            key_hash=key_hash,
            actor=actor,
            timestamp=at,
        )

    def revoke(self, reason: str, actor: Actor, at: datetime) -> None:
        """Stop the key admitting requests."""
        if not self.revoked:
            self._record(self.Revoked, actor, at, reason=reason)
