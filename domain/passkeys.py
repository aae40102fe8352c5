"""Passkeys (WebAuthn credentials): the phishing-proof way in.

An account keeps each passkey's public key, never a secret: what it holds is
the credential id, the COSE public key, the signature counter, a name the
owner chose, and when it was added and last used. Ceremonies (the challenges
a browser signs) live in :mod:`domain.passkey_ceremony`; checking signatures
is the application's port, never the domain's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.actor import Actor
from domain.aggregate import Recorded, shared_event
from domain.errors import SellerGuardError

if TYPE_CHECKING:  # sign_in builds on this module
    from domain.sign_in import Attempt

MAX_PASSKEYS = 20
NAME_LENGTH = 64


class PasskeyError(SellerGuardError):
    """Base of the passkeys' errors; never raised directly."""


class PasskeyNotFoundError(PasskeyError):
    """The account has no passkey with that id."""

    code = "not_found"


class PasskeyAlreadyRegisteredError(PasskeyError):
    """That authenticator's credential is already a passkey of this account."""

    code = "passkey_rejected"


class PasskeyLimitReachedError(PasskeyError):
    """The account already has as many passkeys as it may (20)."""

    code = "passkey_limit_reached"


@dataclass(frozen=True)
class Passkey:
    """One registered passkey, as the account knows it (no secret in it)."""

    id: str
    credential_id: str  # base64url, as browsers send it
    public_key: str  # the COSE key, base64url
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None

    def counter_regressed(self, presented: int) -> bool:
        """Whether a presented signature counter fails to move forward.

        Authenticators that keep no counter always send 0; once either side
        is above 0, each use must be higher than the last (else a copy of the
        key is in use somewhere).
        """
        if presented == 0 and self.sign_count == 0:
            return False
        return presented <= self.sign_count


@dataclass(frozen=True)
class NewPasskey:
    """What a verified registration ceremony yields, to be kept."""

    credential_id: str
    public_key: str
    sign_count: int
    aaguid: str
    backed_up: bool


@shared_event
class PasskeyAdded(Recorded.Event):
    """A passkey was registered to the account."""

    TOPIC = "sellerguard:PasskeyAdded"
    passkey_id: str
    credential_id: str
    public_key: str
    sign_count: int
    name: str
    aaguid: str
    backed_up: bool

    def apply(self, account: Any) -> None:
        account._passkeys = {
            **account.passkey_records,
            self.passkey_id: {
                "credential_id": self.credential_id,
                "public_key": self.public_key,
                "sign_count": self.sign_count,
                "name": self.name,
                "created_at": self.timestamp,
                "last_used_at": None,
            },
        }


@shared_event
class PasskeyRenamed(Recorded.Event):
    """The owner gave a passkey another name."""

    TOPIC = "sellerguard:PasskeyRenamed"
    passkey_id: str
    name: str

    def apply(self, account: Any) -> None:
        records = dict(account.passkey_records)
        records[self.passkey_id] = {**records[self.passkey_id], "name": self.name}
        account._passkeys = records


@shared_event
class PasskeyRemoved(Recorded.Event):
    """A passkey stopped opening the account."""

    TOPIC = "sellerguard:PasskeyRemoved"
    passkey_id: str
    name: str
    reason: str

    def apply(self, account: Any) -> None:
        records = dict(account.passkey_records)
        records.pop(self.passkey_id, None)
        account._passkeys = records


@shared_event
class PasskeyUsed(Recorded.Event):
    """A passkey signed a sign-in; its signature counter moved on."""

    TOPIC = "sellerguard:PasskeyUsed"
    passkey_id: str
    sign_count: int

    def apply(self, account: Any) -> None:
        records = dict(account.passkey_records)
        record = records.get(self.passkey_id)
        if record is not None:
            records[self.passkey_id] = {
                **record,
                "sign_count": self.sign_count,
                "last_used_at": self.timestamp,
            }
            account._passkeys = records


@shared_event
class PasskeyCloneSuspected(Recorded.Event):
    """A correctly signed sign-in whose counter went backwards: a copy of the
    passkey may be in use. It was refused."""

    TOPIC = "sellerguard:PasskeyCloneSuspected"
    passkey_id: str
    name: str
    stored_count: int
    presented_count: int
    ip: str
    user_agent: str
    device_id: str


@shared_event
class PasskeySignInRefused(Recorded.Event):
    """A sign-in with one of the account's passkeys did not verify (wrong
    site, unverified user, bad signature, spent challenge...)."""

    TOPIC = "sellerguard:PasskeySignInRefused"
    passkey_id: str
    reason: str
    ip: str
    user_agent: str
    device_id: str


