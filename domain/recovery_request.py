"""A stranger's request for help with a taken-over account, queued for agents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError


class RequestStatus(StrEnum):
    """Where a request stands: waiting in the queue, or handled one way or another."""

    OPEN = "open"
    LINKED = "linked"  # a case was opened for it
    DISMISSED = "dismissed"


class RecoveryRequestError(SellerGuardError):
    """Base of the recovery requests' errors; never raised directly."""


class RequestHandledError(RecoveryRequestError):
    """The request was already handled (linked to a case or dismissed)."""

    code = "request_handled"


class RequestForAnotherAccountError(RecoveryRequestError):
    """The request names another shop than the one the case is opened about."""

    code = "validation_error"
    field = "request_id"


class RequestNotFoundError(RecoveryRequestError):
    """No recovery request has that id."""

    code = "not_found"


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

    class Linked(Event):
        """An agent opened a case for the request (in the same commit)."""

        TOPIC = "sellerguard:RecoveryRequest.Linked"
        case_id: UUID
        account_id: UUID

        def apply(self, request: RecoveryRequest) -> None:
            request._status = RequestStatus.LINKED.value
            request.case_id = self.case_id

    class Dismissed(Event):
        """An agent dismissed the request (unknown name, spam, a duplicate...)."""

        TOPIC = "sellerguard:RecoveryRequest.Dismissed"
        reason: str

        def apply(self, request: RecoveryRequest) -> None:
            request._status = RequestStatus.DISMISSED.value
            request.dismissal_reason = self.reason

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
        self._status = RequestStatus.OPEN.value
        self.case_id: UUID | None = None
        self.dismissal_reason: str | None = None

    @property
    def status(self) -> RequestStatus:
        """Whether the request still waits for an agent."""
        return RequestStatus(self._status)

    def check_can_link(self, account_id: UUID) -> None:
        """Refuse, before anything is frozen, a link that could not be recorded."""
        self._check_open()
        if self.account_id is not None and self.account_id != account_id:
            raise RequestForAnotherAccountError(str(self.id))

    def link(self, case_id: UUID, account_id: UUID, actor: Actor, at: datetime) -> None:
        """A case was opened for this request: it leaves the queue."""
        self.check_can_link(account_id)
        self._record(self.Linked, actor, at, case_id=case_id, account_id=account_id)

    def dismiss(self, reason: str, actor: Actor, at: datetime) -> None:
        """Nothing to do for this request: it leaves the queue, with the reason."""
        self._check_open()
        self._record(self.Dismissed, actor, at, reason=reason)

    def _check_open(self) -> None:
        if self.status is not RequestStatus.OPEN:
            raise RequestHandledError(str(self.id))

    @classmethod
    def submit(
        cls,
        username: str,
        account_id: UUID | None,
        contact_email: str,
        description: str,
        actor: Actor,
        at: datetime,
        request_id: UUID | None = None,
    ) -> RecoveryRequest:
        """Queue a request for the support agents (``request_id``: the id a
        retried request gives it again, so it finds its own; random otherwise)."""
        return cls._create(
            cls.Submitted,
            id=request_id or uuid4(),
            username=username,
            account_id=account_id,
            contact_email=contact_email,
            description=description,
            actor=actor,
            timestamp=at,
        )
