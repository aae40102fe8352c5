"""The queue of strangers' recovery requests, and what became of each.

A request waits under ``open`` until an agent opens a case for it (``linked``)
or dismisses it (``dismissed``); then it leaves the queue. Every request is
also kept under ``all`` with what it said, so a handled one can still be read.
"""

from __future__ import annotations

from typing import Any

from application.read_models import Change, Delete, Item, Put, ViewStore
from domain.recovery_request import RecoveryRequest, RequestStatus

REQUEST_QUEUE = "recovery_request_queue"
ALL = "all"


class RecoveryRequestQueue:
    """Requests by status: open ones wait for an agent, handled ones left."""

    name = "recovery_request_queue"
    views = (REQUEST_QUEUE,)
    topics = (
        RecoveryRequest.Submitted.TOPIC,
        RecoveryRequest.Linked.TOPIC,
        RecoveryRequest.Dismissed.TOPIC,
    )

    def changes(self, event: Any, position: int) -> list[Change]:
        request_id = str(event.originator_id)
        if isinstance(event, RecoveryRequest.Submitted):
            said = {
                "username": event.username,
                "account_id": None
                if event.account_id is None
                else str(event.account_id),
                "contact_email": event.contact_email,
                "description": event.description,
                "received_at": event.timestamp.isoformat(),
            }
            return [
                Put(REQUEST_QUEUE, ALL, request_id, said),
                Put(REQUEST_QUEUE, RequestStatus.OPEN.value, request_id, said),
            ]
        if isinstance(event, RecoveryRequest.Linked):
            status, outcome = RequestStatus.LINKED, {"case_id": str(event.case_id)}
        else:
            status, outcome = (
                RequestStatus.DISMISSED,
                {"dismissal_reason": event.reason},
            )
        return [
            Delete(REQUEST_QUEUE, RequestStatus.OPEN.value, request_id),
            Put(REQUEST_QUEUE, status.value, request_id, outcome),
        ]


def requests_by_status(
    views: ViewStore, status: str, limit: int, before: int | None
) -> list[Item]:
    """Requests of one status (or ``all``), newest first, each with its whole
    story: what it said, its status, its case or the reason it was dismissed."""
    items = views.items(REQUEST_QUEUE, status, limit=limit, before=before)
    return [_whole(views, status, item) for item in items]


def _whole(views: ViewStore, status: str, item: Item) -> Item:
    if status == RequestStatus.OPEN.value:
        return Item(item.item_id, item.position, _story(item.data, status, {}))
    if status == ALL:
        handled = [
            (key, found)
            for key, found in views.find(REQUEST_QUEUE, item.item_id)
            if key not in (ALL, RequestStatus.OPEN.value)
        ]
        key, outcome = handled[0] if handled else (RequestStatus.OPEN.value, None)
        data = _story(item.data, key, outcome.data if outcome else {})
        return Item(item.item_id, item.position, data)
    said = views.get(REQUEST_QUEUE, ALL, item.item_id)
    return Item(
        item.item_id,
        item.position,
        _story(said.data if said else {}, status, item.data),
    )


def _story(
    said: dict[str, Any], status: str, outcome: dict[str, Any]
) -> dict[str, Any]:
    return {
        **said,
        "status": status,
        "case_id": outcome.get("case_id"),
        "dismissal_reason": outcome.get("dismissal_reason"),
    }
