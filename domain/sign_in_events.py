"""The events of signing in, shared by every kind of account a person signs in to."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.aggregate import Recorded, shared_event
from domain.devices import with_device_token
from domain.guessing_events import note_password_failure

if TYPE_CHECKING:
    from domain.sign_in import SignInAccount
from domain.sign_in_state import NO_LOCKOUT, AddressLockout, Challenge, Session

# Each ``apply`` assigns what its command decided; the values it assigns are
# the frozen ones of ``sign_in_state``.


@shared_event
class PasswordChanged(Recorded.Event):
    """A new password hash replaced the old one, which joins the history."""

    TOPIC = "sellerguard:PasswordChanged"
    password_hash: str
    history_size: int

    def apply(self, account: SignInAccount) -> None:
        history = [self.password_hash, *account.password_history]
        account.last_credentials_change = self.timestamp  # doubles payout holds
        account.password_hash = self.password_hash
        account.password_history = history[: self.history_size]


@shared_event
class PasswordRehashed(Recorded.Event):
    """The same password was hashed again with today's Argon2 parameters."""

    TOPIC = "sellerguard:PasswordRehashed"
    password_hash: str

    def apply(self, account: SignInAccount) -> None:
        account.password_history = [self.password_hash, *account.password_history[1:]]
        account.password_hash = self.password_hash


@shared_event
class LoginFailed(Recorded.Event):
    """A wrong password; ``locked_until`` is set when it locked the address out.

    ``failures_in_a_row`` and ``lockouts_in_a_row`` are the address's counts
    after this failure, as the command decided them (None in events recorded
    before version 2, whose counts are derived as they were then).
    """

    TOPIC = "sellerguard:LoginFailed"
    class_version = 2
    ip: str
    user_agent: str
    device_id: str
    locked_until: datetime | None
    failures_in_a_row: int | None
    lockouts_in_a_row: int | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["failures_in_a_row"] = None
        state["lockouts_in_a_row"] = None

    def apply(self, account: SignInAccount) -> None:
        note_password_failure(account, self.timestamp)
        before: AddressLockout = account.address_lockouts.get(self.ip, NO_LOCKOUT)
        if self.failures_in_a_row is None or self.lockouts_in_a_row is None:
            after = _counted_as_in_v1(before, self.locked_until)
        else:
            after = replace(
                before,
                failures=self.failures_in_a_row,
                level=self.lockouts_in_a_row,
                until=self.locked_until or before.until,
            )
        account.address_lockouts[self.ip] = after


def _counted_as_in_v1(
    before: AddressLockout, locked_until: datetime | None
) -> AddressLockout:
    """The address's lockout after a version-1 LoginFailed, as it was derived."""
    if locked_until is None:
        return replace(before, failures=before.failures + 1)
    return AddressLockout(failures=0, level=before.level + 1, until=locked_until)


@shared_event
class LoginLockedOut(Recorded.Event):
    """An attempt from a locked-out address was refused unchecked."""

    TOPIC = "sellerguard:LoginLockedOut"
    ip: str
    user_agent: str
    device_id: str


@shared_event
class ChallengeIssued(Recorded.Event):
    """The password was right; the second step is now asked for."""

    TOPIC = "sellerguard:ChallengeIssued"
    class_version = 2
    challenge_id: str
    ip: str
    user_agent: str
    device_id: str
    expires_at: datetime
    device_token_hash: str | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["device_token_hash"] = None

    def apply(self, account: SignInAccount) -> None:
        lockout = account.address_lockouts.pop(self.ip, NO_LOCKOUT)
        if replace(lockout, failures=0) != NO_LOCKOUT:
            account.address_lockouts[self.ip] = replace(lockout, failures=0)
        account.challenges[self.challenge_id] = Challenge(
            ip=self.ip,
            user_agent=self.user_agent,
            device_id=self.device_id,
            expires_at=self.expires_at,
            device_token_hash=self.device_token_hash,
        )


@shared_event
class ChallengeCodeFailed(Recorded.Event):
    """A wrong second-step code; ``voided`` when it was one too many.

    Recorded before wrong codes were counted per account (now SecondStepFailed).
    """

    TOPIC = "sellerguard:ChallengeCodeFailed"
    challenge_id: str
    voided: bool

    def apply(self, account: SignInAccount) -> None:
        if self.voided:
            account.challenges.pop(self.challenge_id, None)
        else:
            challenge = account.challenges[self.challenge_id]
            account.challenges[self.challenge_id] = replace(
                challenge, failures=challenge.failures + 1
            )


