"""Read models of recovery: the agents' queues, and the owner's outbox."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.ports import Notifier
from application.read_models import Change, Delete, Put, ViewStore
from domain.recovery_case import CaseStatus, RecoveryCase
from domain.recovery_request import RecoveryRequest

REQUESTS = "recovery_requests"
CASES = "recovery_cases"
OUTBOX = "outbox"
ALL = "all"


class RecoveryQueues:
    """Requests waiting for an agent, and cases by status."""

    name = "recovery_queues"
    views = (REQUESTS, CASES)
    topics = (
        RecoveryRequest.Submitted.TOPIC,
        RecoveryCase.Opened.TOPIC,
        RecoveryCase.DocumentReceived.TOPIC,
        RecoveryCase.Decided.TOPIC,
        RecoveryCase.Closed.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        if isinstance(event, RecoveryRequest.Submitted):
            return [
                Put(
                    REQUESTS,
                    ALL,
                    str(event.originator_id),
                    {
                        "username": event.username,
                        "account_id": None
                        if event.account_id is None
                        else str(event.account_id),
                        "contact_email": event.contact_email,
                        "description": event.description,
                        "received_at": event.timestamp.isoformat(),
                    },
                )
            ]
        case_id = str(event.originator_id)
        status = _status_after(event)
        moves: list[Change] = [
            Delete(CASES, s.value, case_id) for s in CaseStatus if s.value != status
        ]
        return [*moves, Put(CASES, status, case_id, {}), Put(CASES, ALL, case_id, {})]


def _status_after(event: Any) -> str:
    if isinstance(event, RecoveryCase.Opened):
        return CaseStatus.AWAITING_DOCUMENTS.value
    if isinstance(event, RecoveryCase.DocumentReceived):
        return CaseStatus.UNDER_REVIEW.value
    if isinstance(event, RecoveryCase.Decided):
        return (
            CaseStatus.APPROVED if event.decision == "approve" else CaseStatus.REJECTED
        ).value
    return CaseStatus.CLOSED.value


class Outbox:
    """What the owner of an account in recovery is told, step by step.

    Messages carry no secret: tokens reach the owner through the agent.
    """

    name = "outbox"
    views = (OUTBOX,)
    topics = (
        RecoveryCase.Opened.TOPIC,
        RecoveryCase.DocumentReceived.TOPIC,
        RecoveryCase.Decided.TOPIC,
        RecoveryCase.Closed.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        message = _message(event)
        if message is None:
            return []
        to, subject, body = message
        return [
            Put(
                OUTBOX,
                ALL,
                f"{position:020d}",
                {
                    "to": to,
                    "subject": subject,
                    "body": body,
                    "case_id": str(event.originator_id),
                },
            )
        ]


def _message(event: Any) -> tuple[str, str, str] | None:
    if isinstance(event, RecoveryCase.Opened):
        return (
            event.contact_email,
            "Your shop is frozen while we help you",
            "We froze your shop to protect it. Upload documents that prove "
            "you own it with the link your support agent sends you.",
        )
    # The other steps reach the address given when the case was opened; the
    # dispatcher fills it in from the case (events carry it only once).
    texts = {
        RecoveryCase.DocumentReceived: (
            "We received your document",
            "A second agent will review it.",
        ),
        RecoveryCase.Closed: (
            "Your recovery case is closed",
            "Your shop is active again.",
        ),
    }
    if isinstance(event, RecoveryCase.Decided):
        if event.decision == "approve":
            return (
                "",
                "Your recovery was approved",
                "Your support agent will send you a link to set a new password.",
            )
        return (
            "",
            "We need more documents",
            "The documents did not prove ownership yet; please upload more.",
        )
    text = texts.get(type(event))
    return ("", *text) if text else None


class OutboxDispatcher:
    """Sends the outbox's messages once each (at least once across crashes)."""

    TRACKING = "outbox_dispatch"

    def __init__(self, views: ViewStore, ledger: Any, notifier: Notifier) -> None:
        self.views = views
        self.ledger = ledger
        self.notifier = notifier

    def dispatch(self) -> int:
        """Send every message not yet sent; returns how many were sent."""
        sent = self.views.position(self.TRACKING)
        pending = [
            i
            for i in self.views.items(OUTBOX, ALL, limit=10_000)
            if int(i.item_id) > sent
        ]
        for item in sorted(pending, key=lambda i: i.item_id):
            to = item.data["to"] or self._contact(item.data["case_id"])
            if to:
                self.notifier.send(to, item.data["subject"], item.data["body"])
            if not self.views.apply(self.TRACKING, sent, int(item.item_id), []):
                return 0  # another dispatcher got there first
            sent = int(item.item_id)
        return len(pending)

    def _contact(self, case_id: str) -> str:
        case = self.ledger.find(UUID(case_id), RecoveryCase)
        return case.contact_email if case else ""
