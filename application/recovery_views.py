"""Read models of recovery: the agents' queues."""

from __future__ import annotations

from typing import Any

from application.read_models import Change, Delete, Put
from domain.recovery_case import CaseStatus, RecoveryCase
from domain.recovery_request import RecoveryRequest

REQUESTS = "recovery_requests"
CASES = "recovery_cases"
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
        RecoveryCase.Objected.TOPIC,
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
        after = event.status_after()
        if after is None:
            return []
        status = after.value
        moves: list[Change] = [
            Delete(CASES, s.value, case_id) for s in CaseStatus if s.value != status
        ]
        return [*moves, Put(CASES, status, case_id, {}), Put(CASES, ALL, case_id, {})]
