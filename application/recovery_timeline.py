"""A recovery case told as people read it: sentences with names, the decision.

Events name their actors by id; an agent reading a case wants "agent.two
approved the case", not ``Decided`` and a UUID. Names come from the accounts
themselves (a login name never changes), looked up once per view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actor import ActorKind
from domain.recovery_case import RecoveryCase

NameOf = Callable[[str], str | None]
KIND_WORDS = {
    ActorKind.ANONYMOUS: "The owner",
    ActorKind.SYSTEM: "The system",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a case: when, what (``step``), by whom, as a sentence."""

    at: datetime
    step: str
    by: str | None
    by_username: str | None
    text: str


@dataclass(frozen=True)
class DecisionView:
    """The latest verdict on a case, with its note and who gave it."""

    decision: str
    note: str
    decided_by: str | None
    decided_by_username: str | None
    decided_at: datetime


STEPS: dict[Any, str] = {
    RecoveryCase.Opened: "opened",
    RecoveryCase.RequestLinked: "request_linked",
    RecoveryCase.DocumentReceived: "document_received",
    RecoveryCase.DocumentViewed: "document_viewed",
    RecoveryCase.Decided: "decided",
    RecoveryCase.Objected: "objected",
    RecoveryCase.Closed: "closed",
}


class Narrator:
    """Turns a case's events into its timeline, naming every actor."""

    def __init__(self, name_of: NameOf) -> None:
        self._name_of = name_of
        self._names: dict[str, str | None] = {}

    def timeline(self, case: RecoveryCase, events: list[Any]) -> list[TimelineEntry]:
        """Every step of the case, oldest first."""
        return [self._entry(case, event) for event in events]

    def decision(self, events: list[Any]) -> DecisionView | None:
        """The latest decision, if the case was ever decided."""
        decided = [e for e in events if isinstance(e, RecoveryCase.Decided)]
        if not decided:
            return None
        last = decided[-1]
        return DecisionView(
            last.decision,
            last.note,
            last.actor.id,
            self.name(last.actor.id),
            last.timestamp,
        )

    def name(self, account_id: str | None) -> str | None:
        """The login name of the account with that id, if it is one."""
        if account_id is None:
            return None
        if account_id not in self._names:
            self._names[account_id] = self._name_of(account_id)
        return self._names[account_id]

    def _entry(self, case: RecoveryCase, event: Any) -> TimelineEntry:
        username = self.name(event.actor.id)
        who = username or KIND_WORDS.get(event.actor.kind, "Someone")
        return TimelineEntry(
            event.timestamp,
            STEPS.get(type(event), type(event).__name__.lower()),
            event.actor.id,
            username,
            _sentence(case, event, who),
        )


def _sentence(case: RecoveryCase, event: Any, who: str) -> str:
    if isinstance(event, RecoveryCase.Opened):
        return f"{who} opened the case and froze the shop: {event.reason}"
    if isinstance(event, RecoveryCase.RequestLinked):
        return f"{who} linked the recovery request {event.recovery_request_id}."
    if isinstance(event, RecoveryCase.DocumentReceived):
        return (
            f"{who} uploaded a {_doc(event.doc_type)} document "
            f"({event.content_type}, {event.size:,} bytes)."
        )
    if isinstance(event, RecoveryCase.DocumentViewed):
        doc_type = case.documents.get(event.document_id, {}).get("doc_type", "")
        return f"{who} viewed the {_doc(doc_type)} document."
    if isinstance(event, RecoveryCase.Decided):
        verdict = "approved" if event.decision == "approve" else "rejected"
        return f"{who} {verdict} the case: {event.note}"
    if isinstance(event, RecoveryCase.Objected):
        note = f": {event.note}" if event.note else "."
        return f"{who} objected with the link mailed to the registered address{note}"
    if isinstance(event, RecoveryCase.Closed):
        if event.outcome == "credentials_reset":
            return f"{who} set a new password; the shop is active again."
        return f"{who} closed the case as a false alarm and unfroze the shop."
    return f"{who}: {type(event).__name__}."


def _doc(doc_type: str) -> str:
    return doc_type.replace("_", " ") or "unknown"


def account_name_of(find: Callable[[UUID], Any]) -> NameOf:
    """A name lookup over accounts found by id (None for anything else)."""

    def name_of(account_id: str) -> str | None:
        try:
            account = find(UUID(account_id))
        except ValueError:
            return None
        username = getattr(account, "username", None)
        return username if isinstance(username, str) else None

    return name_of
