"""Who caused an event, and through which request."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActorKind(StrEnum):
    """The kinds of principal that can act on the system."""

    ANONYMOUS = "anonymous"
    SELLER = "seller"
    SUB_ACCOUNT = "sub_account"
    STAFF = "staff"
    SERVICE = "service"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """The principal behind an event, with the request it came through, if any."""

    kind: ActorKind
    id: str | None = None
    request_id: str | None = None
    ip: str | None = None

    @classmethod
    def system(cls) -> Actor:
        """The system itself, acting on its own (lapses, scheduled reviews)."""
        return cls(ActorKind.SYSTEM)

    def as_dict(self) -> dict[str, str | None]:
        """The actor as plain data, for storage inside events."""
        return {
            "kind": self.kind.value,
            "id": self.id,
            "request_id": self.request_id,
            "ip": self.ip,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Actor:
        """The actor from plain data stored inside an event."""
        return cls(
            kind=ActorKind(str(data["kind"])),
            id=data.get("id"),
            request_id=data.get("request_id"),
            ip=data.get("ip"),
        )
