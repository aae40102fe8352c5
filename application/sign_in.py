"""Signing in and out: passwords, the second step, lockout, sessions."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.ledger import Ledger
from application.ports import Authenticator, Clock, PasswordHasher
from application.principals import (
    Principal,
    SessionToken,
    UnauthorizedError,
    digest,
)
from domain.actor import Actor, ActorKind
from domain.sign_in import (
    AccountFrozenError,
    AccountStatus,
    Attempt,
    InvalidCodeError,
    InvalidCredentialsError,
    NewSession,
    SignInAccount,
)
from domain.username import Username, UsernameError
from domain.username_index import UsernameIndex

SECOND_STEP_METHODS = ("totp", "recovery_code")


@dataclass(frozen=True)
class SessionGrant:
    """A started session: the token, shown once, and who it signs in."""

    token: str
    expires_at: datetime
    principal: Principal
    position: int


@dataclass(frozen=True)
class ChallengeView:
    """The password was right; a second-step code is needed."""

    challenge_id: str
    methods: tuple[str, ...]
    expires_at: datetime


def recovery_code_hash(code: str) -> str:
    """Recovery codes are compared without dashes, spaces or letter case."""
    return digest("".join(code.split()).replace("-", "").lower())


class SignIn:
    """The use cases of signing in and out, for every kind of account."""

    def __init__(
        self,
        ledger: Ledger,
        hasher: PasswordHasher,
        authenticator: Authenticator,
        clock: Clock,
        index_namespace: UUID,
    ) -> None:
        self.ledger = ledger
        self.hasher = hasher
        self.authenticator = authenticator
        self.clock = clock
        self.index_namespace = index_namespace
        # Unknown usernames pay one verification too, so time reveals nothing.
        self._decoy_hash = hasher.hash(secrets.token_urlsafe(16))

    def login(
        self, username: str, password: str, attempt: Attempt, actor: Actor
    ) -> SessionGrant | ChallengeView:
        """Check the password; start a session or ask for the second step."""
        account = self._account_named(username)
        if account is None:
            self.hasher.verify(self._decoy_hash, password)
            raise InvalidCredentialsError(username)
        now = self.clock.now()
        if account.locked_until(attempt.ip, now) is not None:
            self.hasher.verify(self._decoy_hash, password)
            self._record(account.id, lambda a: a.refuse_locked_out(attempt, actor, now))
            raise InvalidCredentialsError(username)
        if not self.hasher.verify(account.password_hash, password):
            self._record(account.id, lambda a: a.fail_password(attempt, actor, now))
            raise InvalidCredentialsError(username)
        if account.status in (AccountStatus.DEACTIVATED, AccountStatus.CLOSED):
            raise InvalidCredentialsError(username)
        if account.status is AccountStatus.FROZEN:
            raise AccountFrozenError(str(account.id))
        rehash = (
            self.hasher.hash(password)
            if self.hasher.needs_rehash(account.password_hash)
            else None
        )
        if account.two_step_enabled:
            return self._challenge(account.id, attempt, actor, rehash)
        return self._start_session(account.id, attempt, actor, rehash=rehash)

    def complete_challenge(
        self, challenge_id: str, code: str, actor: Actor
    ) -> SessionGrant:
        """Finish signing in with an authenticator or recovery code."""
        account_id = _challenge_account(challenge_id)
        account = self.ledger.find(account_id)
        if not isinstance(account, SignInAccount):
            raise InvalidCodeError(challenge_id)
        now = self.clock.now()
        attempt = account.live_challenge(challenge_id, now)
        if account.status is AccountStatus.FROZEN:
            raise AccountFrozenError(str(account.id))
        secret = account.two_step_secret or ""
        step = self.authenticator.matching_step(secret, code, now)
        if step is not None and account.accepts_code_step(step):
            return self._start_session(
                account_id, attempt, actor, challenge_id=challenge_id, code_step=step
            )
        code_hash = recovery_code_hash(code)
        if code_hash in account.recovery_code_hashes:
            return self._start_session(
                account_id,
                attempt,
                actor,
                challenge_id=challenge_id,
                recovery_code_hash=code_hash,
            )
        self._record(
            account_id,
            lambda a: (
                a.fail_code(challenge_id, actor, now)
                if challenge_id in a.challenges
                else None
            ),
        )
        raise InvalidCodeError(challenge_id)

    def authenticate(
        self, token: str, request_id: str | None, ip: str | None
    ) -> Principal:
        """The principal behind a bearer token; UnauthorizedError otherwise."""
        parsed = SessionToken.parse(token)
        account = self.ledger.find(parsed.account_id)
        if not isinstance(account, SignInAccount):
            raise UnauthorizedError("no such account")
        session = account.sessions.get(parsed.session_id)
        now = self.clock.now()
        if (
            session is None
            or not hmac.compare_digest(session["token_hash"], parsed.hash)
            or account.session_expiry(parsed.session_id, now) is None
        ):
            raise UnauthorizedError("no live session")
        principal = _principal_of(account, parsed.session_id)
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
        now = self.clock.now()
        self._record(
            principal.id,
            lambda a: a.revoke_session(principal.session_id, "logout", actor, now),
        )

    def _account_named(self, username: str) -> Any | None:
        try:
            index_id = Username(username).index_id(self.index_namespace)
        except UsernameError:
            return None
        index = self.ledger.find(index_id)
        if not isinstance(index, UsernameIndex):
            return None
        return self.ledger.find(index.account_id)

    def _challenge(
        self, account_id: UUID, attempt: Attempt, actor: Actor, rehash: str | None
    ) -> ChallengeView:
        challenge_id = f"{account_id.hex}.{secrets.token_urlsafe(16)}"
        now = self.clock.now()

        def issue(account: Any) -> datetime:
            if rehash:
                account.rehash_password(rehash, actor, now)
            expires: datetime = account.issue_challenge(
                challenge_id, attempt, actor, now
            )
            return expires

        expires_at, _ = self.ledger.update(account_id, issue)
        return ChallengeView(challenge_id, SECOND_STEP_METHODS, expires_at)

    def _start_session(
        self,
        account_id: UUID,
        attempt: Attempt,
        actor: Actor,
        *,
        rehash: str | None = None,
        challenge_id: str | None = None,
        code_step: int | None = None,
        recovery_code_hash: str | None = None,
    ) -> SessionGrant:
        token = SessionToken.mint(account_id)
        now = self.clock.now()

        def start(account: Any) -> tuple[datetime, Principal]:
            if challenge_id is not None:
                account.live_challenge(challenge_id, now)  # still live on retry
            if code_step is not None and not account.accepts_code_step(code_step):
                raise InvalidCodeError(str(account_id))  # spent meanwhile
            if (
                recovery_code_hash is not None
                and recovery_code_hash not in account.recovery_code_hashes
            ):
                raise InvalidCodeError(str(account_id))  # spent meanwhile
            if rehash:
                account.rehash_password(rehash, actor, now)
            expires: datetime = account.start_session(
                NewSession(token.session_id, token.hash),
                attempt,
                actor,
                now,
                challenge_id=challenge_id,
                code_step=code_step,
                recovery_code_hash=recovery_code_hash,
            )
            return expires, _principal_of(account, token.session_id)

        (expires_at, principal), position = self.ledger.update(account_id, start)
        return SessionGrant(token.value, expires_at, principal, position)

    def _record(self, account_id: UUID, command: Any) -> int:
        _, position = self.ledger.update(account_id, command)
        return position


def _challenge_account(challenge_id: str) -> UUID:
    try:
        return UUID(hex=challenge_id.split(".", 1)[0])
    except ValueError:
        raise InvalidCodeError(challenge_id) from None


def _principal_of(account: Any, session_id: str) -> Principal:
    return Principal(
        kind=ActorKind(account.principal_kind),
        id=account.id,
        role=getattr(account, "role", None),
        seller_id=getattr(account, "seller_id", account.id),
        session_id=session_id,
    )
