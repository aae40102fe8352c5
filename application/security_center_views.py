"""Read models of the Security Center: intercepted actions, flagged items, decisions."""

from __future__ import annotations

from typing import Any

from application.ledger import Ledger
from application.read_models import Change, Delete, Put
from application.timestamps import rfc3339
from domain.risk_signal import RiskSignal, SubjectKind, Verdict

INTERCEPTED = "risk_intercepted"
RISK_ITEMS = "risk_items"
DECISIONS = "risk_decisions"
OPEN = "open"
DECIDED = "decided"


def item_key(seller_id: object, kind: str, status: str) -> str:
    """The key of a shop's flagged orders or refunds of one status."""
    return f"{seller_id}:{kind}:{status}"


def signal_view(signal: Any) -> dict[str, Any]:
    """The signal as the risk engine sent it, with its id and when it arrived."""
    content = signal.content
    return {
        "id": signal.id,
        "signal_id": content.signal_id,
        "seller_id": content.seller_id,
        "subject_kind": content.subject_kind.value,
        "subject_id": content.subject_id,
        "order_id": content.order_id,
        "verdict": content.verdict.value,
        "category": content.category.value,
        "buyer": content.buyer,
        "detail": content.detail,
        "occurred_at": content.occurred_at,
        "received_at": signal.created_on,
    }


def risk_item(signal: Any) -> dict[str, Any]:
    """A flagged order or refund as the shop sees it (JSON-ready)."""
    content = signal.content
    item: dict[str, Any] = {
        "id": str(signal.id),
        "order_id": content.order_id,
        "category": content.category.value,
        "buyer": content.buyer,
        "detail": content.detail,
        "flagged_at": rfc3339(content.occurred_at or signal.created_on),
        "status": OPEN if signal.decision is None else DECIDED,
        "decision": signal.decision,
        "note": signal.note,
        "decided_by": None if signal.decided_by is None else signal.decided_by.id,
        "decided_at": None if signal.decided_at is None else rfc3339(signal.decided_at),
        "penalty_waived": signal.penalty_waived,
    }
    if content.subject_kind is SubjectKind.REFUND:
        item["refund_id"] = content.subject_id
    else:
        item["order_id"] = content.subject_id
    return item


def _intercepted(event: Any) -> dict[str, Any]:
    return {
        "subject_kind": event.subject_kind,
        "subject_id": event.subject_id,
        "category": event.category,
        "buyer": event.buyer,
        "detail": event.detail,
        "occurred_at": rfc3339(event.occurred_at),
    }


class SecurityCenterViews:
    """Per shop: what was stopped, flagged items by status, and the decisions.

    A decision's item is rebuilt from the signal as it stood at that event
    (signals are short-lived aggregates of one or two events).
    """

    name = "security_center"
    views = (INTERCEPTED, RISK_ITEMS, DECISIONS)
    topics = (RiskSignal.Received.TOPIC, RiskSignal.Decided.TOPIC)

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def changes(self, event: Any, position: int) -> list[Change]:
        signal_id = str(event.originator_id)
        shop = str(event.seller_id)
        if isinstance(event, RiskSignal.Received):
            if event.verdict == Verdict.CONFIRMED_FRAUD.value:
                data = _intercepted(event)
                return [
                    Put(INTERCEPTED, shop, signal_id, data),
                    Put(INTERCEPTED, f"{shop}:{event.category}", signal_id, data),
                ]
            if event.subject_kind in (SubjectKind.ORDER, SubjectKind.REFUND):
                signal: Any = event.mutate(None)
                key = item_key(shop, event.subject_kind, OPEN)
                return [Put(RISK_ITEMS, key, signal_id, risk_item(signal))]
            return []
        signal = self.ledger.repository.get(
            event.originator_id, version=event.originator_version
        )
        item = risk_item(signal)
        kind = event.subject_kind
        return [
            Delete(RISK_ITEMS, item_key(shop, kind, OPEN), signal_id),
            Put(RISK_ITEMS, item_key(shop, kind, DECIDED), signal_id, item),
            Put(
                DECISIONS,
                shop,
                signal_id,
                {
                    "subject_kind": kind,
                    "subject_id": signal.content.subject_id,
                    "decision": event.decision,
                    "penalty_waived": event.penalty_waived,
                    "decided_at": rfc3339(event.timestamp),
                },
            ),
        ]
