"""Signing in and out: passwords, the second step, lockout, sessions."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.login_names import LoginNames
from application.ports import Authenticator, Clock, PasswordHasher
from application.principals import (
    SERVICE_KEY,
    BearerToken,
    Principal,
    UnauthorizedError,
    digest,
    principal_of,
)
from domain.actor import Actor
from domain.passkeys import PasskeyNotFoundError, PasskeyRejectedError
from domain.seller_account import SellerAccount
from domain.service_key import ServiceKey
from domain.sign_in import (
    AccountClosedError,
    AccountFrozenError,
    AccountStatus,
    Attempt,
    InvalidCodeError,
    InvalidCredentialsError,
    NewSession,
    SessionNotFoundError,
    SignInAccount,
)

SECOND_STEP_METHODS = ("totp", "recovery_code")
PASSKEY = "passkey"
# Statuses refused exactly like a wrong password, after the right credentials.
CANNOT_SIGN_IN = (AccountStatus.DEACTIVATED, AccountStatus.INVITED)
SERVICE_KEY_FRESHNESS = 0.05  # seconds
DEVICE_TOKEN = "sgd1"  # noqa: S105 - a version tag, not a secret


@dataclass(frozen=True)
class SessionGrant:
    """A started session: the token, shown once, and who it signs in.

    ``device_token`` names the device for this account in later sign-ins
    (the one it presented, when that was valid).
    """

    token: str
    expires_at: datetime
    principal: Principal
    position: int
    device_token: str


def device_token_hash(token: str | None) -> str | None:
    """What the account keeps of a device token (None for no token)."""
    return digest(token) if token else None


@dataclass(frozen=True)
class ChallengeView:
    """The password was right; a second step is needed (a code, or a passkey
    answering ``passkey_options``)."""

    challenge_id: str
    methods: tuple[str, ...]
    expires_at: datetime
    passkey_options: dict[str, Any] | None = None


def second_step_methods(account: SignInAccount) -> tuple[str, ...]:
    """How the account proves the second step: codes when two-step is on,
    a passkey when it has one; none means the password is enough."""
    codes = SECOND_STEP_METHODS if account.two_step_enabled else ()
    return codes + ((PASSKEY,) if account.has_passkeys else ())


def recovery_code_hash(code: str) -> str:
    """Recovery codes are compared without dashes, spaces or letter case."""
    return digest("".join(code.split()).replace("-", "").lower())


class SignIn:
    """The use cases of signing in and out, for every kind of account."""

    def __init__(
        self,
        names: LoginNames,
        hasher: PasswordHasher,
        authenticator: Authenticator,
        clock: Clock,
    ) -> None:
        self.names = names
        self.ledger = names.ledger
        self.hasher = hasher
        self.authenticator = authenticator
        self.clock = clock
        # Unknown usernames pay one verification too, so time reveals nothing.
        self._decoy_hash = hasher.hash(secrets.token_urlsafe(16))
        self._service_keys: dict[str, tuple[float, Principal]] = {}
        self.ledger.after_save(self._forget_service_keys)

    def login(
        self,
        username: str,
        password: str,
        attempt: Attempt,
        actor: Actor,
        device_token: str | None = None,
    ) -> SessionGrant | ChallengeView:
        """Check the password; start a session or ask for the second step.

        Refused exactly like a wrong password: an address locked out of the
        account, and an unknown device while the account is throttled.
        """
        account = self.names.account_named(username)
        if account is None:
            self.hasher.verify(self._decoy_hash, password)
            raise InvalidCredentialsError(username)
        now = self.clock.now()
        device = _Device(device_token)
        if account.locked_until(attempt.ip, now) is not None or (
            account.guessing_throttled(now)
            and not account.knows_device(device.hash, now)
        ):
            self.hasher.verify(self._decoy_hash, password)
            self._record(account.id, lambda a: a.refuse_locked_out(attempt, actor, now))
            raise InvalidCredentialsError(username)
        if not self.hasher.verify(account.password_hash, password):
            self._record(account.id, lambda a: a.fail_password(attempt, actor, now))
            raise InvalidCredentialsError(username)
        if account.status in CANNOT_SIGN_IN:
            raise InvalidCredentialsError(username)
        self._refuse_shut_shop(account)
        rehash = (
            self.hasher.hash(password)
            if self.hasher.needs_rehash(account.password_hash)
            else None
        )
        if second_step_methods(account):
            return self._challenge(account, attempt, actor, rehash, device.hash)
        return self._start_session(account.id, attempt, actor, device, rehash=rehash)

    def complete_challenge(
        self, challenge_id: str, code: str, actor: Actor
    ) -> SessionGrant:
        """Finish signing in with an authenticator or recovery code.

        While the account's second step is locked every code is refused
        unchecked, and recorded as a locked-out attempt.
        """
        opened = self._open_challenge(challenge_id, actor)
        account, secret = opened.account, opened.account.two_step_secret or ""
        step = self.authenticator.matching_step(secret, code, opened.now)
        if step is not None and account.accepts_code_step(step):
            return self._start_session(
                account.id,
                opened.attempt,
                actor,
                opened.device,
                challenge_id=challenge_id,
                code_step=step,
            )
        code_hash = recovery_code_hash(code)
        if code_hash in account.recovery_code_hashes:
            return self._start_session(
                account.id,
                opened.attempt,
                actor,
                opened.device,
                challenge_id=challenge_id,
                recovery_code_hash=code_hash,
            )
        self._fail_second_step(opened, actor)
        raise InvalidCodeError(challenge_id)

    def pending_challenge(self, challenge_id: str) -> ChallengeView:
        """What a live challenge asks for, again (the console's second-step
        page shows it after a redirect, and after a wrong answer).

        Records nothing; an unknown or lapsed challenge is refused like a
        wrong code.
        """
        account = self.ledger.find(_challenge_account(challenge_id), SignInAccount)
        if account is None:
            raise InvalidCodeError(challenge_id)
        account.live_challenge(challenge_id, self.clock.now())
        expires_at = account.challenges[challenge_id].expires_at
        return self._challenge_view(account, challenge_id, expires_at)

    def _open_challenge(self, challenge_id: str, actor: Actor) -> _OpenChallenge:
        """The live challenge a second step answers, before any answer is checked.

        Whatever answers it (a code or a passkey) is refused the same way: an
        unknown or lapsed challenge, and, while the second step is locked,
        every answer unchecked (recorded as a locked-out attempt); a frozen or
        closed shop is refused as such.
        """
        account_id = _challenge_account(challenge_id)
        account = self.ledger.find(account_id, SignInAccount)
        if account is None:
            raise InvalidCodeError(challenge_id)
        now = self.clock.now()
        attempt = account.live_challenge(challenge_id, now)
        if account.second_step_locked(now):
            self._record(account_id, lambda a: a.refuse_locked_out(attempt, actor, now))
            raise InvalidCodeError(challenge_id)
        self._refuse_shut_shop(account)
        device = _Device(None, account.challenge_device(challenge_id))
        return _OpenChallenge(challenge_id, account, attempt, now, device)

    def _fail_second_step(self, opened: _OpenChallenge, actor: Actor) -> None:
        """Count a wrong answer (the fifth in a row locks the second step)."""
        challenge_id, now = opened.challenge_id, opened.now
        self._record(
            opened.account.id,
            lambda a: (
                a.fail_second_step(challenge_id, actor, now)
                if challenge_id in a.challenges
                else None
            ),
        )

    def authenticate(
        self, token: str, request_id: str | None, ip: str | None
    ) -> Principal:
        """The principal behind a bearer token; UnauthorizedError otherwise."""
        parsed = BearerToken.parse(token)
        if parsed.is_service_key:
            return self._authenticate_service(parsed)
        account = self.ledger.peek(parsed.owner_id, SignInAccount)
        if account is None:
            raise UnauthorizedError("no such account")
        session = account.sessions.get(parsed.session_id)
        now = self.clock.now()
        if (
            session is None
            or not hmac.compare_digest(session.token_hash, parsed.hash)
            or account.session_expiry(parsed.session_id, now) is None
        ):
            raise UnauthorizedError("no live session")
        principal = principal_of(account, parsed.session_id)
        if account.session_needs_touch(parsed.session_id, now):
            actor = principal.actor(request_id, ip)
            self._record(
                account.id,
                lambda a: (
                    a.touch_session(parsed.session_id, actor, now)
                    if parsed.session_id in a.sessions
                    else None
                ),
            )
        return principal

    def logout(self, principal: Principal, actor: Actor) -> None:
        """End the session the request came with."""
        session_id = principal.session_id
        if session_id is None:  # a service key has no session to end
            raise SessionNotFoundError(str(principal.id))
        now = self.clock.now()
        self._record(
            principal.id, lambda a: a.revoke_session(session_id, "logout", actor, now)
        )

    def _refuse_shut_shop(self, account: SignInAccount) -> None:
        """Refuse an account, or a sub-account of a shop, that is frozen or closed."""
        shop: SignInAccount | None = account
        if account.employer_id is not None:
            shop = self.ledger.find(account.employer_id, SellerAccount)
        for status in (account.status, None if shop is None else shop.status):
            if status is AccountStatus.CLOSED:
                raise AccountClosedError(str(account.id))
            if status is AccountStatus.FROZEN:
                raise AccountFrozenError(str(account.id))

    def service(self, token: str) -> Principal | None:
        """The service behind a live service key; None for anything else."""
        try:
            return self._authenticate_service(BearerToken.parse(token, (SERVICE_KEY,)))
        except UnauthorizedError:
            return None

    def _authenticate_service(self, parsed: BearerToken) -> Principal:
        # Services call at checkout rates: a key confirmed within the last
        # SERVICE_KEY_FRESHNESS is trusted without asking the store again
        # (a revocation elsewhere takes effect within that; here, at once).
        cached = self._service_keys.get(parsed.hash)
        if cached is not None and time.monotonic() - cached[0] < SERVICE_KEY_FRESHNESS:
            return cached[1]
        key = self.ledger.peek(parsed.owner_id, ServiceKey)
        if (
            key is None
            or key.revoked
            or not hmac.compare_digest(key.key_hash, parsed.hash)
        ):
            self._service_keys.pop(parsed.hash, None)
            raise UnauthorizedError("no such service key")
        principal = principal_of(key, None)
        self._service_keys[parsed.hash] = (time.monotonic(), principal)
        return principal

    def _forget_service_keys(self, position: int) -> None:
        self._service_keys.clear()

    def _challenge(
        self,
        account: SignInAccount,
        attempt: Attempt,
        actor: Actor,
        rehash: str | None,
        device_hash: str | None,
    ) -> ChallengeView:
        account_id = account.id
        challenge_id = f"{account_id.hex}.{secrets.token_urlsafe(16)}"
        now = self.clock.now()

        def issue(account: SignInAccount) -> datetime:
            if rehash:
                account.rehash_password(rehash, actor, now)
            return account.issue_challenge(
                challenge_id, attempt, actor, now, device_hash
            )

        expires_at, _ = self.ledger.update(account_id, SignInAccount, issue)
        return self._challenge_view(account, challenge_id, expires_at)

    def _challenge_view(
        self, account: SignInAccount, challenge_id: str, expires_at: datetime
    ) -> ChallengeView:
        """What the 202 of a password sign-in offers (passkeys add options)."""
        return ChallengeView(challenge_id, second_step_methods(account), expires_at)

    def _start_session(
        self,
        account_id: UUID,
        attempt: Attempt,
        actor: Actor,
        device: _Device,
        *,
        rehash: str | None = None,
        challenge_id: str | None = None,
        code_step: int | None = None,
        recovery_code_hash: str | None = None,
        passkey_use: PasskeyUse | None = None,
    ) -> SessionGrant:
        token = BearerToken.mint_session(account_id)
        minted = _Device(f"{DEVICE_TOKEN}.{secrets.token_urlsafe(32)}")
        now = self.clock.now()

        def start(account: SignInAccount) -> tuple[datetime, Principal, str]:
            if challenge_id is not None:
                account.live_challenge(challenge_id, now)  # still live on retry
            if code_step is not None and not account.accepts_code_step(code_step):
                raise InvalidCodeError(str(account_id))  # spent meanwhile
            if (
                recovery_code_hash is not None
                and recovery_code_hash not in account.recovery_code_hashes
            ):
                raise InvalidCodeError(str(account_id))  # spent meanwhile
            if passkey_use is not None:
                passkey_use.record(account, actor, now)  # its counter moves on
            if rehash:
                account.rehash_password(rehash, actor, now)
            # A valid token presented here is handed back; one presented to
            # the challenge (kept only as its hash) is replaced by a new one.
            echo = device.value is not None and account.knows_device(device.hash, now)
            expires = account.start_session(
                NewSession(
                    token.session_id,
                    token.hash,
                    device.hash,
                    None if echo else minted.hash,
                ),
                attempt,
                actor,
                now,
                challenge_id=challenge_id,
                code_step=code_step,
                recovery_code_hash=recovery_code_hash,
            )
            kept = device.value if echo else minted.value
            return expires, principal_of(account, token.session_id), str(kept)

        (expires_at, principal, kept), position = self.ledger.update(
            account_id, SignInAccount, start
        )
        return SessionGrant(token.value, expires_at, principal, position, kept)

    def _record(
        self, account_id: UUID, command: Callable[[SignInAccount], None]
    ) -> int:
        return self.ledger.update(account_id, SignInAccount, command).position


@dataclass(frozen=True)
class PasskeyUse:
    """A verified passkey signature a sign-in rests on, and its counter."""

    passkey_id: str
    sign_count: int

    def record(self, account: SignInAccount, actor: Actor, at: datetime) -> None:
        """Note the use on fresh state; refused if a use got there first and
        the counter no longer moves forward (or the passkey was removed)."""
        try:
            passkey = account.passkey(self.passkey_id)
        except PasskeyNotFoundError:
            raise PasskeyRejectedError("removed") from None
        if passkey.counter_regressed(self.sign_count):
            raise PasskeyRejectedError("counter")
        account.use_passkey(self.passkey_id, self.sign_count, actor, at)


@dataclass(frozen=True)
class _Device:
    """The device token a sign-in presented (its value, or only its hash)."""

    value: str | None
    known_hash: str | None = None

    @property
    def hash(self) -> str | None:
        return self.known_hash or device_token_hash(self.value)


@dataclass(frozen=True)
class _OpenChallenge:
    """A live, unlocked challenge about to be answered, as it stood when opened."""

    challenge_id: str
    account: SignInAccount
    attempt: Attempt
    now: datetime
    device: _Device


def _challenge_account(challenge_id: str) -> UUID:
    try:
        return UUID(hex=challenge_id.split(".", 1)[0])
    except ValueError:
        raise InvalidCodeError(challenge_id) from None
