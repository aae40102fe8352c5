"""How the model's value objects travel inside stored events."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.actor import Actor
from domain.sign_in_state import AddressLockout, Challenge, GuessingLock, Session


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


class _ValueAsDict(Transcoding):
    """A frozen value of the sign-in state, as the mapping of its fields."""

    def encode(self, obj: Any) -> dict[str, Any]:
        encoded: dict[str, Any] = obj.as_dict()
        return encoded

    def decode(self, data: dict[str, Any]) -> Any:
        return getattr(self.type, "from_dict")(data)  # noqa: B009 (a value class)


class SessionAsDict(_ValueAsDict):
    """A session of a sign-in account (in snapshots)."""

    type = Session
    name = "session"


class ChallengeAsDict(_ValueAsDict):
    """A second-step challenge of a sign-in account (in snapshots)."""

    type = Challenge
    name = "challenge"


class AddressLockoutAsDict(_ValueAsDict):
    """One address's lockout from one account (in snapshots)."""

    type = AddressLockout
    name = "address_lockout"


class GuessingLockAsDict(_ValueAsDict):
    """An account's guessing throttle or second-step lock (in snapshots)."""

    type = GuessingLock
    name = "guessing_lock"


VALUE_TRANSCODINGS = (
    SessionAsDict,
    ChallengeAsDict,
    AddressLockoutAsDict,
    GuessingLockAsDict,
)
