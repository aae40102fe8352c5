"""How the model's value objects travel inside stored events."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.actor import Actor
from domain.sign_in_state import (
    AddressLockout,
    Challenge,
    GuessingLock,
    Session,
    Value,
)


class ActorAsDict(Transcoding):
    """An event's actor, as a small mapping."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str | None]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor.from_dict(data)


class DateAsISO(Transcoding):
    """A calendar date (a birth date), as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ValueAsDict(Transcoding):
    """A frozen value of the sign-in state (in snapshots), as its fields."""

    def __init__(self, kind: type[Value], name: str) -> None:
        self.type = kind
        self.name = name
        self._kind = kind

    def encode(self, obj: Value) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> Value:
        return self._kind.from_dict(data)


VALUE_TRANSCODINGS = (
    ValueAsDict(Session, "session"),
    ValueAsDict(Challenge, "challenge"),
    ValueAsDict(AddressLockout, "address_lockout"),
    ValueAsDict(GuessingLock, "guessing_lock"),
)
