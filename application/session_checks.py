"""Passwords and codes checked behind a session, counted like sign-in failures.

Someone holding a stolen session must not get unlimited guesses at the
password or the code: each wrong one counts against the account (and may
throttle or lock it like wrong sign-ins) and the fifth in a row ends the
session. Reauthentication, which renews a session's ``auth_time``, lives
here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from application.ledger import Ledger
from application.passkeys import Ceremonies
from application.ports import Authenticator, Clock, PasskeyCeremonies, PasswordHasher
from application.principals import Principal
from application.sign_in import PasskeyUse
from domain.actor import Actor
from domain.passkey_ceremony import CeremonyNotLiveError, CeremonyPurpose
from domain.passkeys import PasskeyRejectedError
from domain.sign_in import (
    Attempt,
    InvalidCodeError,
    InvalidCredentialsError,
    SignInAccount,
)


class SessionChecks:
    """The checks of the password and the code made with a valid session."""

    def __init__(
        self,
        ledger: Ledger,
        hasher: PasswordHasher,
        authenticator: Authenticator,
        clock: Clock,
        webauthn: PasskeyCeremonies | None = None,
    ) -> None:
        self.ledger = ledger
        self.hasher = hasher
        self.authenticator = authenticator
        self.clock = clock
        self.webauthn = webauthn
        self.ceremonies = Ceremonies(ledger, clock)

    def password(
        self, principal: Principal, account: SignInAccount, password: str, actor: Actor
    ) -> None:
        """Pass, or count the failure and raise InvalidCredentialsError."""
        if not self.hasher.verify(account.password_hash, password):
            self._fail(principal, "password", actor)
            raise InvalidCredentialsError(str(principal.id))

    def code(
        self,
        principal: Principal,
        account: SignInAccount,
        code: str | None,
        actor: Actor,
    ) -> int:
        """The time step of a right, unspent code; otherwise InvalidCodeError.

        A wrong code counts; every code is refused unchecked (and uncounted)
        while the account's second step is locked; a missing one is refused.
        """
        now = self.clock.now()
        if account.second_step_locked(now) or not code:
            raise InvalidCodeError(str(principal.id))
        secret = account.two_step_secret or ""
        step = self.authenticator.matching_step(secret, code, now)
        if step is None or not account.accepts_code_step(step):
            self._fail(principal, "code", actor)
            raise InvalidCodeError(str(principal.id))
        return step

    def passkey(
        self,
        principal: Principal,
        account: SignInAccount,
        answer: tuple[str | None, Mapping[str, Any] | None],
        actor: Actor,
    ) -> PasskeyUse:
        """The verified use of one of the account's passkeys, signed for a
        reauthentication challenge of this account; a refusal counts like a
        wrong code (a missing answer is refused uncounted)."""
        challenge_id, credential = answer
        now = self.clock.now()
        if account.second_step_locked(now) or not challenge_id or credential is None:
            raise InvalidCodeError(str(principal.id))
        try:
            challenge, _ = self.ceremonies.spend(
                challenge_id, CeremonyPurpose.REAUTHENTICATION, principal.id, actor
            )
            use = self._verified(account, credential, challenge)
        except (CeremonyNotLiveError, PasskeyRejectedError):
            self._fail(principal, "code", actor)
            raise InvalidCodeError(str(principal.id)) from None
        if account.passkey(use.passkey_id).counter_regressed(use.sign_count):
            where = Attempt(actor.ip or "unknown", "", "reauthentication")
            self.ledger.update(
                principal.id,
                SignInAccount,
                lambda a: a.suspect_clone(
                    use.passkey_id, use.sign_count, where, actor, now
                ),
            )
            raise InvalidCodeError(str(principal.id))
        return use

    def _verified(
        self, account: SignInAccount, credential: Mapping[str, Any], challenge: str
    ) -> PasskeyUse:
        if self.webauthn is None:
            raise PasskeyRejectedError("passkeys are not configured")
        assertion = self.webauthn.read_assertion(credential)
        passkey = account.passkey_with_credential(assertion.credential_id)
        handle = assertion.user_handle
        if passkey is None or (handle is not None and handle != account.id.bytes):
            raise PasskeyRejectedError("not a passkey of the account")
        count = self.webauthn.verify_assertion(
            credential, challenge, passkey.public_key
        )
        return PasskeyUse(passkey.id, count)

    def reauthenticate(
        self,
        principal: Principal,
        password: str,
        code: str | None,
        actor: Actor,
        passkey: tuple[str | None, Mapping[str, Any] | None] = (None, None),
    ) -> datetime:
        """Prove the password and the second step, when there is one, again:
        a code, or a passkey (required when a passkey is the only one)."""
        account = self.ledger.load(principal.id, SignInAccount)
        self.password(principal, account, password, actor)
        use, step = None, None
        if passkey[1] is not None or (
            account.has_passkeys and not account.two_step_enabled
        ):
            use = self.passkey(principal, account, passkey, actor)
        elif account.two_step_enabled:
            step = self.code(principal, account, code, actor)
        now = self.clock.now()
        session_id = str(principal.session_id)

        def renew(fresh: SignInAccount) -> None:
            if step is not None:
                fresh.spend_code_step(step, actor, now)
            if use is not None:
                use.record(fresh, actor, now)
            fresh.reauthenticate(session_id, actor, now)

        try:
            self.ledger.update(principal.id, SignInAccount, renew)
        except PasskeyRejectedError:  # the counter moved meanwhile
            raise InvalidCodeError(str(principal.id)) from None
        return now

    def _fail(self, principal: Principal, check: str, actor: Actor) -> None:
        now = self.clock.now()
        session_id = str(principal.session_id)
        self.ledger.update(
            principal.id,
            SignInAccount,
            lambda fresh: fresh.fail_session_check(session_id, check, actor, now),
        )
