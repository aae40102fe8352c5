"""Passwords and codes checked behind a session, counted like sign-in failures.

Someone holding a stolen session must not get unlimited guesses at the
password or the code: each wrong one counts against the account (and may
throttle or lock it like wrong sign-ins) and the fifth in a row ends the
session. Reauthentication, which renews a session's ``auth_time``, lives
here too.
"""

from __future__ import annotations

from datetime import datetime

from application.ledger import Ledger
from application.ports import Authenticator, Clock, PasswordHasher
from application.principals import Principal
from domain.actor import Actor
from domain.sign_in import InvalidCodeError, InvalidCredentialsError, SignInAccount


class SessionChecks:
    """The checks of the password and the code made with a valid session."""

    def __init__(
        self,
        ledger: Ledger,
        hasher: PasswordHasher,
        authenticator: Authenticator,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.hasher = hasher
        self.authenticator = authenticator
        self.clock = clock

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

    def reauthenticate(
        self, principal: Principal, password: str, code: str | None, actor: Actor
    ) -> datetime:
        """Prove the password (and the second step, when on) again."""
        account = self.ledger.load(principal.id, SignInAccount)
        self.password(principal, account, password, actor)
        step = (
            self.code(principal, account, code, actor)
            if account.two_step_enabled
            else None
        )
        now = self.clock.now()
        session_id = str(principal.session_id)

        def renew(fresh: SignInAccount) -> None:
            if step is not None:
                fresh.spend_code_step(step, actor, now)
            fresh.reauthenticate(session_id, actor, now)

        self.ledger.update(principal.id, SignInAccount, renew)
        return now

    def _fail(self, principal: Principal, check: str, actor: Actor) -> None:
        now = self.clock.now()
        session_id = str(principal.session_id)
        self.ledger.update(
            principal.id,
            SignInAccount,
            lambda fresh: fresh.fail_session_check(session_id, check, actor, now),
        )
