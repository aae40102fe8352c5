"""The events of guessing: failures counted per account, throttles and locks.

The counters live in these events (and so in every process that loads the
account), never in one process's memory.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from domain.aggregate import Recorded, shared_event
from domain.sign_in_state import GuessingLock

if TYPE_CHECKING:
    from domain.guessing import GuardedAccount

PASSWORD_GUESSING_WINDOW = timedelta(hours=1)
CODE_GUESSING_WINDOW = timedelta(hours=24)


def recent_with(
    moments: list[datetime], at: datetime, window: timedelta
) -> list[datetime]:
    """The moments within ``window`` before ``at``, and ``at`` itself."""
    return [m for m in moments if m > at - window] + [at]


def note_password_failure(account: GuardedAccount, at: datetime) -> None:
    """Count one wrong password against the account (from any address)."""
    account._password_failures = recent_with(
        account.password_failures, at, PASSWORD_GUESSING_WINDOW
    )


def note_code_failure(account: GuardedAccount, at: datetime) -> None:
    """Count one wrong second-step code against the account."""
    account._code_failures = recent_with(
        account.code_failures, at, CODE_GUESSING_WINDOW
    )


@shared_event
class PasswordGuessingThrottled(Recorded.Event):
    """Too many wrong passwords from anywhere: unknown devices wait ``until``."""

    TOPIC = "sellerguard:PasswordGuessingThrottled"
    until: datetime
    level: int

    def apply(self, account: GuardedAccount) -> None:
        account._password_failures = []
        account._throttle = GuessingLock(self.until, self.level)


@shared_event
class SecondStepFailed(Recorded.Event):
    """A wrong code answered a challenge: someone knew the password."""

    TOPIC = "sellerguard:SecondStepFailed"
    challenge_id: str
    ip: str
    user_agent: str
    device_id: str
    voided: bool
    alert: bool

    def apply(self, account: GuardedAccount) -> None:
        note_code_failure(account, self.timestamp)
        if self.voided:
            account.challenges.pop(self.challenge_id, None)
        elif self.challenge_id in account.challenges:
            challenge = account.challenges[self.challenge_id]
            account.challenges[self.challenge_id] = replace(
                challenge, failures=challenge.failures + 1
            )
        if self.alert:
            account._second_step_alerted_at = self.timestamp


@shared_event
class SecondStepLocked(Recorded.Event):
    """Too many wrong codes: every code is refused ``until``."""

    TOPIC = "sellerguard:SecondStepLocked"
    until: datetime
    level: int

    def apply(self, account: GuardedAccount) -> None:
        account._code_failures = []
        account._second_step_lock = GuessingLock(self.until, self.level)


@shared_event
class SessionCheckFailed(Recorded.Event):
    """A wrong password or code behind a session; ``revoked`` ended the session."""

    TOPIC = "sellerguard:SessionCheckFailed"
    session_id: str
    check: str
    revoked: bool

    def apply(self, account: GuardedAccount) -> None:
        if self.check == "password":
            note_password_failure(account, self.timestamp)
        else:
            note_code_failure(account, self.timestamp)
        session = account.sessions.get(self.session_id)
        if session is None:
            return
        if self.revoked:
            account.sessions.pop(self.session_id)
        else:
            account.sessions[self.session_id] = replace(
                session, failures=session.failures + 1
            )


@shared_event
class SessionCheckPassed(Recorded.Event):
    """A right password or code behind a session: its failures start over."""

    TOPIC = "sellerguard:SessionCheckPassed"
    session_id: str

    def apply(self, account: GuardedAccount) -> None:
        session = account.sessions.get(self.session_id)
        if session is not None:
            account.sessions[self.session_id] = replace(session, failures=0)


@shared_event
class SessionReauthenticated(Recorded.Event):
    """The session's owner proved the password (and second step) again."""

    TOPIC = "sellerguard:SessionReauthenticated"
    session_id: str

    def apply(self, account: GuardedAccount) -> None:
        session = account.sessions.get(self.session_id)
        if session is not None:
            account.sessions[self.session_id] = replace(
                session, auth_time=self.timestamp, failures=0
            )
