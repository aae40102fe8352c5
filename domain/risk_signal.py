"""What the platform's risk engine found about a shop, and the seller's decision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

# Signal ids are the engine's; the aggregate id is derived from them, so the
# same signal always lands on the same aggregate (idempotency for free).
SIGNAL_NAMESPACE = UUID("5b0f3c1e-3a55-4d1b-9d8e-6c1f2a7e4b90")


class SubjectKind(StrEnum):
    """What the signal is about."""

    ORDER = "order"
    REFUND = "refund"
    REVIEW = "review"
    MESSAGE = "message"
    SIGN_IN = "sign_in"


class Verdict(StrEnum):
    """Stopped by the platform, or flagged for the seller to decide."""

    CONFIRMED_FRAUD = "confirmed_fraud"
    HIGH_RISK = "high_risk"


class Category(StrEnum):
    """The kind of malicious action."""

    MALICIOUS_REFUND = "malicious_refund"
    FAKE_REVIEW = "fake_review"
    FRAUDULENT_ORDER = "fraudulent_order"
    PHISHING_MESSAGE = "phishing_message"
    ACCOUNT_TAKEOVER_ATTEMPT = "account_takeover_attempt"
    OTHER = "other"


class Decision(StrEnum):
    """What a seller may decide on a flagged order or refund."""

    CANCEL = "cancel"
    KEEP = "keep"
    REJECT = "reject"
    ACCEPT = "accept"


# Each decidable kind, its decisions, and the one that waives the penalty.
DECISIONS = {
    SubjectKind.ORDER: ((Decision.CANCEL, Decision.KEEP), Decision.CANCEL),
    SubjectKind.REFUND: ((Decision.REJECT, Decision.ACCEPT), Decision.REJECT),
}


class RiskSignalError(SellerGuardError):
    """Base of the risk signals' errors; never raised directly."""


class RiskItemNotFoundError(RiskSignalError):
    """No flagged item of that kind with that id in this shop."""

    code = "not_found"


class SignalConflictError(RiskSignalError):
    """The signal id was already recorded with other content."""

    code = "signal_conflict"


class AlreadyDecidedError(RiskSignalError):
    """The flagged item was decided already."""

    code = "already_decided"


class DecisionNotAllowedError(RiskSignalError):
    """That decision does not apply to this kind of item."""

    code = "validation_error"
    field = "decision"


def signal_aggregate_id(signal_id: str) -> UUID:
    """The aggregate id of a risk engine's signal id."""
    return uuid5(SIGNAL_NAMESPACE, signal_id)


@dataclass(frozen=True)
class SignalContent:
    """What the engine says; the same signal id must always say the same."""

    signal_id: str
    seller_id: UUID
    subject_kind: SubjectKind
    subject_id: str
    verdict: Verdict
    category: Category
    buyer: str | None
    detail: str | None
    # None: the engine did not say, and the moment of receipt is recorded.
    occurred_at: datetime | None
    order_id: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """The content as event fields (enums as their values)."""
        return {
            "signal_id": self.signal_id,
            "seller_id": self.seller_id,
            "subject_kind": self.subject_kind.value,
            "subject_id": self.subject_id,
            "verdict": self.verdict.value,
            "category": self.category.value,
            "buyer": self.buyer,
            "detail": self.detail,
            "occurred_at": self.occurred_at,
            "order_id": self.order_id,
        }


class RiskSignal(Recorded):
    """One signal of the risk engine; a flagged order or refund waits for a decision."""

    TOPIC = "sellerguard:RiskSignal"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:RiskSignal.Event"

    class Received(Event, Recorded.Created):
        """The risk engine reported something about a shop.

        ``delivery_id``: the id of the delivery (its Idempotency-Key's claim)
        that recorded it, so that delivery's retry knows the signal as its
        own (None without a key, and in events recorded before version 2).
        """

        TOPIC = "sellerguard:RiskSignal.Received"
        class_version = 2
        signal_id: str
        seller_id: UUID
        subject_kind: str
        subject_id: str
        verdict: str
        category: str
        buyer: str | None
        detail: str | None
        occurred_at: datetime
        order_id: str | None
        delivery_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["delivery_id"] = None

    class Decided(Event):
        """Someone of the shop decided on the flagged order or refund."""

        TOPIC = "sellerguard:RiskSignal.Decided"
        seller_id: UUID
        subject_kind: str
        decision: str
        note: str
        penalty_waived: bool

        def apply(self, signal: RiskSignal) -> None:
            signal.decision = self.decision
            signal.note = self.note
            signal.penalty_waived = self.penalty_waived
            signal.decided_by = self.actor
            signal.decided_at = self.timestamp

    def __init__(
        self,
        signal_id: str,
        seller_id: UUID,
        subject_kind: str,
        subject_id: str,
        verdict: str,
        category: str,
        buyer: str | None,
        detail: str | None,
        occurred_at: datetime,
        order_id: str | None,
        delivery_id: UUID | None = None,
    ) -> None:
        self.delivery_id = delivery_id
        self.content = SignalContent(
            signal_id=signal_id,
            seller_id=seller_id,
            subject_kind=SubjectKind(subject_kind),
            subject_id=subject_id,
            verdict=Verdict(verdict),
            category=Category(category),
            buyer=buyer,
            detail=detail,
            occurred_at=occurred_at,
            order_id=order_id,
        )
        self.decision: str | None = None
        self.note: str | None = None
        self.penalty_waived = False
        self.decided_by: Actor | None = None
        self.decided_at: datetime | None = None

    @classmethod
    def receive(
        cls,
        content: SignalContent,
        actor: Actor,
        at: datetime,
        delivery_id: UUID | None = None,
    ) -> RiskSignal:
        """Record a new signal under the id derived from its signal id
        (``delivery_id``: see :class:`Received`)."""
        if content.occurred_at is None:
            content = replace(content, occurred_at=at)
        return cls._create(
            cls.Received,
            id=signal_aggregate_id(content.signal_id),
            actor=actor,
            timestamp=at,
            delivery_id=delivery_id,
            **content.as_fields(),
        )

    def received_in(self, delivery_id: UUID | None) -> bool:
        """Whether that delivery recorded the signal (an earlier attempt of
        it whose answer was lost), rather than another delivery of it."""
        return delivery_id is not None and self.delivery_id == delivery_id

    @property
    def seller_id(self) -> UUID:
        """The shop the signal is about."""
        return self.content.seller_id

    @property
    def is_decidable(self) -> bool:
        """A flagged order or refund: the seller decides on it."""
        return (
            self.content.verdict is Verdict.HIGH_RISK
            and self.content.subject_kind in DECISIONS
        )

    def check_same(self, content: SignalContent) -> None:
        """The signal again: fine when it says the same, a conflict otherwise."""
        if content.occurred_at is None:
            content = replace(content, occurred_at=self.content.occurred_at)
        if content != self.content:
            raise SignalConflictError(content.signal_id)

    def decide(self, decision: Decision, note: str, actor: Actor, at: datetime) -> None:
        """Decide once on a flagged order or refund."""
        if not self.is_decidable:
            raise RiskItemNotFoundError(str(self.id))
        allowed, waiving = DECISIONS[self.content.subject_kind]
        if decision not in allowed:
            raise DecisionNotAllowedError(decision.value)
        if self.decision is not None:
            raise AlreadyDecidedError(str(self.id))
        self._record(
            self.Decided,
            actor,
            at,
            seller_id=self.seller_id,
            subject_kind=self.content.subject_kind.value,
            decision=decision.value,
            note=note,
            penalty_waived=decision is waiving,
        )
