"""Guessing: wrong passwords and codes counted per account, whatever the address.

Besides the lockout per (account, address), an account counts every wrong
password and every wrong second-step code. Too many wrong passwords within
an hour throttle sign-ins from unknown devices (the owner's known devices
keep getting in); too many wrong codes within a day lock the second step;
five wrong checks in a row behind one session end that session.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.actor import Actor
from domain.devices import DeviceAwareAccount
from domain.guessing_events import (
    PASSWORD_GUESSING_WINDOW,
    PasswordGuessingThrottled,
    SecondStepFailed,
    SecondStepLocked,
    SessionCheckFailed,
    SessionCheckPassed,
    SessionReauthenticated,
)
from domain.sign_in_state import Challenge, GuessingLock, Session

FIRST_LOCKOUT = timedelta(minutes=15)
LONGEST_LOCKOUT = timedelta(hours=24)
PASSWORD_GUESSES_BEFORE_THROTTLE = 20
CODE_GUESSES_BEFORE_LOCK = 10
CODE_FAILURES_BEFORE_VOID = 5
SESSION_FAILURES_BEFORE_REVOKE = 5
SECOND_STEP_ALERT_INTERVAL = timedelta(hours=1)
# A throttle or lock that began within a day of the previous one's end lasts
# twice as long as it; after a quiet day they start again from the shortest.
LEVEL_MEMORY = timedelta(hours=24)


def lockout_length(level: int) -> timedelta:
    """How long the ``level``-th lockout in a row lasts: doubling, capped at 24 h."""
    return min(FIRST_LOCKOUT * (1 << min(level, 16)), LONGEST_LOCKOUT)


def _next_level(previous: GuessingLock | None, at: datetime) -> int:
    if previous is None or at - previous.until > LEVEL_MEMORY:
        return 0
    return previous.level + 1


class GuardedAccount(DeviceAwareAccount):
    """An account that counts guesses against it, from anywhere."""

    if TYPE_CHECKING:  # a class annotation would make the library build a dataclass
        sessions: dict[str, Session]
        challenges: dict[str, Challenge]
        _password_failures: list[datetime]
        _code_failures: list[datetime]
        _throttle: GuessingLock | None
        _second_step_lock: GuessingLock | None
        _second_step_alerted_at: datetime | None

    # Accounts older than these counters have none: they are read with defaults.

    @property
    def password_failures(self) -> list[datetime]:
        """Wrong passwords of the last hour (since the last throttle)."""
        failures: list[datetime] = self.__dict__.get("_password_failures") or []
        return failures

    @property
    def code_failures(self) -> list[datetime]:
        """Wrong second-step codes of the last day (since the last lock)."""
        failures: list[datetime] = self.__dict__.get("_code_failures") or []
        return failures

    @property
    def throttle(self) -> GuessingLock | None:
        """The latest throttle of sign-ins from unknown devices, if any."""
        throttle: GuessingLock | None = self.__dict__.get("_throttle")
        return throttle

    @property
    def second_step_lock(self) -> GuessingLock | None:
        """The latest lock of the second step, if any."""
        lock: GuessingLock | None = self.__dict__.get("_second_step_lock")
        return lock

    def guessing_throttled(self, at: datetime) -> bool:
        """Whether sign-ins from unknown devices are refused now."""
        return self.throttle is not None and self.throttle.until > at

    def second_step_locked(self, at: datetime) -> bool:
        """Whether every second-step code is refused now."""
        lock = self.second_step_lock
        return lock is not None and lock.until > at

    def fail_second_step(self, challenge_id: str, actor: Actor, at: datetime) -> None:
        """Record a wrong code for a challenge; alert hourly, void, lock."""
        challenge = self.challenges[challenge_id]
        alerted = self.__dict__.get("_second_step_alerted_at")
        self._record(
            SecondStepFailed,
            actor,
            at,
            challenge_id=challenge_id,
            ip=challenge.ip,
            user_agent=challenge.user_agent,
            device_id=challenge.device_id,
            voided=challenge.failures + 1 >= CODE_FAILURES_BEFORE_VOID,
            alert=alerted is None or at - alerted >= SECOND_STEP_ALERT_INTERVAL,
        )
        self._lock_second_step_if_guessed(actor, at)

    def fail_session_check(
        self, session_id: str, check: str, actor: Actor, at: datetime
    ) -> bool:
        """Record a wrong password or code behind a session; True if it ended it."""
        session = self.sessions.get(session_id)
        failures = 0 if session is None else session.failures
        revoked = failures + 1 >= SESSION_FAILURES_BEFORE_REVOKE
        self._record(
            SessionCheckFailed,
            actor,
            at,
            session_id=session_id,
            check=check,
            revoked=revoked,
        )
        if check == "password":
            self._throttle_if_guessed(actor, at)
        else:
            self._lock_second_step_if_guessed(actor, at)
        return revoked

    def pass_session_check(self, session_id: str, actor: Actor, at: datetime) -> None:
        """A right password or code behind a session: its failures start over."""
        session = self.sessions.get(session_id)
        if session is not None and session.failures:
            self._record(SessionCheckPassed, actor, at, session_id=session_id)

    def reauthenticate(self, session_id: str, actor: Actor, at: datetime) -> None:
        """The session's owner proved who they are again: ``auth_time`` is now."""
        self._record(SessionReauthenticated, actor, at, session_id=session_id)

    def _throttle_if_guessed(self, actor: Actor, at: datetime) -> None:
        if self.guessing_throttled(at):
            return
        recent = [
            m for m in self.password_failures if m > at - PASSWORD_GUESSING_WINDOW
        ]
        if len(recent) >= PASSWORD_GUESSES_BEFORE_THROTTLE:
            level = _next_level(self.throttle, at)
            self._record(
                PasswordGuessingThrottled,
                actor,
                at,
                until=at + lockout_length(level),
                level=level,
            )

    def _lock_second_step_if_guessed(self, actor: Actor, at: datetime) -> None:
        if self.second_step_locked(at):
            return
        if len(self.code_failures) >= CODE_GUESSES_BEFORE_LOCK:
            level = _next_level(self.second_step_lock, at)
            self._record(
                SecondStepLocked,
                actor,
                at,
                until=at + lockout_length(level),
                level=level,
            )
