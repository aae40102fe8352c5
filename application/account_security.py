"""A signed-in person's own security settings: password, two-step, sessions."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.accounts import AccountView, account_view
from application.credentials import Credentials
from application.ledger import Changes, Ledger
from application.ports import Authenticator, Clock, PasskeyCeremonies
from application.principals import Principal
from application.session_checks import SessionChecks
from application.sign_in import recovery_code_hash
from domain.actor import Actor
from domain.password_policy import PasswordContext
from domain.seller_account import SellerAccount
from domain.sign_in import (
    InvalidCodeError,
    SignInAccount,
    TwoStepNotEnabledError,
    TwoStepNotStartedError,
)
from domain.sub_account import SubAccount

RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


@dataclass(frozen=True)
class Enrolment:
    """A started two-step enrolment: what the authenticator app needs."""

    secret: str
    provisioning_uri: str
    qr_svg: str


@dataclass(frozen=True)
class SessionView:
    """One live session of the principal."""

    id: str
    started_at: datetime
    last_seen: datetime
    ip: str
    device_id: str
    current: bool


def new_recovery_code() -> str:
    """Ten random characters (about 49 bits), shown as ``xxxxx-xxxxx``."""
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


class AccountSecurity:
    """The use cases of ``/me``: each acts on the caller's own account."""

    def __init__(
        self,
        ledger: Ledger,
        credentials: Credentials,
        authenticator: Authenticator,
        clock: Clock,
        webauthn: PasskeyCeremonies | None = None,
    ) -> None:
        self.ledger = ledger
        self.credentials = credentials
        self.authenticator = authenticator
        self.clock = clock
        self.checks = SessionChecks(
            ledger, credentials.hasher, authenticator, clock, webauthn
        )

    def view(self, principal: Principal) -> AccountView:
        """The caller's account."""
        return account_view(self.ledger.load(principal.id, SignInAccount))

    def change_password(
        self, principal: Principal, current: str, new: str, actor: Actor
    ) -> int:
        """Set a new password; every other session and known device of the
        caller ends (a wrong current password counts as a guess)."""
        account = self.ledger.load(principal.id, SignInAccount)
        hasher = self.credentials.hasher
        self.checks.password(principal, account, current, actor)
        new_hash = self.credentials.hash_new_password(
            new,
            PasswordContext(
                account.username,
                account.email,
                account.birth_date if isinstance(account, SellerAccount) else None,
                matches_recent=lambda candidate: any(
                    hasher.verify(old, candidate) for old in account.password_history
                ),
            ),
        )
        now = self.clock.now()

        def change(fresh: SignInAccount) -> None:
            fresh.pass_session_check(str(principal.session_id), actor, now)
            fresh.change_password(new_hash, actor, now)
            fresh.revoke_all_sessions(
                "password_changed", actor, now, keep=principal.session_id
            )
            session = fresh.sessions.get(str(principal.session_id))
            fresh.forget_devices(
                "password_changed",
                actor,
                now,
                keep=None if session is None else session.device_token_hash,
            )

        return self.ledger.update(principal.id, SignInAccount, change).position

    def start_two_step(self, principal: Principal, actor: Actor) -> Enrolment:
        """Offer a new authenticator secret (two-step is on once confirmed)."""
        secret = self.authenticator.new_secret()
        now = self.clock.now()

        def start(account: SignInAccount) -> str:
            account.start_two_step(secret, actor, now)
            return account.username

        username = self.ledger.update(principal.id, SignInAccount, start).result
        uri = self.authenticator.provisioning_uri(secret, username)
        return Enrolment(secret, uri, self.authenticator.qr_svg(uri))

    def confirm_two_step(
        self, principal: Principal, code: str, actor: Actor
    ) -> list[str]:
        """Turn two-step on with a first code; returns the recovery codes, once."""
        account = self.ledger.load(principal.id, SignInAccount)
        if account.pending_two_step_secret is None:
            raise TwoStepNotStartedError(str(principal.id))
        now = self.clock.now()
        step = self.authenticator.matching_step(
            account.pending_two_step_secret, code, now
        )
        if step is None:
            raise InvalidCodeError(str(principal.id))
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        hashes = [recovery_code_hash(code) for code in codes]
        self.ledger.update(
            principal.id,
            SignInAccount,
            lambda a: a.enable_two_step(
                step, hashes, actor, now, session_id=principal.session_id
            ),
        )
        return codes

    def regenerate_recovery_codes(
        self, principal: Principal, actor: Actor
    ) -> list[str]:
        """Issue ten new recovery codes; the old ones stop working. Shown once."""
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        hashes = [recovery_code_hash(code) for code in codes]
        now = self.clock.now()
        self.ledger.update(
            principal.id,
            SignInAccount,
            lambda a: a.regenerate_recovery_codes(hashes, actor, now),
        )
        return codes

    def disable_two_step(
        self, principal: Principal, password: str, code: str, actor: Actor
    ) -> None:
        """Turn two-step off with the password and a current code (each wrong
        one counts as a guess); every other session ends."""
        account = self.ledger.load(principal.id, SignInAccount)
        if not account.two_step_enabled:
            raise TwoStepNotEnabledError(str(principal.id))
        self.checks.password(principal, account, password, actor)
        step = self.checks.code(principal, account, code, actor)
        now = self.clock.now()

        def disable(fresh: SignInAccount) -> None:
            fresh.pass_session_check(str(principal.session_id), actor, now)
            fresh.spend_code_step(step, actor, now)
            fresh.disable_two_step(
                "by_owner", actor, now, session_id=principal.session_id
            )

        self.ledger.update(principal.id, SignInAccount, disable)

    def sessions(self, principal: Principal) -> list[SessionView]:
        """The caller's live sessions, newest first."""
        account = self.ledger.load(principal.id, SignInAccount)
        live = account.live_sessions(self.clock.now())
        views = [
            SessionView(
                sid,
                s.started_at,
                s.last_seen,
                s.ip,
                s.device_id,
                sid == principal.session_id,
            )
            for sid, s in live.items()
        ]
        # Newest first; among equal start times, the later-started first.
        return sorted(views, key=lambda v: v.started_at)[::-1]

    def revoke_session(
        self, principal: Principal, session_id: str, actor: Actor
    ) -> None:
        """End one of the caller's sessions."""
        now = self.clock.now()
        self.ledger.update(
            principal.id,
            SignInAccount,
            lambda a: a.revoke_session(
                session_id, "revoked_by_owner", actor, now, forget_device=True
            ),
        )

    def reauthenticate(
        self,
        principal: Principal,
        password: str,
        code: str | None,
        actor: Actor,
        passkey: tuple[str | None, Mapping[str, Any] | None] = (None, None),
    ) -> datetime:
        """Renew the session's ``auth_time`` with the password (and a code, or
        a passkey answering ``challenge_id``)."""
        return self.checks.reauthenticate(principal, password, code, actor, passkey)

    def freeze(self, principal: Principal, reason: str, actor: Actor) -> UUID:
        """Freeze the caller's own shop: every session of it ends at once."""
        now = self.clock.now()

        def freeze_shop(changes: Changes) -> None:
            shop = changes.load(principal.id, SellerAccount)
            shop.freeze(reason, actor, now)
            for sub_id in shop.sub_account_ids:
                sub_account = changes.load(sub_id, SubAccount)
                sub_account.revoke_all_sessions("account_frozen", actor, now)

        self.ledger.commit(freeze_shop)
        return principal.id
