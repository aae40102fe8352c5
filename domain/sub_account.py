"""An employee's account under a seller, with one marketplace role."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.errors import SellerGuardError
from domain.roles import Role
from domain.sign_in import PASSWORD_HISTORY, AccountStatus, SignInAccount
from domain.username import Username

DORMANT_AFTER = timedelta(days=30)
INVITATION_LIFETIME = timedelta(hours=72)


class SubAccountError(SellerGuardError):
    """Base of the sub-account errors; never raised directly."""


class SubAccountNotFoundError(SubAccountError):
    """No sub-account of this shop has that id."""

    code = "not_found"


class SubAccountInactiveError(SubAccountError):
    """The sub-account is deactivated; reactivate it first."""

    code = "sub_account_deactivated"


class SubAccountActiveError(SubAccountError):
    """The sub-account is active already."""

    code = "sub_account_active"


class NotInvitedError(SubAccountError):
    """The sub-account has no invitation waiting to be accepted."""

    code = "not_invited"


class InvitationRefusedError(SubAccountError):
    """The invitation link is not valid: used, revoked, replaced or expired."""

    code = "forbidden"


class SubAccount(SignInAccount):
    """An employee's account: signs in like the seller, acts within its role."""

    TOPIC = "sellerguard:SubAccount"
    principal_kind = "sub_account"

    class Event(SignInAccount.Event):
        TOPIC = "sellerguard:SubAccount.Event"

    class Created(Event, SignInAccount.Created):
        """The seller created the sub-account with a role."""

        TOPIC = "sellerguard:SubAccount.Created"
        seller_id: UUID
        username: str
        email: str
        role: str
        password_hash: str

    class RoleChanged(Event):
        """The seller gave the sub-account another role."""

        TOPIC = "sellerguard:SubAccount.RoleChanged"
        seller_id: UUID
        role: str
        previous_role: str

        def apply(self, account: SubAccount) -> None:
            account._role = self.role

    class Deactivated(Event):
        """The seller deactivated the sub-account; it can no longer sign in."""

        TOPIC = "sellerguard:SubAccount.Deactivated"
        seller_id: UUID
        reason: str

        def apply(self, account: SubAccount) -> None:
            account._status = AccountStatus.DEACTIVATED.value

    class Reactivated(Event):
        """The seller let the sub-account sign in again (an employee who never
        accepted their invitation is back to invited)."""

        TOPIC = "sellerguard:SubAccount.Reactivated"
        seller_id: UUID

        def apply(self, account: SubAccount) -> None:
            invited = account.pending_invitation is not None
            status = AccountStatus.INVITED if invited else AccountStatus.ACTIVE
            account._status = status.value

    class DormancyFlagged(Event):
        """No sign-in for 30 days: the seller is asked to review the account."""

        TOPIC = "sellerguard:SubAccount.DormancyFlagged"
        seller_id: UUID
        last_login_at: datetime | None

        def apply(self, account: SubAccount) -> None:
            account.dormancy_flagged_at = self.timestamp

    class Invited(Event):
        """A one-time link to set the password was issued (it replaces any other).

        ``reason`` is ``created``, ``resent`` or ``password_reset``; only the
        hash of the link's token is kept.
        """

        TOPIC = "sellerguard:SubAccount.Invited"
        seller_id: UUID
        invitation_id: str
        token_hash: str
        expires_at: datetime
        reason: str

        def apply(self, account: SubAccount) -> None:
            account._status = AccountStatus.INVITED.value
            account.invitation = {
                "invitation_id": self.invitation_id,
                "token_hash": self.token_hash,
                "expires_at": self.expires_at,
            }

    class InvitationRevoked(Event):
        """The seller withdrew the invitation; its link no longer works."""

        TOPIC = "sellerguard:SubAccount.InvitationRevoked"
        seller_id: UUID

        def apply(self, account: SubAccount) -> None:
            account.invitation = None

    class InvitationAccepted(Event):
        """The employee set their password with the link; the account is active."""

        TOPIC = "sellerguard:SubAccount.InvitationAccepted"
        seller_id: UUID
        password_hash: str
        history_size: int

        def apply(self, account: SubAccount) -> None:
            account._status = AccountStatus.ACTIVE.value
            account.invitation = None
            account.password_hash = self.password_hash
            history = [self.password_hash, *account.password_history]
            account.password_history = history[: self.history_size]

    def __init__(
        self, seller_id: UUID, username: str, email: str, role: str, password_hash: str
    ) -> None:
        self.seller_id = seller_id
        self.username = username
        self.email = email
        self._role = role
        self.dormancy_flagged_at: datetime | None = None
        self.invitation: dict[str, Any] | None = None
        self._init_sign_in(password_hash)

    @classmethod
    def create(
        cls,
        seller_id: UUID,
        username: Username,
        email: str,
        role: Role,
        password_hash: str,
        actor: Actor,
        at: datetime,
        account_id: UUID | None = None,
    ) -> SubAccount:
        """Create an employee's account under the seller (``account_id``: see
        :meth:`SellerAccount.register`)."""
        return cls._create(
            cls.Created,
            id=account_id or uuid4(),
            seller_id=seller_id,
            username=username.value,
            email=email,
            role=role.value,
            password_hash=password_hash,
            actor=actor,
            timestamp=at,
        )

    @property
    def role(self) -> Role:
        """The marketplace role the sub-account acts within."""
        return Role(self._role)

    @property
    def employer_id(self) -> UUID:
        """The shop the sub-account works for."""
        return self.seller_id

    def change_role(self, role: Role, actor: Actor, at: datetime) -> None:
        """Give the sub-account another role (no event when it is the same)."""
        if role is not self.role:
            self._record(
                self.RoleChanged,
                actor,
                at,
                seller_id=self.seller_id,
                role=role.value,
                previous_role=self._role,
            )

    def deactivate(self, reason: str, actor: Actor, at: datetime) -> None:
        """Stop the sub-account signing in; its sessions end at once."""
        if self.status is AccountStatus.DEACTIVATED:
            raise SubAccountInactiveError(str(self.id))
        self._record(
            self.Deactivated, actor, at, seller_id=self.seller_id, reason=reason
        )
        self.revoke_all_sessions("deactivated", actor, at)

    def reactivate(self, actor: Actor, at: datetime) -> None:
        """Let the sub-account sign in again."""
        if self.status is not AccountStatus.DEACTIVATED:
            raise SubAccountActiveError(str(self.id))
        self._record(self.Reactivated, actor, at, seller_id=self.seller_id)

    # Invitations

    @property
    def pending_invitation(self) -> dict[str, Any] | None:
        """The invitation waiting to be accepted (snapshots before it: none)."""
        invitation: dict[str, Any] | None = getattr(self, "invitation", None)
        return invitation

    def invite(
        self,
        invitation_id: str,
        token_hash: str,
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> datetime:
        """Issue a link to set the password (72 hours); every session ends.

        For a new invitation, a resend or the owner's reset of the password:
        until it is accepted, the account's old password no longer signs in.
        """
        if self.status is AccountStatus.DEACTIVATED:
            raise SubAccountInactiveError(str(self.id))
        if reason == "resent" and self.status is not AccountStatus.INVITED:
            raise NotInvitedError(str(self.id))
        expires_at = at + INVITATION_LIFETIME
        self._record(
            self.Invited,
            actor,
            at,
            seller_id=self.seller_id,
            invitation_id=invitation_id,
            token_hash=token_hash,
            expires_at=expires_at,
            reason=reason,
        )
        self.revoke_all_sessions("invited", actor, at)
        return expires_at

    def revoke_invitation(self, actor: Actor, at: datetime) -> None:
        """Withdraw the waiting invitation."""
        if self.pending_invitation is None:
            raise NotInvitedError(str(self.id))
        self._record(self.InvitationRevoked, actor, at, seller_id=self.seller_id)

    def live_invitation(self, invitation_id: str, at: datetime) -> str:
        """The token hash of this waiting, unexpired invitation; refused otherwise."""
        invitation = self.pending_invitation
        if (
            self.status is not AccountStatus.INVITED
            or invitation is None
            or invitation["invitation_id"] != invitation_id
            or invitation["expires_at"] <= at
        ):
            raise InvitationRefusedError(str(self.id))
        token_hash: str = invitation["token_hash"]
        return token_hash

    def accept_invitation(
        self, invitation_id: str, password_hash: str, actor: Actor, at: datetime
    ) -> None:
        """Set the employee's own password with a live invitation."""
        self.live_invitation(invitation_id, at)
        self._record(
            self.InvitationAccepted,
            actor,
            at,
            seller_id=self.seller_id,
            password_hash=password_hash,
            history_size=PASSWORD_HISTORY,
        )

    def is_dormant(self, at: datetime) -> bool:
        """Active, unflagged, and nobody signed in for 30 days."""
        last_active = self.last_login_at or self.created_on
        flagged = self.dormancy_flagged_at
        return (
            self.status is AccountStatus.ACTIVE
            and at - last_active >= DORMANT_AFTER
            and (flagged is None or flagged < last_active)
        )

    def flag_dormancy(self, actor: Actor, at: datetime) -> None:
        """Ask the seller to review a dormant account (once per dormancy)."""
        if self.is_dormant(at):
            self._record(
                self.DormancyFlagged,
                actor,
                at,
                seller_id=self.seller_id,
                last_login_at=self.last_login_at,
            )