class PasskeyHolder(Recorded):
    """An account that may have passkeys (accounts older than passkeys have
    none: they are read with a default)."""

    @property
    def passkey_records(self) -> dict[str, dict[str, Any]]:
        """Passkey id → its stored record (plain values, for snapshots)."""
        records: dict[str, dict[str, Any]] = self.__dict__.get("_passkeys") or {}
        return records

    @property
    def passkeys(self) -> list[Passkey]:
        """The account's passkeys, oldest first."""
        found = [
            Passkey(id=key, **record) for key, record in self.passkey_records.items()
        ]
        return sorted(found, key=lambda p: p.created_at)

    @property
    def has_passkeys(self) -> bool:
        """Whether at least one passkey opens the account."""
        return bool(self.passkey_records)

    def passkey(self, passkey_id: str) -> Passkey:
        """One passkey by its id; PasskeyNotFoundError if none."""
        record = self.passkey_records.get(passkey_id)
        if record is None:
            raise PasskeyNotFoundError(passkey_id)
        return Passkey(id=passkey_id, **record)

    def passkey_with_credential(self, credential_id: str) -> Passkey | None:
        """The passkey of that credential id, if it is one of this account's."""
        for passkey in self.passkeys:
            if passkey.credential_id == credential_id:
                return passkey
        return None

    def add_passkey(
        self, passkey_id: str, new: NewPasskey, name: str, actor: Actor, at: datetime
    ) -> Passkey:
        """Register a verified credential under a name."""
        if self.passkey_with_credential(new.credential_id) is not None:
            raise PasskeyAlreadyRegisteredError(new.credential_id)
        if len(self.passkey_records) >= MAX_PASSKEYS:
            raise PasskeyLimitReachedError(str(self.id))
        self._record(
            PasskeyAdded,
            actor,
            at,
            passkey_id=passkey_id,
            credential_id=new.credential_id,
            public_key=new.public_key,
            sign_count=new.sign_count,
            name=name,
            aaguid=new.aaguid,
            backed_up=new.backed_up,
        )
        return self.passkey(passkey_id)

    def rename_passkey(
        self, passkey_id: str, name: str, actor: Actor, at: datetime
    ) -> Passkey:
        """Give a passkey another name (nothing is recorded for the same name)."""
        if self.passkey(passkey_id).name != name:
            self._record(PasskeyRenamed, actor, at, passkey_id=passkey_id, name=name)
        return self.passkey(passkey_id)

    def remove_passkey(
        self, passkey_id: str, reason: str, actor: Actor, at: datetime
    ) -> None:
        """Stop a passkey opening the account."""
        name = self.passkey(passkey_id).name
        self._record(
            PasskeyRemoved, actor, at, passkey_id=passkey_id, name=name, reason=reason
        )

    def remove_all_passkeys(self, reason: str, actor: Actor, at: datetime) -> None:
        """Stop every passkey opening the account (a recovery reset)."""
        for passkey in self.passkeys:
            self.remove_passkey(passkey.id, reason, actor, at)

    def use_passkey(
        self, passkey_id: str, sign_count: int, actor: Actor, at: datetime
    ) -> None:
        """Note a verified use; the caller checked the counter moved forward."""
        self._record(
            PasskeyUsed, actor, at, passkey_id=passkey_id, sign_count=sign_count
        )

    def suspect_clone(
        self,
        passkey_id: str,
        presented_count: int,
        attempt: Attempt,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Record a refused sign-in whose counter went backwards."""
        if passkey_id not in self.passkey_records:
            return  # removed meanwhile: nothing left to suspect
        passkey = self.passkey(passkey_id)
        self._record(
            PasskeyCloneSuspected,
            actor,
            at,
            passkey_id=passkey_id,
            name=passkey.name,
            stored_count=passkey.sign_count,
            presented_count=presented_count,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
        )

    def refuse_passkey(
        self, passkey_id: str, reason: str, attempt: Attempt, actor: Actor, at: datetime
    ) -> None:
        """Record a sign-in with this passkey that did not verify."""
        self._record(
            PasskeySignInRefused,
            actor,
            at,
            passkey_id=passkey_id,
            reason=reason,
            ip=attempt.ip,
            user_agent=attempt.user_agent,
            device_id=attempt.device_id,
        )


class PasskeyRejectedError(PasskeyError):
    """The passkey's answer did not verify: wrong site, relying party,
    challenge, user verification, signature or attestation."""

    code = "passkey_rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
