"""A person's own passkeys: registering, listing, naming and removing them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from application.ledger import Changes, Ledger
from application.ports import Clock, PasskeyCeremonies
from application.principals import Principal
from domain.actor import Actor
from domain.passkey_ceremony import (
    CeremonyNotLiveError,
    CeremonyPurpose,
    PasskeyCeremony,
)
from domain.passkeys import Passkey
from domain.sign_in import SignInAccount


@dataclass(frozen=True)
class CeremonyOptions:
    """A started ceremony: its id, and the options the browser needs."""

    challenge_id: str
    options: dict[str, Any]


@dataclass(frozen=True)
class PasskeyView:
    """One passkey as its owner sees it (no key material)."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


def passkey_view(passkey: Passkey) -> PasskeyView:
    """What the owner is shown of a passkey."""
    return PasskeyView(
        passkey.id, passkey.name, passkey.created_at, passkey.last_used_at
    )


class Ceremonies:
    """Challenges kept in the store: issued, then spent once by whichever
    process gets the answer."""

    def __init__(self, ledger: Ledger, clock: Clock) -> None:
        self.ledger = ledger
        self.clock = clock

    def start(
        self,
        purpose: CeremonyPurpose,
        account_id: UUID | None,
        challenge: str,
        actor: Actor,
    ) -> str:
        """Keep a new challenge; returns the ceremony's id."""
        ceremony = PasskeyCeremony.start(
            purpose, account_id, challenge, actor, self.clock.now()
        )

        def keep(changes: Changes) -> None:
            changes.add(ceremony)

        self.ledger.commit(keep)
        return str(ceremony.id)

    def spend(
        self,
        challenge_id: str,
        purpose: CeremonyPurpose,
        account_id: UUID | None,
        actor: Actor,
    ) -> tuple[str, UUID | None]:
        """Spend a live challenge once; returns it and the account it was
        issued to. CeremonyNotLiveError for anything else."""
        try:
            ceremony_id = UUID(challenge_id)
        except ValueError:
            raise CeremonyNotLiveError(challenge_id) from None
        now = self.clock.now()

        def spend(ceremony: PasskeyCeremony) -> tuple[str, UUID | None]:
            return ceremony.spend(purpose, account_id, actor, now), ceremony.account_id

        try:
            return self.ledger.update(ceremony_id, PasskeyCeremony, spend).result
        except AggregateNotFoundError:
            raise CeremonyNotLiveError(challenge_id) from None


class Passkeys:
    """The use cases of ``/me/passkeys``: each acts on the caller's account."""

    def __init__(
        self, ledger: Ledger, ceremonies: PasskeyCeremonies, clock: Clock
    ) -> None:
        self.ledger = ledger
        self.webauthn = ceremonies
        self.clock = clock
        self.challenges = Ceremonies(ledger, clock)

    def registration_options(
        self, principal: Principal, actor: Actor
    ) -> CeremonyOptions:
        """Start registering a passkey: creation options for the browser."""
        account = self.ledger.load(principal.id, SignInAccount)
        challenge = self.webauthn.new_challenge()
        options = self.webauthn.creation_options(
            challenge,
            account.id.bytes,
            account.username,
            [p.credential_id for p in account.passkeys],
        )
        challenge_id = self.challenges.start(
            CeremonyPurpose.REGISTRATION, account.id, challenge, actor
        )
        return CeremonyOptions(challenge_id, options)

    def register(
        self,
        principal: Principal,
        challenge_id: str,
        name: str,
        credential: Mapping[str, Any],
        actor: Actor,
    ) -> PasskeyView:
        """Keep the passkey the browser created, if its answer verifies.

        The challenge is spent first, whatever the outcome: it never counts
        twice.
        """
        challenge, _ = self.challenges.spend(
            challenge_id, CeremonyPurpose.REGISTRATION, principal.id, actor
        )
        new = self.webauthn.verify_registration(credential, challenge)
        now = self.clock.now()
        passkey_id = str(uuid4())
        added = self.ledger.update(
            principal.id,
            SignInAccount,
            lambda a: a.add_passkey(passkey_id, new, name, actor, now),
        ).result
        return passkey_view(added)

    def reauthentication_options(
        self, principal: Principal, actor: Actor
    ) -> CeremonyOptions:
        """Request options to prove the session's owner again with a passkey."""
        account = self.ledger.load(principal.id, SignInAccount)
        challenge = self.webauthn.new_challenge()
        options = self.webauthn.request_options(
            challenge, [p.credential_id for p in account.passkeys]
        )
        challenge_id = self.challenges.start(
            CeremonyPurpose.REAUTHENTICATION, account.id, challenge, actor
        )
        return CeremonyOptions(challenge_id, options)

    def list(self, principal: Principal) -> list[PasskeyView]:
        """The caller's passkeys, newest first."""
        account = self.ledger.load(principal.id, SignInAccount)
        return [passkey_view(p) for p in reversed(account.passkeys)]

    def rename(
        self, principal: Principal, passkey_id: str, name: str, actor: Actor
    ) -> PasskeyView:
        """Give one of the caller's passkeys another name."""
        now = self.clock.now()
        renamed = self.ledger.update(
            principal.id,
            SignInAccount,
            lambda a: a.rename_passkey(passkey_id, name, actor, now),
        ).result
        return passkey_view(renamed)

    def remove(self, principal: Principal, passkey_id: str, actor: Actor) -> None:
        """Remove one of the caller's passkeys; every other session ends (one
        may have signed in with it)."""
        now = self.clock.now()

        def remove(account: SignInAccount) -> None:
            account.remove_passkey(passkey_id, "removed_by_owner", actor, now)
            account.revoke_all_sessions(
                "passkey_removed", actor, now, keep=principal.session_id
            )

        self.ledger.update(principal.id, SignInAccount, remove)
