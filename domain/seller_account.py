"""A shop's main account: the seller who owns the shop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.errors import SellerGuardError
from domain.inactivity import InactivityStage, closes_at, stage_at
from domain.payout_account import PayoutHolder
from domain.recovery_case import CaseAlreadyOpenError
from domain.sign_in import AccountStatus, SignInAccount
from domain.username import Username


class SellerAccountError(SellerGuardError):
    """Base of the seller account's errors; never raised directly."""


class AccountNotFrozenError(SellerAccountError):
    """The account is not frozen."""

    code = "account_not_frozen"


# Everything that keeps someone out for a while after failures: a recovery
# reset empties all of it.
LOCKOUT_STATE: dict[str, Callable[[], Any]] = {
    "address_lockouts": dict,  # per address (sign_in)
    "challenges": dict,
    "_password_failures": list,  # per account, from anywhere (guessing)
    "_code_failures": list,
    "_throttle": lambda: None,
    "_second_step_lock": lambda: None,
}


class SellerAccount(SignInAccount, PayoutHolder):
    """A seller's main account; it holds a password hash, never a password."""

    TOPIC = "sellerguard:SellerAccount"
    principal_kind = "seller"
    # Class defaults, so that snapshots taken before the policy existed load.
    if TYPE_CHECKING:  # a class annotation would make the library build a dataclass
        inactivity_since: datetime | None
        recovered_at: datetime | None
    inactivity_stage = 0
    inactivity_since = None
    recovered_at = None

    class Event(SignInAccount.Event):
        TOPIC = "sellerguard:SellerAccount.Event"

    class Registered(Event, SignInAccount.Created):
        """A seller registered the account."""

        TOPIC = "sellerguard:SellerAccount.Registered"
        username: str
        email: str
        password_hash: str
        birth_date: date | None

    class Frozen(Event):
        """The account was frozen; nobody can sign in until it is restored."""

        TOPIC = "sellerguard:SellerAccount.Frozen"
        reason: str

        def apply(self, account: SellerAccount) -> None:
            account._status = AccountStatus.FROZEN.value

    class Unfrozen(Event):
        """The account was restored after a freeze."""

        TOPIC = "sellerguard:SellerAccount.Unfrozen"
        reason: str

        def apply(self, account: SellerAccount) -> None:
            account._status = AccountStatus.ACTIVE.value

    class SubAccountAdded(Event):
        """A sub-account was created under this shop."""

        TOPIC = "sellerguard:SellerAccount.SubAccountAdded"
        sub_account_id: UUID

        def apply(self, account: SellerAccount) -> None:
            account.sub_account_ids.append(self.sub_account_id)

    class SubAccountPolicySet(Event):
        """The owner decided whether employees must use two-step verification."""

        TOPIC = "sellerguard:SellerAccount.SubAccountPolicySet"
        sub_accounts_require_two_step: bool

        def apply(self, account: SellerAccount) -> None:
            account.staff_two_step_required = self.sub_accounts_require_two_step

    class BlockingAccessRevoked(Event):
        """The platform took away the shop's right to block buyers."""

        TOPIC = "sellerguard:SellerAccount.BlockingAccessRevoked"
        reason: str

        def apply(self, account: SellerAccount) -> None:
            account.blocking_access = False

    class BlockingAccessGranted(Event):
        """The platform gave the shop back its right to block buyers."""

        TOPIC = "sellerguard:SellerAccount.BlockingAccessGranted"
        reason: str

        def apply(self, account: SellerAccount) -> None:
            account.blocking_access = True

    class RecoveryCaseOpened(Event):
        """A recovery case about this account was opened."""

        TOPIC = "sellerguard:SellerAccount.RecoveryCaseOpened"
        case_id: UUID

        def apply(self, account: SellerAccount) -> None:
            account.open_case_id = self.case_id

    class RecoveryCaseEnded(Event):
        """The account's recovery case ended."""

        TOPIC = "sellerguard:SellerAccount.RecoveryCaseEnded"
        case_id: UUID

        def apply(self, account: SellerAccount) -> None:
            account.open_case_id = None
            account.recovered_at = self.timestamp

    class InactivityNoticed(Event):
        """The store reached 30 (inactive) or 50 (warned) days without activity."""

        TOPIC = "sellerguard:SellerAccount.InactivityNoticed"
        stage: int
        last_activity_at: datetime
        closes_at: datetime

        def apply(self, account: SellerAccount) -> None:
            account.inactivity_stage = self.stage
            account.inactivity_since = self.last_activity_at

    class StoreClosed(Event):
        """60 days without activity: the store is closed for good."""

        TOPIC = "sellerguard:SellerAccount.StoreClosed"
        last_activity_at: datetime

        def apply(self, account: SellerAccount) -> None:
            account._status = AccountStatus.CLOSED.value
            account.inactivity_stage = InactivityStage.CLOSED.value
            account.inactivity_since = self.last_activity_at

    class CredentialsReset(Event):
        """A recovery reset the credentials: every lockout and throttle of the
        account is lifted, so the owner signs in at once from anywhere."""

        TOPIC = "sellerguard:SellerAccount.CredentialsReset"
        case_id: UUID

        def apply(self, account: SellerAccount) -> None:
            for name, empty in LOCKOUT_STATE.items():
                setattr(account, name, empty())
            account.recovered_at = self.timestamp

    def __init__(
        self, username: str, email: str, password_hash: str, birth_date: date | None
    ) -> None:
        self.username = username
        self.email = email
        self.birth_date = birth_date
        self.sub_account_ids: list[UUID] = []
        self.blocking_access = True
        self.open_case_id: UUID | None = None
        self.recovered_at: datetime | None = None
        self.staff_two_step_required = False
        self._init_sign_in(password_hash)

    @classmethod
    def register(
        cls,
        username: Username,
        email: str,
        password_hash: str,
        birth_date: date | None,
        actor: Actor,
        at: datetime,
        account_id: UUID | None = None,
    ) -> SellerAccount:
        """Open a new seller account with an already hashed password.

        ``account_id``: the id a retried request gives it again (so it can
        tell its own account from another's); a new random one otherwise.
        """
        return cls._create(
            cls.Registered,
            id=account_id or uuid4(),
            username=username.value,
            email=email,
            password_hash=password_hash,
            birth_date=birth_date,
            actor=actor,
            timestamp=at,
        )

    def add_sub_account(self, sub_account_id: UUID, actor: Actor, at: datetime) -> None:
        """Note a new sub-account of this shop (saved with the sub-account)."""
        self._record(self.SubAccountAdded, actor, at, sub_account_id=sub_account_id)

    @property
    def sub_accounts_require_two_step(self) -> bool:
        """Whether employees must turn two-step on before anything else."""
        return bool(getattr(self, "staff_two_step_required", False))

    def set_sub_account_policy(
        self, require_two_step: bool, actor: Actor, at: datetime
    ) -> None:
        """Require (or stop requiring) two-step verification of every employee."""
        if require_two_step != self.sub_accounts_require_two_step:
            self._record(
                self.SubAccountPolicySet,
                actor,
                at,
                sub_accounts_require_two_step=require_two_step,
            )

    def set_blocking_access(
        self, granted: bool, reason: str, actor: Actor, at: datetime
    ) -> None:
        """Grant or revoke the shop's right to block buyers."""
        if granted != self.blocking_access:
            event = (
                self.BlockingAccessGranted if granted else self.BlockingAccessRevoked
            )
            self._record(event, actor, at, reason=reason)

    def open_recovery(
        self, case_id: UUID, reason: str, actor: Actor, at: datetime
    ) -> None:
        """Freeze the account for a recovery case (one open case at a time)."""
        if self.open_case_id is not None:
            raise CaseAlreadyOpenError(str(self.open_case_id))
        self._record(self.RecoveryCaseOpened, actor, at, case_id=case_id)
        self.cancel_any_payout_change("recovery_opened", actor, at)
        self.freeze(reason, actor, at)

    def end_recovery(self, actor: Actor, at: datetime) -> None:
        """Note that the open recovery case ended."""
        if self.open_case_id is not None:
            self._record(self.RecoveryCaseEnded, actor, at, case_id=self.open_case_id)

    def reset_credentials(self, password_hash: str, actor: Actor, at: datetime) -> None:
        """After recovery: a new password, no two-step, no passkey, no old
        session or known device, no lockout or throttle, active."""
        self.change_password(password_hash, actor, at)
        if self.two_step_enabled:
            self.disable_two_step("recovery_reset", actor, at)
        self.remove_all_passkeys("recovery_reset", actor, at)  # a thief's too
        self.revoke_all_sessions("recovery_reset", actor, at)
        self.forget_devices("recovery_reset", actor, at)
        if self.open_case_id is not None:
            self._record(self.CredentialsReset, actor, at, case_id=self.open_case_id)
        self.end_recovery(actor, at)
        if self.status is AccountStatus.FROZEN:
            self.unfreeze("recovery_reset", actor, at)

    def apply_inactivity_policy(
        self, last_activity_at: datetime, actor: Actor, at: datetime
    ) -> InactivityStage | None:
        """Record the stage the store has newly reached, if any; idempotent.

        Frozen and closed stores are left alone (nobody can sign in to a
        frozen one, so its clock cannot fairly run out). The account's own
        last sign-in counts even if ``last_activity_at`` missed it.
        """
        if self.status is not AccountStatus.ACTIVE:
            return None
        known = (last_activity_at, self.last_login_at, self.created_on)
        last = max(moment for moment in known if moment is not None)
        stage = stage_at(last, at)
        if stage is InactivityStage.ACTIVE or (
            self.inactivity_since == last and self.inactivity_stage >= stage
        ):
            return None
        if stage is InactivityStage.CLOSED:
            self.cancel_any_payout_change("store_closed", actor, at)
            self._record(self.StoreClosed, actor, at, last_activity_at=last)
            self.revoke_all_sessions("store_closed", actor, at)
        else:
            self._record(
                self.InactivityNoticed,
                actor,
                at,
                stage=stage.value,
                last_activity_at=last,
                closes_at=closes_at(last),
            )
        return stage

    def freeze(self, reason: str, actor: Actor, at: datetime) -> None:
        """Freeze the account and end every session of it at once."""
        if self.status is AccountStatus.CLOSED:
            return  # closed for good: nothing left to freeze
        if self.status is not AccountStatus.FROZEN:
            self._record(self.Frozen, actor, at, reason=reason)
        self.cancel_any_payout_change("account_frozen", actor, at)
        self.revoke_all_sessions("account_frozen", actor, at)

    def unfreeze(self, reason: str, actor: Actor, at: datetime) -> None:
        """Restore a frozen account."""
        if self.status is not AccountStatus.FROZEN:
            raise AccountNotFrozenError(str(self.id))
        self._record(self.Unfrozen, actor, at, reason=reason)
