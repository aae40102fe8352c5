"""A stranger's request for help with a taken-over account, queued for agents."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import Recorded


class RecoveryRequest(Recorded):
    """Someone says they lost their shop; an agent will look (nothing is frozen)."""

    TOPIC = "sellerguard:RecoveryRequest"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:RecoveryRequest.Event"

    class Submitted(Event, Recorded.Created):
        """The request arrived; ``account_id`` is None for an unknown username."""

        TOPIC = "sellerguard:RecoveryRequest.Submitted"
        username: str
        account_id: UUID | None
        contact_email: str
        description: str

    def __init__(
        self,
        username: str,
        account_id: UUID | None,
        contact_email: str,
        description: str,
    ) -> None:
        self.username = username
        self.account_id = account_id
        self.contact_email = contact_email
        self.description = description

    @classmethod
    def submit(
        cls,
        username: str,
        account_id: UUID | None,
        contact_email: str,
        description: str,
        actor: Actor,
        at: datetime,
    ) -> RecoveryRequest:
        """Queue a request for the support agents."""
        return cls._create(
            cls.Submitted,
            id=uuid4(),
            username=username,
            account_id=account_id,
            contact_email=contact_email,
            description=description,
            actor=actor,
            timestamp=at,
        )
