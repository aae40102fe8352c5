"""Invitations: an employee sets their own password with a one-time link.

The owner never learns the employee's password. The link's token is derived
from the link key (outside the database) and the invitation's id, and the
sub-account keeps only its hash: an insider reading the store learns nothing
that opens the account, and a token names the one account it was made for.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from application.accounts import AccountView, account_view, username_of
from application.credentials import Credentials
from application.ledger import Ledger
from application.notices import Invitation
from application.ports import Clock, LinkKeys
from application.principals import BearerToken, UnauthorizedError, digest
from domain.actor import Actor
from domain.password_policy import PasswordContext
from domain.sub_account import InvitationRefusedError, SubAccount

INVITATION_TOKEN = "sgi1"  # noqa: S105 - a version tag, not a secret
DEFAULT_INVITATION_URL = "http://127.0.0.1:8080/invitation"


class InvitationLinks:
    """The invitation tokens and links of one deployment."""

    def __init__(self, keys: LinkKeys, base_url: str = DEFAULT_INVITATION_URL) -> None:
        self.keys = keys
        self.base_url = base_url.rstrip("/")

    def token(self, account_id: UUID, invitation_id: str) -> BearerToken:
        """The token of one invitation of one account (the same every time)."""
        secret = self.keys.derive("invitation", f"{account_id}:{invitation_id}")
        value = f"{INVITATION_TOKEN}.{account_id.hex}.{invitation_id}.{secret}"
        return BearerToken(INVITATION_TOKEN, account_id, invitation_id, value)

    def link(self, account_id: UUID, invitation_id: str) -> str:
        """Where the employee sets their password."""
        query = urlencode({"token": self.token(account_id, invitation_id).value})
        return f"{self.base_url}?{query}"

    def new_invitation(self, account_id: UUID) -> tuple[str, str]:
        """A fresh invitation id and the hash of its token, for the event."""
        invitation_id = uuid4().hex
        return invitation_id, digest(self.token(account_id, invitation_id).value)


def invitation_of(ledger: Ledger) -> Callable[[Any], Invitation]:
    """What a mail about an employee's event names: the shop, by its login
    name (names never change), and the employee's role as the event left it
    (so a rebuilt outbox words the mail the same)."""

    def of(event: Any) -> Invitation:
        try:
            account: object = ledger.repository.get(
                event.originator_id, version=event.originator_version
            )
        except AggregateNotFoundError:
            return Invitation(None, None)
        if not isinstance(account, SubAccount):
            return Invitation(None, None)
        return Invitation(
            username_of(ledger, account.seller_id), str(account.role.value)
        )

    return of


def invite(
    account: SubAccount,
    links: InvitationLinks,
    reason: str,
    actor: Actor,
    at: datetime,
) -> datetime:
    """Issue a new invitation of the account (it replaces any other)."""
    invitation_id, token_hash = links.new_invitation(account.id)
    return account.invite(invitation_id, token_hash, reason, actor, at)


class Invitations:
    """The employee's side: accepting an invitation by setting a password."""

    def __init__(
        self,
        ledger: Ledger,
        credentials: Credentials,
        links: InvitationLinks,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.credentials = credentials
        self.links = links
        self.clock = clock

    def accept(self, token: str, password: str, actor: Actor) -> AccountView:
        """Set the password with a live invitation; the account becomes active.

        A used, revoked, replaced, expired, altered or foreign token is
        refused alike (403), before the password is looked at.
        """
        account, invitation_id = self._invited_by(token)
        hasher = self.credentials.hasher
        password_hash = self.credentials.hash_new_password(
            password,
            PasswordContext(
                account.username,
                account.email,
                matches_recent=lambda candidate: any(
                    hasher.verify(old, candidate) for old in account.password_history
                ),
            ),
        )
        now = self.clock.now()

        def accept(fresh: SubAccount) -> SubAccount:
            fresh.accept_invitation(invitation_id, password_hash, actor, now)
            return fresh

        accepted, position = self.ledger.update(account.id, SubAccount, accept)
        return account_view(accepted, position)

    def _invited_by(self, token: str) -> tuple[SubAccount, str]:
        try:
            parsed = BearerToken.parse(token, (INVITATION_TOKEN,))
        except UnauthorizedError:
            raise InvitationRefusedError("malformed") from None
        account = self.ledger.find(parsed.owner_id, SubAccount)
        if account is None:
            raise InvitationRefusedError(str(parsed.owner_id))
        stored = account.live_invitation(parsed.session_id, self.clock.now())
        expected = self.links.token(account.id, parsed.session_id).value
        if not (
            hmac.compare_digest(stored, digest(token))
            and hmac.compare_digest(expected.encode(), token.encode())
        ):
            raise InvitationRefusedError(str(account.id))
        return account, parsed.session_id
