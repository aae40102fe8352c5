"""Signing in: password, lockout per address, two-step verification, sessions.

Shared by every kind of account a person signs in to; the account classes
inherit :class:`SignInAccount` and record the events of ``sign_in_events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.actor import Actor
from domain.devices import DEVICE_TOKEN_LIFETIME, pushed_out_by_new_token
from domain.errors import SellerGuardError
from domain.guessing import (  # the lockout's terms, where callers look for them
    CODE_FAILURES_BEFORE_VOID,
    FIRST_LOCKOUT,
    LONGEST_LOCKOUT,
    GuardedAccount,
    lockout_length,
)
from domain.passkeys import PasskeyHolder
from domain.recovery_codes import RecoveryCodesRegenerated
from domain.sign_in_events import (
    ChallengeIssued,
    CodeStepAccepted,
    LoginFailed,
    LoginLockedOut,
    LoginSucceeded,
    PasswordChanged,
    PasswordRehashed,
    SessionsRevoked,
    SessionTouched,
    TwoStepDisabled,
    TwoStepEnabled,
    TwoStepEnrolmentStarted,
)
from domain.sign_in_state import (
    NO_LOCKOUT,
    SESSION_IDLE_LIMIT,
    AddressLockout,
    Attempt,
    Challenge,
    GuessingLock,
    Session,
)

__all__ = [
    "CODE_FAILURES_BEFORE_VOID",
    "FIRST_LOCKOUT",
    "LONGEST_LOCKOUT",
    "SESSION_IDLE_LIMIT",
    "Attempt",
]

PASSWORD_HISTORY = 10
FAILURES_BEFORE_LOCKOUT = 5
CHALLENGE_LIFETIME = timedelta(minutes=5)
SESSION_LIFETIME = timedelta(hours=12)
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


class AccountStatus(StrEnum):
    """Where an account stands."""

    ACTIVE = "active"
    FROZEN = "frozen"
    DEACTIVATED = "deactivated"
    CLOSED = "closed"
    INVITED = "invited"  # a sub-account whose employee has not set a password


class SignInError(SellerGuardError):
    """Base of the sign-in errors; never raised directly."""


class InvalidCredentialsError(SignInError):
    """The username or password is wrong."""

    code = "invalid_credentials"


class AccountFrozenError(SignInError):
    """The account is frozen: nobody can sign in until it is restored."""

    code = "account_frozen"


class AccountClosedError(SignInError):
    """The store was closed for inactivity; nobody can sign in to it any more."""

    code = "account_closed"


class InvalidCodeError(SignInError):
    """The code is wrong, expired or already used."""

    code = "invalid_code"


class TwoStepAlreadyEnabledError(SignInError):
    """Two-step verification is already on for this account."""

    code = "two_step_already_enabled"


class TwoStepNotStartedError(SignInError):
    """There is no two-step enrolment to confirm; start one first."""

    code = "two_step_not_started"


class TwoStepNotEnabledError(SignInError):
    """Two-step verification is not on for this account."""

    code = "two_step_not_enabled"


class SessionNotFoundError(SignInError):
    """No live session of this account has that id."""

    code = "not_found"


@dataclass(frozen=True)
class NewSession:
    """A session about to start: its id, the hash of its token, and the device.

    ``presented_device_hash`` is the hash of the device token the device
    presented; ``minted_device_hash``, when given, is issued by this sign-in
    (replacing a valid presented one, which the caller cannot hand back).
    """

    session_id: str
    token_hash: str
    presented_device_hash: str | None = None
    minted_device_hash: str | None = None


class SignInAccount(GuardedAccount, PasskeyHolder):
    """An account a person signs in to; it holds hashes, never secrets in clear."""

    # Version 2: sessions, challenges and lockouts are values (sign_in_state);
    # snapshots of version 1 held them as mappings and three parallel ones.
    class_version = 2

    if TYPE_CHECKING:  # a class annotation would make the library build a dataclass
        _status: str
        last_credentials_change: datetime | None
        principal_kind: str
        username: str
        email: str

    def _init_sign_in(self, password_hash: str) -> None:
        self._status = AccountStatus.ACTIVE.value
        self.password_hash = password_hash
        self.password_history = [password_hash]
        self.address_lockouts: dict[str, AddressLockout] = {}
        self.sessions: dict[str, Session] = {}
        self.challenges: dict[str, Challenge] = {}
        self.two_step_secret: str | None = None
        self.pending_two_step_secret: str | None = None
        self.last_code_step = 0
        self.recovery_code_hashes: list[str] = []
        self.last_login_at: datetime | None = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A snapshot of version 1: mappings become values, three dicts one."""
        failures = state.pop("ip_failures", {})
        levels = state.pop("ip_lock_levels", {})
        untils = state.pop("ip_locked_until", {})
        state["address_lockouts"] = {
            ip: AddressLockout(failures.get(ip, 0), levels.get(ip, 0), untils.get(ip))
            for ip in {**failures, **levels, **untils}
        }
        state["sessions"] = {
            sid: Session.from_dict(s) for sid, s in state.get("sessions", {}).items()
        }
        state["challenges"] = {
            cid: Challenge.from_dict(c)
            for cid, c in state.get("challenges", {}).items()
        }
        for name in ("_throttle", "_second_step_lock"):
            if state.get(name) is not None:
                state[name] = GuessingLock.from_dict(state[name])

    @property
    def status(self) -> AccountStatus:
        """Whether the account is active, frozen, deactivated or closed."""
        return AccountStatus(self._status)

    @property
    def role(self) -> str | None:
        """The role the account acts in; a shop's owner has none."""
        return None

    @property
    def employer_id(self) -> UUID | None:
        """The shop a sub-account works for; None for accounts of their own."""
        return None

    # Password

    def change_password(self, password_hash: str, actor: Actor, at: datetime) -> None:
        """Replace the password; the old hash joins the no-reuse history."""
        self._record(
            PasswordChanged,
            actor,
            at,
            password_hash=password_hash,
            history_size=PASSWORD_HISTORY,
        )

    def rehash_password(self, password_hash: str, actor: Actor, at: datetime) -> None:
        """Store the same password hashed with today's parameters."""
        self._record(PasswordRehashed, actor, at, password_hash=password_hash)

    # Lockout, per (account, client address)

    def locked_until(self, ip: str, at: datetime) -> datetime | None:
        """Until when this address is locked out of this account, if it is."""
        return self.address_lockouts.get(ip, NO_LOCKOUT).locked_at(at)

    def refuse_locked_out(self, attempt: Attempt, actor: Actor, at: datetime) -> None:
        """Record an attempt refused because its address is locked out."""
        self._record(
            LoginLockedOut,
            actor,
            at,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
        )

    def fail_password(self, attempt: Attempt, actor: Actor, at: datetime) -> None:
        """Record a wrong password; the fifth in a row locks the address out,
        each lockout in a row twice as long as the one before."""
        before = self.address_lockouts.get(attempt.ip, NO_LOCKOUT)
        failures, lockouts, locked_until = before.failures + 1, before.level, None
        if failures >= FAILURES_BEFORE_LOCKOUT:
            locked_until = at + lockout_length(before.level)
            failures, lockouts = 0, before.level + 1
        self._record(
            LoginFailed,
            actor,
            at,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
            locked_until=locked_until,
            failures_in_a_row=failures,
            lockouts_in_a_row=lockouts,
        )
        self._throttle_if_guessed(actor, at)

    # The second step

    @property
    def two_step_enabled(self) -> bool:
        """Whether a code is asked for after the password."""
        return self.two_step_secret is not None

    @property
    def has_second_step(self) -> bool:
        """Whether a password alone is not enough: codes, or a passkey."""
        return self.two_step_enabled or self.has_passkeys

    def issue_challenge(
        self,
        challenge_id: str,
        attempt: Attempt,
        actor: Actor,
        at: datetime,
        device_token_hash: str | None = None,
    ) -> datetime:
        """Ask for the second step; returns when the challenge expires."""
        expires_at = at + CHALLENGE_LIFETIME
        self._record(
            ChallengeIssued,
            actor,
            at,
            challenge_id=challenge_id,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
            expires_at=expires_at,
            device_token_hash=device_token_hash,
        )
        return expires_at

    def challenge_device(self, challenge_id: str) -> str | None:
        """The hash of the device token the challenged sign-in presented."""
        return self.challenges[challenge_id].device_token_hash

    def live_challenge(self, challenge_id: str, at: datetime) -> Attempt:
        """The attempt a live challenge belongs to; InvalidCodeError if none."""
        challenge = self.challenges.get(challenge_id)
        if challenge is None or challenge.expires_at <= at:
            raise InvalidCodeError(challenge_id)
        return challenge.attempt

    def accepts_code_step(self, step: int) -> bool:
        """Whether a code of this time step is still unspent (replay guard)."""
        return step > self.last_code_step

    def spend_code_step(self, step: int, actor: Actor, at: datetime) -> None:
        """Spend a code's time step outside a sign-in (e.g. to disable two-step)."""
        if not self.accepts_code_step(step):
            raise InvalidCodeError(str(self.id))
        self._record(CodeStepAccepted, actor, at, code_step=step)

    def start_two_step(self, secret: str, actor: Actor, at: datetime) -> None:
        """Offer a new authenticator secret; it counts once a code confirms it."""
        if self.two_step_enabled:
            raise TwoStepAlreadyEnabledError(str(self.id))
        self._record(TwoStepEnrolmentStarted, actor, at, secret=secret)

    def enable_two_step(
        self,
        step: int,
        recovery_code_hashes: list[str],
        actor: Actor,
        at: datetime,
        *,
        session_id: str | None = None,
    ) -> None:
        """Turn two-step on, once a code of the pending secret was right.

        Every session but ``session_id`` ends: one may have signed in with
        the password alone.
        """
        if self.two_step_enabled:
            raise TwoStepAlreadyEnabledError(str(self.id))
        if self.pending_two_step_secret is None:
            raise TwoStepNotStartedError(str(self.id))
        if not self.accepts_code_step(step):
            raise InvalidCodeError(str(self.id))
        self._record(
            TwoStepEnabled,
            actor,
            at,
            code_step=step,
            recovery_code_hashes=recovery_code_hashes,
        )
        self.revoke_all_sessions("two_step_enabled", actor, at, keep=session_id)

    def disable_two_step(
        self, reason: str, actor: Actor, at: datetime, *, session_id: str | None = None
    ) -> None:
        """Turn two-step off; every session but ``session_id`` ends."""
        if not self.two_step_enabled:
            raise TwoStepNotEnabledError(str(self.id))
        self._record(TwoStepDisabled, actor, at, reason=reason)
        self.revoke_all_sessions("two_step_disabled", actor, at, keep=session_id)

    def regenerate_recovery_codes(
        self, recovery_code_hashes: list[str], actor: Actor, at: datetime
    ) -> None:
        """Replace every recovery code, used or not, with a new set."""
        if not self.two_step_enabled:
            raise TwoStepNotEnabledError(str(self.id))
        self._record(
            RecoveryCodesRegenerated,
            actor,
            at,
            recovery_code_hashes=recovery_code_hashes,
        )

    @property
    def last_active_at(self) -> datetime | None:
        """The latest sign-in or noted use of a session (None: never signed in)."""
        seen = [s.last_seen for s in self.sessions.values()]
        known = [t for t in (self.last_login_at, *seen) if t is not None]
        return max(known, default=None)

    def clear_second_step(self, reason: str, actor: Actor, at: datetime) -> None:
        """Clear every second step (a lost phone): the app's codes and every
        passkey; every session ends."""
        if not self.has_second_step:
            raise TwoStepNotEnabledError(str(self.id))
        if self.two_step_enabled:
            self.disable_two_step(reason, actor, at)
        self.remove_all_passkeys(reason, actor, at)
        self.revoke_all_sessions(reason, actor, at)

    # Sessions

    def is_new_device(self, device_token_hash: str | None, at: datetime) -> bool:
        """No valid device token, on an account that has signed in before."""
        return self.last_login_at is not None and not self.knows_device(
            device_token_hash, at
        )

    def start_session(
        self,
        new: NewSession,
        attempt: Attempt,
        actor: Actor,
        at: datetime,
        *,
        challenge_id: str | None = None,
        code_step: int | None = None,
        recovery_code_hash: str | None = None,
    ) -> datetime:
        """Sign in: a session starts; returns when it ends at the latest."""
        expires_at = at + SESSION_LIFETIME
        known = self.knows_device(new.presented_device_hash, at)
        self._record(
            LoginSucceeded,
            actor,
            at,
            session_id=new.session_id,
            token_hash=new.token_hash,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
            new_device=self.is_new_device(new.presented_device_hash, at),
            expires_at=expires_at,
            challenge_id=challenge_id,
            code_step=code_step,
            recovery_code_hash=recovery_code_hash,
            device_token_hash=new.minted_device_hash or new.presented_device_hash,
            device_token_expires_at=(
                None if new.minted_device_hash is None else at + DEVICE_TOKEN_LIFETIME
            ),
            dropped_device_token_hashes=(
                []
                if new.minted_device_hash is None
                else pushed_out_by_new_token(self.device_tokens, at)
            ),
        )
        if known and new.minted_device_hash:
            self.forget_device(new.presented_device_hash, "rotated", actor, at)
        self._revoke_expired(actor, at)
        return expires_at

    def session_expiry(self, session_id: str, at: datetime) -> datetime | None:
        """When a live session ends if left idle; None if it is not live."""
        session = self.sessions.get(session_id)
        if session is None:
            return None
        ends = session.ends_at()
        return ends if ends > at else None

    def live_sessions(self, at: datetime) -> dict[str, Session]:
        """The sessions that still admit requests."""
        return {
            sid: s
            for sid, s in self.sessions.items()
            if self.session_expiry(sid, at) is not None
        }

    def session_needs_touch(self, session_id: str, at: datetime) -> bool:
        """Whether the session's use has not been noted for a while."""
        return at - self.sessions[session_id].last_seen >= SESSION_TOUCH_INTERVAL

    def touch_session(self, session_id: str, actor: Actor, at: datetime) -> None:
        """Note that a session was used, if it has not been noted lately."""
        if self.session_needs_touch(session_id, at):
            self._record(SessionTouched, actor, at, session_id=session_id)

    def session_auth_time(self, session_id: str) -> datetime | None:
        """When the session's owner last proved the password (and second step)."""
        session = self.sessions.get(session_id)
        if session is None:
            return None
        return session.auth_time

    def revoke_session(
        self,
        session_id: str,
        reason: str,
        actor: Actor,
        at: datetime,
        *,
        forget_device: bool = False,
    ) -> None:
        """End one live session (and, if asked, forget the device it came from)."""
        if session_id not in self.live_sessions(at):
            raise SessionNotFoundError(session_id)
        device = self.sessions[session_id].device_token_hash
        self._record(
            SessionsRevoked, actor, at, session_ids=[session_id], reason=reason
        )
        if forget_device:
            self.forget_device(device, reason, actor, at)

    def revoke_all_sessions(
        self, reason: str, actor: Actor, at: datetime, *, keep: str | None = None
    ) -> None:
        """End every session, or every one but ``keep``."""
        ids = [sid for sid in self.sessions if sid != keep]
        if ids:
            self._record(SessionsRevoked, actor, at, session_ids=ids, reason=reason)

    def _revoke_expired(self, actor: Actor, at: datetime) -> None:
        expired = [sid for sid in self.sessions if self.session_expiry(sid, at) is None]
        if expired:
            self._record(
                SessionsRevoked, actor, at, session_ids=expired, reason="expired"
            )
