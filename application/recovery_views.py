"""Read models of recovery: the agents' queue of cases (requests: see
``recovery_requests``)."""

from __future__ import annotations

from typing import Any

from application.read_models import Change, Delete, Put
from domain.recovery_case import CaseStatus, RecoveryCase

CASES = "recovery_cases"
ALL = "all"


class RecoveryQueues:
    """Cases by status."""

    name = "recovery_queues"
    views = (CASES,)
    topics = (
        RecoveryCase.Opened.TOPIC,
        RecoveryCase.DocumentReceived.TOPIC,
        RecoveryCase.Decided.TOPIC,
        RecoveryCase.Objected.TOPIC,
        RecoveryCase.Closed.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        case_id = str(event.originator_id)
        after = event.status_after()
        if after is None:
            return []
        status = after.value
        moves: list[Change] = [
            Delete(CASES, s.value, case_id) for s in CaseStatus if s.value != status
        ]
        return [*moves, Put(CASES, status, case_id, {}), Put(CASES, ALL, case_id, {})]
