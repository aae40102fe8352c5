"""Account-takeover recovery: a case that freezes a shop until its owner proves
who they are and a second agent agrees."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

MAX_DOCUMENTS = 10
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
RESET_TOKEN_LIFETIME = timedelta(hours=24)


class CaseStatus(StrEnum):
    """Where a recovery case stands."""

    AWAITING_DOCUMENTS = "awaiting_documents"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"
    DISPUTED = "disputed"


class DocumentType(StrEnum):
    """What a document is meant to prove."""

    IDENTITY = "identity"
    BUSINESS_REGISTRATION = "business_registration"
    ORDER_EVIDENCE = "order_evidence"
    OTHER = "other"


class Decision(StrEnum):
    """A second agent's verdict on the documents."""

    APPROVE = "approve"
    REJECT = "reject"

    @property
    def status_after(self) -> CaseStatus:
        """Where the verdict leaves the case."""
        return CaseStatus.APPROVED if self is Decision.APPROVE else CaseStatus.REJECTED


class RecoveryError(SellerGuardError):
    """Base of the recovery errors; never raised directly."""


class CaseAlreadyOpenError(RecoveryError):
    """This account already has an open recovery case."""

    code = "case_already_open"


class NotAcceptingDocumentsError(RecoveryError):
    """The case takes no more documents (decided, closed, or 10 received)."""

    code = "case_not_accepting_documents"


class FourEyesError(RecoveryError):
    """The agent who opened the case cannot also decide it."""

    code = "four_eyes_required"


class NoDocumentsError(RecoveryError):
    """There are no documents to decide on yet."""

    code = "no_documents"


class CaseNotDecidableError(RecoveryError):
    """The case is not waiting for a decision."""

    code = "case_not_decidable"


class CredentialRefusedError(RecoveryError):
    """The token is not this case's, has expired or was already used."""

    code = "forbidden"


class CaseClosedError(RecoveryError):
    """The case is closed: there is nothing left to object to."""

    code = "case_closed"


class ContactEmailRequiredError(RecoveryError):
    """A case needs a contact address: give one, or open it from a request."""

    code = "validation_error"
    field = "contact_email"


class CaseNotFoundError(RecoveryError):
    """No recovery case (or no shop) has that id."""

    code = "not_found"


class DocumentNotFoundError(RecoveryError):
    """The case has no document with that id."""

    code = "not_found"


ACCEPTING = (
    CaseStatus.AWAITING_DOCUMENTS,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.REJECTED,
    CaseStatus.DISPUTED,
)


