"""What a sign-in account remembers, as values: sessions, challenges, lockouts.

Frozen, so that an event's ``apply`` replaces a value instead of editing it
in place; each has ``as_dict``/``from_dict`` so that snapshots stay plain
JSON (see ``application.transcodings``) and the audit state view shows (and
redacts) its fields by name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Self

SESSION_IDLE_LIMIT = timedelta(minutes=30)


class Value:
    """The mapping a value travels as, and the value back from it."""

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (one level; the values are plain)."""
        return asdict(self)  # type: ignore[call-overload, no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """The value from its fields; fields it does not know are ignored."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Attempt(Value):
    """Where a sign-in attempt comes from."""

    ip: str
    user_agent: str
    device_id: str


@dataclass(frozen=True)
class Session(Value):
    """A live sign-in: the hash of its bearer token, never the token."""

    token_hash: str
    started_at: datetime
    last_seen: datetime
    expires_at: datetime
    ip: str
    device_id: str
    auth_time: datetime
    device_token_hash: str | None = None
    failures: int = 0  # wrong passwords or codes in a row behind it

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Sessions recorded before re-authentication had no ``auth_time``."""
        return super().from_dict({"auth_time": data["started_at"], **data})

    def ends_at(self) -> datetime:
        """When it ends if left idle from now on."""
        return min(self.expires_at, self.last_seen + SESSION_IDLE_LIMIT)


@dataclass(frozen=True)
class Challenge(Value):
    """A second step asked for after a right password."""

    ip: str
    user_agent: str
    device_id: str
    expires_at: datetime
    failures: int = 0  # wrong codes against it (before they were per account)
    device_token_hash: str | None = None

    @property
    def attempt(self) -> Attempt:
        """The sign-in attempt that earned the challenge."""
        return Attempt(self.ip, self.user_agent, self.device_id)


@dataclass(frozen=True)
class AddressLockout(Value):
    """One address's wrong passwords against one account, and its lockouts.

    ``failures`` counts wrong passwords in a row since the last lockout;
    ``level`` counts lockouts in a row (each one doubles); ``until`` is when
    the latest lockout ends (past once it is over).
    """

    failures: int = 0
    level: int = 0
    until: datetime | None = None

    def locked_at(self, at: datetime) -> datetime | None:
        """Until when the address is locked out, if it is at ``at``."""
        return self.until if self.until is not None and self.until > at else None


@dataclass(frozen=True)
class GuessingLock(Value):
    """A throttle or lock on the whole account after guessing from anywhere.

    ``level`` counts them in a row: each lasts twice the one before.
    """

    until: datetime
    level: int


NO_LOCKOUT = AddressLockout()