@shared_event
class LoginSucceeded(Recorded.Event):
    """Someone signed in and a session started."""

    TOPIC = "sellerguard:LoginSucceeded"
    class_version = 3
    session_id: str
    token_hash: str
    ip: str
    user_agent: str
    device_id: str
    new_device: bool
    expires_at: datetime
    challenge_id: str | None
    code_step: int | None
    recovery_code_hash: str | None
    # The device token this session signed in with; its expiry when it was
    # issued by this sign-in (None when the device presented a valid one).
    device_token_hash: str | None
    device_token_expires_at: datetime | None
    # The device tokens the new one pushed out (expired, or the oldest beyond
    # the cap), as the command decided; None before version 3.
    dropped_device_token_hashes: list[str] | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["device_token_hash"] = None
        state["device_token_expires_at"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["dropped_device_token_hashes"] = None

    def apply(self, account: SignInAccount) -> None:
        account.last_login_at = self.timestamp
        account.address_lockouts.pop(self.ip, None)
        if self.device_token_hash and self.device_token_expires_at:
            if self.dropped_device_token_hashes is None:  # before version 3
                account._device_tokens = with_device_token(
                    account.device_tokens,
                    self.device_token_hash,
                    self.device_id,
                    self.timestamp,
                    self.device_token_expires_at,
                )
            else:
                dropped = set(self.dropped_device_token_hashes)
                tokens = {
                    h: t for h, t in account.device_tokens.items() if h not in dropped
                }
                tokens[self.device_token_hash] = {
                    "device_id": self.device_id,
                    "issued_at": self.timestamp,
                    "expires_at": self.device_token_expires_at,
                }
                account._device_tokens = tokens
        if self.challenge_id is not None:
            account.challenges.pop(self.challenge_id, None)
        if self.code_step is not None:
            account.last_code_step = self.code_step
        if self.recovery_code_hash is not None:
            account.recovery_code_hashes.remove(self.recovery_code_hash)
        account.sessions[self.session_id] = Session(
            token_hash=self.token_hash,
            started_at=self.timestamp,
            last_seen=self.timestamp,
            expires_at=self.expires_at,
            ip=self.ip,
            device_id=self.device_id,
            auth_time=self.timestamp,
            device_token_hash=self.device_token_hash,
        )


@shared_event
class SessionTouched(Recorded.Event):
    """A session was used again (recorded at most every few minutes)."""

    TOPIC = "sellerguard:SessionTouched"
    session_id: str

    def apply(self, account: SignInAccount) -> None:
        session = account.sessions[self.session_id]
        account.sessions[self.session_id] = replace(session, last_seen=self.timestamp)


@shared_event
class SessionsRevoked(Recorded.Event):
    """Sessions ended before their time: logout, password change, freeze..."""

    TOPIC = "sellerguard:SessionsRevoked"
    session_ids: list[str]
    reason: str

    def apply(self, account: SignInAccount) -> None:
        for session_id in self.session_ids:
            account.sessions.pop(session_id, None)


@shared_event
class TwoStepEnrolmentStarted(Recorded.Event):
    """An authenticator app was offered a new secret, not yet confirmed."""

    TOPIC = "sellerguard:TwoStepEnrolmentStarted"
    secret: str

    def apply(self, account: SignInAccount) -> None:
        account.pending_two_step_secret = self.secret


@shared_event
class TwoStepEnabled(Recorded.Event):
    """A code from the app confirmed the secret; recovery codes were issued."""

    TOPIC = "sellerguard:TwoStepEnabled"
    code_step: int
    recovery_code_hashes: list[str]

    def apply(self, account: SignInAccount) -> None:
        account.two_step_secret = account.pending_two_step_secret
        account.pending_two_step_secret = None
        account.last_code_step = self.code_step
        account.recovery_code_hashes = list(self.recovery_code_hashes)


@shared_event
class TwoStepDisabled(Recorded.Event):
    """Two-step verification was turned off."""

    TOPIC = "sellerguard:TwoStepDisabled"
    reason: str

    def apply(self, account: SignInAccount) -> None:
        account.last_credentials_change = self.timestamp  # doubles payout holds
        account.two_step_secret = None
        account.pending_two_step_secret = None
        account.recovery_code_hashes = []
        account.challenges = {}


@shared_event
class CodeStepAccepted(Recorded.Event):
    """A two-step code was used outside a sign-in; its time step is spent."""

    TOPIC = "sellerguard:CodeStepAccepted"
    code_step: int

    def apply(self, account: SignInAccount) -> None:
        account.last_code_step = self.code_step