class RecoveryCase(Recorded):
    """One takeover recovery: freeze, documents, four-eyes decision, reset."""

    TOPIC = "sellerguard:RecoveryCase"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:RecoveryCase.Event"

        def status_after(self) -> CaseStatus | None:
            """Where the event leaves the case; None if it does not move it."""
            return None

    class Opened(Event, Recorded.Created):
        """An agent opened the case; the account was frozen in the same commit."""

        TOPIC = "sellerguard:RecoveryCase.Opened"
        account_id: UUID
        reason: str
        contact_email: str
        upload_token_hash: str

        def status_after(self) -> CaseStatus:
            return CaseStatus.AWAITING_DOCUMENTS

        def apply(self, case: RecoveryCase) -> None:
            case._opened_by = self.actor.id

    class RequestLinked(Event):
        """The case answers a stranger's recovery request (in the same commit)."""

        TOPIC = "sellerguard:RecoveryCase.RequestLinked"
        recovery_request_id: UUID

        def apply(self, case: RecoveryCase) -> None:
            case.recovery_request_id = self.recovery_request_id

    class DocumentReceived(Event):
        """The owner uploaded a document (its bytes are in the vault)."""

        TOPIC = "sellerguard:RecoveryCase.DocumentReceived"
        document_id: str
        doc_type: str
        sha256: str
        size: int
        content_type: str

        def status_after(self) -> CaseStatus:
            return CaseStatus.UNDER_REVIEW

        def apply(self, case: RecoveryCase) -> None:
            case.documents[self.document_id] = {
                "doc_type": self.doc_type,
                "sha256": self.sha256,
                "size": self.size,
                "content_type": self.content_type,
                "received_at": self.timestamp,
            }
            case._status = self.status_after().value

    class DocumentViewed(Event):
        """An agent looked at a document."""

        TOPIC = "sellerguard:RecoveryCase.DocumentViewed"
        document_id: str

    class Decided(Event):
        """A second agent approved or rejected the documents."""

        TOPIC = "sellerguard:RecoveryCase.Decided"
        decision: str
        note: str
        reset_token_hash: str | None
        reset_expires_at: datetime | None

        def status_after(self) -> CaseStatus:
            return Decision(self.decision).status_after

        def apply(self, case: RecoveryCase) -> None:
            case._status = self.status_after().value
            case.reset_token_hash = self.reset_token_hash
            case.reset_expires_at = self.reset_expires_at

    class Objected(Event):
        """The registered owner objected: the reset link is void, the shop
        stays frozen, and only a new document reopens the decision."""

        TOPIC = "sellerguard:RecoveryCase.Objected"
        note: str

        def status_after(self) -> CaseStatus:
            return CaseStatus.DISPUTED

        def apply(self, case: RecoveryCase) -> None:
            case._status = self.status_after().value
            case.reset_token_hash = None
            case.reset_expires_at = None

    class Closed(Event):
        """The case ended: credentials reset, or the freeze was a false alarm."""

        TOPIC = "sellerguard:RecoveryCase.Closed"
        outcome: str

        def status_after(self) -> CaseStatus:
            return CaseStatus.CLOSED

        def apply(self, case: RecoveryCase) -> None:
            case._status = self.status_after().value
            case.reset_token_hash = None

    def __init__(
        self, account_id: UUID, reason: str, contact_email: str, upload_token_hash: str
    ) -> None:
        self.account_id = account_id
        self.reason = reason
        self.contact_email = contact_email
        self.upload_token_hash = upload_token_hash
        self._status = CaseStatus.AWAITING_DOCUMENTS.value
        self.documents: dict[str, dict[str, Any]] = {}
        self.reset_token_hash: str | None = None
        self.reset_expires_at: datetime | None = None
        self._opened_by: str | None = None
        self.recovery_request_id: UUID | None = None

    @classmethod
    def open(
        cls,
        case_id: UUID,
        account_id: UUID,
        reason: str,
        contact_email: str,
        upload_token_hash: str,
        actor: Actor,
        at: datetime,
    ) -> RecoveryCase:
        """Open a case (the caller freezes the account in the same commit)."""
        return cls._create(
            cls.Opened,
            id=case_id,
            account_id=account_id,
            reason=reason,
            contact_email=contact_email,
            upload_token_hash=upload_token_hash,
            actor=actor,
            timestamp=at,
        )

    def link_request(self, request_id: UUID, actor: Actor, at: datetime) -> None:
        """Note the request this case was opened for."""
        self._record(self.RequestLinked, actor, at, recovery_request_id=request_id)

    @property
    def status(self) -> CaseStatus:
        """Where the case stands."""
        return CaseStatus(self._status)

    @property
    def opened_by(self) -> str | None:
        """The agent who opened the case."""
        return self._opened_by

    def check_can_receive(self) -> None:
        """Refuse a document before its bytes are stored anywhere."""
        if self.status not in ACCEPTING or len(self.documents) >= MAX_DOCUMENTS:
            raise NotAcceptingDocumentsError(str(self.id))

    def receive_document(
        self,
        document_id: str,
        doc_type: DocumentType,
        sha256: str,
        size: int,
        content_type: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Note a document the owner uploaded."""
        self.check_can_receive()
        self._record(
            self.DocumentReceived,
            actor,
            at,
            document_id=document_id,
            doc_type=doc_type.value,
            sha256=sha256,
            size=size,
            content_type=content_type,
        )

    def view_document(self, document_id: str, actor: Actor, at: datetime) -> None:
        """Record that an agent looked at a document."""
        if document_id not in self.documents:
            raise DocumentNotFoundError(document_id)
        self._record(self.DocumentViewed, actor, at, document_id=document_id)

    def decide(
        self,
        decision: Decision,
        note: str,
        reset_token_hash: str,
        actor: Actor,
        at: datetime,
    ) -> None:
        """Approve or reject; never by the agent who opened the case."""
        if actor.id == self.opened_by:
            raise FourEyesError(str(self.id))
        if self.status not in (CaseStatus.UNDER_REVIEW, CaseStatus.REJECTED):
            if self.status in (CaseStatus.AWAITING_DOCUMENTS, CaseStatus.DISPUTED):
                raise NoDocumentsError(str(self.id))
            raise CaseNotDecidableError(str(self.id))
        approve = decision is Decision.APPROVE
        self._record(
            self.Decided,
            actor,
            at,
            decision=decision.value,
            note=note,
            reset_token_hash=reset_token_hash if approve else None,
            reset_expires_at=at + RESET_TOKEN_LIFETIME if approve else None,
        )

    def accepts_reset_token(self, token_hash: str, at: datetime) -> bool:
        """Whether this is the live reset token of an approved case."""
        return (
            self.status is CaseStatus.APPROVED
            and self.reset_token_hash is not None
            and self.reset_expires_at is not None
            and at < self.reset_expires_at
            and hmac.compare_digest(self.reset_token_hash, token_hash)
        )

    def object(self, note: str, actor: Actor, at: datetime) -> None:
        """The registered owner disputes the case; decided again only after a
        new document."""
        if self.status is CaseStatus.CLOSED:
            raise CaseClosedError(str(self.id))
        self._record(self.Objected, actor, at, note=note)

    def close(self, outcome: str, actor: Actor, at: datetime) -> None:
        """End the case."""
        if self.status is not CaseStatus.CLOSED:
            self._record(self.Closed, actor, at, outcome=outcome)
