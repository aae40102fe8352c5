"""Signing in with a passkey: as the second step, and without a password.

Both go through the sign-in use cases of :mod:`application.sign_in` (the same
lockouts, challenges, sessions, device tokens, history and alerts); this
module adds only what a passkey changes: options to sign, the signature to
verify, and the counter to check.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from application.login_names import LoginNames
from application.passkeys import Ceremonies, CeremonyOptions
from application.ports import Authenticator, Clock, PasskeyCeremonies, PasswordHasher
from application.sign_in import (
    CANNOT_SIGN_IN,
    PASSKEY,
    ChallengeView,
    PasskeyUse,
    SessionGrant,
    SignIn,
    _Device,
)
from domain.actor import Actor
from domain.passkey_ceremony import CeremonyNotLiveError, CeremonyPurpose
from domain.passkeys import PasskeyRejectedError
from domain.sign_in import (
    Attempt,
    InvalidCodeError,
    InvalidCredentialsError,
    SignInAccount,
)

SECOND_STEP = b"sellerguard passkey second step\x00"
# Ceremonies for usernames nobody has are bound to an account that cannot
# exist, so the answer looks the same and no passkey can answer it.
NOBODY = UUID("6d5a3b1e-0000-4000-8000-000000000000")


class PasskeyCloneSuspectedError(PasskeyRejectedError):
    """The signature was right but the counter went backwards."""


def second_step_challenge(challenge_id: str) -> str:
    """The WebAuthn challenge of a sign-in challenge, base64url.

    Derived from the challenge id (128 random bits, kept by the account's
    ``ChallengeIssued``), so it lives, lapses and is spent with it.
    """
    digest = hashlib.sha256(SECOND_STEP + challenge_id.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class PasskeySignIn(SignIn):
    """The sign-in use cases, with passkeys as a second step and on their own."""

    def __init__(
        self,
        names: LoginNames,
        hasher: PasswordHasher,
        authenticator: Authenticator,
        clock: Clock,
        webauthn: PasskeyCeremonies,
    ) -> None:
        super().__init__(names, hasher, authenticator, clock)
        self.webauthn = webauthn
        self.ceremonies = Ceremonies(self.ledger, clock)

    def _challenge_view(
        self, account: SignInAccount, challenge_id: str, expires_at: datetime
    ) -> ChallengeView:
        view = super()._challenge_view(account, challenge_id, expires_at)
        if PASSKEY not in view.methods:
            return view
        options = self.webauthn.request_options(
            second_step_challenge(challenge_id),
            [p.credential_id for p in account.passkeys],
        )
        return replace(view, passkey_options=options)

    def complete_challenge_with_passkey(
        self, challenge_id: str, credential: Mapping[str, Any], actor: Actor
    ) -> SessionGrant:
        """Finish a password sign-in with a passkey instead of a code.

        A refused passkey counts like a wrong code (the password was right);
        while the second step is locked, passkeys are refused too.
        """
        opened = self._open_challenge(challenge_id, actor)
        try:
            use = self._verified_use(
                opened.account,
                credential,
                second_step_challenge(challenge_id),
                opened.attempt,
                actor,
            )
        except PasskeyCloneSuspectedError:
            raise InvalidCodeError(challenge_id) from None
        except PasskeyRejectedError:
            self._fail_second_step(opened, actor)
            raise InvalidCodeError(challenge_id) from None
        try:
            return self._start_session(
                opened.account.id,
                opened.attempt,
                actor,
                opened.device,
                challenge_id=challenge_id,
                passkey_use=use,
            )
        except PasskeyRejectedError:
            raise InvalidCodeError(challenge_id) from None

    def passwordless_options(
        self, username: str | None, actor: Actor
    ) -> CeremonyOptions:
        """Start a sign-in without a password: options for any passkey of ours.

        With a username only that account's passkeys may answer. The options
        never list credentials, so they tell nothing about who exists or has
        a passkey (ours are discoverable: registration requires it).
        """
        bound = None
        if username:
            account = self.names.account_named(username)
            bound = account.id if account else uuid5(NOBODY, username.casefold())
        challenge = self.webauthn.new_challenge()
        options = self.webauthn.request_options(challenge, [])
        challenge_id = self.ceremonies.start(
            CeremonyPurpose.SIGN_IN, bound, challenge, actor
        )
        return CeremonyOptions(challenge_id, options)

    def sign_in_with_passkey(
        self,
        challenge_id: str,
        credential: Mapping[str, Any],
        attempt: Attempt,
        actor: Actor,
        device_token: str | None = None,
    ) -> SessionGrant:
        """Sign in with a passkey alone: it is both factors.

        The challenge is spent whatever happens. Refused exactly like a wrong
        password: a credential that is not the account's, an address locked
        out of the account, a signature that does not verify (recorded in the
        account's history), a deactivated account.
        """
        try:
            challenge, bound = self.ceremonies.spend(
                challenge_id, CeremonyPurpose.SIGN_IN, None, actor
            )
            account = self._claimed_account(credential, bound)
        except (CeremonyNotLiveError, PasskeyRejectedError):
            raise InvalidCredentialsError(challenge_id) from None
        now = self.clock.now()
        if account.locked_until(attempt.ip, now) is not None:
            self._record(account.id, lambda a: a.refuse_locked_out(attempt, actor, now))
            raise InvalidCredentialsError(challenge_id)
        try:
            use = self._verified_use(
                account, credential, challenge, attempt, actor, record_refusal=True
            )
        except PasskeyRejectedError:
            raise InvalidCredentialsError(challenge_id) from None
        if account.status in CANNOT_SIGN_IN:
            raise InvalidCredentialsError(challenge_id)
        self._refuse_shut_shop(account)
        try:
            return self._start_session(
                account.id, attempt, actor, _Device(device_token), passkey_use=use
            )
        except PasskeyRejectedError:
            raise InvalidCredentialsError(challenge_id) from None

    def _claimed_account(
        self, credential: Mapping[str, Any], bound: UUID | None
    ) -> SignInAccount:
        """The account whose passkey the credential claims to be (unverified).

        The ceremony's account when it was bound to a username, else the
        user handle the authenticator returned; either way the credential
        must be one of that account's passkeys.
        """
        assertion = self.webauthn.read_assertion(credential)
        handle = assertion.user_handle
        claimed = None if handle is None or len(handle) != 16 else UUID(bytes=handle)
        if bound is not None and handle is not None and claimed != bound:
            raise PasskeyRejectedError("user handle of another account")
        account_id = bound or claimed
        account = (
            None if account_id is None else self.ledger.find(account_id, SignInAccount)
        )
        if (
            account is None
            or account.passkey_with_credential(assertion.credential_id) is None
        ):
            raise PasskeyRejectedError("not a passkey of the account")
        return account

    def _verified_use(
        self,
        account: SignInAccount,
        credential: Mapping[str, Any],
        challenge: str,
        attempt: Attempt,
        actor: Actor,
        *,
        record_refusal: bool = False,
    ) -> PasskeyUse:
        """The verified use of one of the account's passkeys; refusals (and a
        counter going backwards) are recorded on the account."""
        assertion = self.webauthn.read_assertion(credential)
        passkey = account.passkey_with_credential(assertion.credential_id)
        handle = assertion.user_handle
        if passkey is None or (handle is not None and handle != account.id.bytes):
            raise PasskeyRejectedError("not a passkey of the account")
        now = self.clock.now()
        try:
            count = self.webauthn.verify_assertion(
                credential, challenge, passkey.public_key
            )
        except PasskeyRejectedError as error:
            reason = error.reason
            if record_refusal:
                self._record(
                    account.id,
                    lambda a: a.refuse_passkey(passkey.id, reason, attempt, actor, now),
                )
            raise
        if passkey.counter_regressed(count):
            self._record(
                account.id,
                lambda a: a.suspect_clone(passkey.id, count, attempt, actor, now),
            )
            raise PasskeyCloneSuspectedError("counter")
        return PasskeyUse(passkey.id, count)
