"""Account-takeover recovery: freeze, documents, four-eyes decision, reset."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from application.credentials import Credentials
from application.ledger import Changes
from application.login_names import LoginNames
from application.ports import Clock, DocumentInspector, DocumentVault
from application.principals import BearerToken, UnauthorizedError, digest
from application.recovery_links import RESET_TOKEN, UPLOAD_TOKEN, RecoveryLinks
from application.recovery_timeline import (
    DecisionView,
    Narrator,
    TimelineEntry,
    account_name_of,
)
from domain.actor import Actor
from domain.documents import DocumentTooLargeError
from domain.errors import SellerGuardError
from domain.password_policy import PasswordContext
from domain.recovery_case import (
    MAX_DOCUMENT_BYTES,
    CaseNotFoundError,
    CaseStatus,
    ContactEmailRequiredError,
    CredentialRefusedError,
    Decision,
    DocumentNotFoundError,
    DocumentType,
    RecoveryCase,
)
from domain.recovery_request import (
    RecoveryRequest,
    RequestNotFoundError,
)
from domain.seller_account import SellerAccount
from domain.sign_in import SignInAccount
from domain.sub_account import SubAccount


@dataclass(frozen=True)
class DocumentView:
    """A received document: what it is, never its bytes."""

    id: str
    doc_type: str
    sha256: str
    size: int
    content_type: str
    received_at: datetime


@dataclass(frozen=True)
class CaseAccount:
    """The shop a case is about, as the agent sees it beside the case."""

    id: UUID
    username: str
    email: str
    status: str


@dataclass(frozen=True)
class CaseView:
    """A recovery case as support agents see it."""

    id: UUID
    account_id: UUID
    status: str
    opened_by: str | None
    reason: str
    contact_email: str
    documents: list[DocumentView]
    timeline: list[TimelineEntry]
    version: int
    opened_by_username: str | None = None
    account: CaseAccount | None = None
    request_id: UUID | None = None
    decision: DecisionView | None = None
    upload_token: str | None = None


@dataclass(frozen=True)
class RequestView:
    """A stranger's recovery request, and what became of it."""

    id: UUID
    username: str
    account_id: UUID | None
    contact_email: str
    description: str
    received_at: datetime
    status: str
    case_id: UUID | None
    dismissal_reason: str | None


def request_view(request: RecoveryRequest) -> RequestView:
    """The agents' view of a request."""
    return RequestView(
        request.id,
        request.username,
        request.account_id,
        request.contact_email,
        request.description,
        request.created_on,
        request.status.value,
        request.case_id,
        request.dismissal_reason,
    )


def case_view(
    case: RecoveryCase,
    events: list[Any],
    narrator: Narrator,
    shop: SellerAccount | None = None,
    **tokens: str | None,
) -> CaseView:
    """The agents' view of a case; the upload token only when just opened."""
    documents = [
        DocumentView(
            doc_id,
            d["doc_type"],
            d["sha256"],
            d["size"],
            d["content_type"],
            d["received_at"],
        )
        for doc_id, d in case.documents.items()
    ]
    account = (
        None
        if shop is None
        else CaseAccount(shop.id, shop.username, shop.email, shop.status.value)
    )
    return CaseView(
        case.id,
        case.account_id,
        case.status.value,
        case.opened_by,
        case.reason,
        case.contact_email,
        documents,
        narrator.timeline(case, events),
        case.version,
        opened_by_username=narrator.name(case.opened_by),
        account=account,
        request_id=case.recovery_request_id,
        decision=narrator.decision(events),
        **tokens,
    )


class Recovery:
    """The use cases of account-takeover recovery."""

    def __init__(
        self,
        names: LoginNames,
        credentials: Credentials,
        vault: DocumentVault,
        clock: Clock,
        links: RecoveryLinks,
        *,
        inspector: DocumentInspector,
    ) -> None:
        self.names = names
        self.links = links
        self.inspector = inspector
        self.ledger = names.ledger
        self.credentials = credentials
        self.vault = vault
        self.clock = clock

    def request(
        self,
        username: str,
        contact_email: str,
        description: str,
        actor: Actor,
        request_id: UUID | None = None,
    ) -> UUID:
        """Queue a stranger's request; the same answer whether the name exists.

        ``request_id``: as in :meth:`Sellers.register` (a retry finds the
        request its earlier attempt queued, and queues no second one).
        """
        earlier = self.ledger.created_before(request_id, RecoveryRequest)
        if earlier is not None:
            return earlier.result.id
        account = self.names.account_named(username)
        account_id = account.id if isinstance(account, SellerAccount) else None
        request = RecoveryRequest.submit(
            username,
            account_id,
            contact_email,
            description,
            actor,
            self.clock.now(),
            request_id,
        )
        return self.ledger.save_new(request).result.id

    def open(
        self,
        account_id: UUID,
        reason: str,
        contact_email: str | None,
        actor: Actor,
        request_id: UUID | None = None,
        case_id: UUID | None = None,
    ) -> CaseView:
        """Open a case: the account is frozen and every session of it and of its
        sub-accounts ends, all in one commit. Opened for a request, the request
        leaves the queue in the same commit (its contact address by default).

        ``case_id``: as in :meth:`Sellers.register`: a retry answers the case
        its earlier attempt opened (with its upload token), not a conflict
        with it (the shop frozen, the request handled).
        """
        earlier = self.ledger.created_before(case_id, RecoveryCase)
        if earlier is not None:
            return self._opened(earlier.result)
        new_id = case_id or uuid.uuid4()
        try:
            case = self._open(
                new_id, account_id, reason, contact_email, actor, request_id
            )
        except SellerGuardError:
            # The earlier attempt landed while this one ran (its shop now
            # frozen, its request handled): that case is the answer.
            landed = self.ledger.created_before(case_id, RecoveryCase)
            if landed is None:
                raise
            case = landed.result
        return self._opened(case)

    def _open(
        self,
        case_id: UUID,
        account_id: UUID,
        reason: str,
        contact_email: str | None,
        actor: Actor,
        request_id: UUID | None,
    ) -> RecoveryCase:
        if self.ledger.find(account_id, SellerAccount) is None:
            raise CaseNotFoundError(str(account_id))
        request = None if request_id is None else self._request(request_id)
        if request is not None:
            request.check_can_link(account_id)
            contact_email = contact_email or request.contact_email
        if not contact_email:
            raise ContactEmailRequiredError(str(account_id))
        token_hash = self.links.upload_token(case_id).hash
        now = self.clock.now()

        def build(changes: Changes) -> RecoveryCase:
            shop = changes.load(account_id, SellerAccount)
            shop.open_recovery(case_id, f"recovery: {reason}", actor, now)
            for sub_id in shop.sub_account_ids:
                sub_account = changes.load(sub_id, SubAccount)
                sub_account.revoke_all_sessions("account_frozen", actor, now)
            case = changes.add(
                RecoveryCase.open(
                    case_id, account_id, reason, contact_email, token_hash, actor, now
                )
            )
            if request_id is not None:
                changes.load(request_id, RecoveryRequest).link(
                    case_id, account_id, actor, now
                )
                case.link_request(request_id, actor, now)
            return case

        return self.ledger.commit(build).result

    def _opened(self, case: RecoveryCase) -> CaseView:
        """A case as its opening answers it: with the token to upload with."""
        return self._view(case, upload_token=self.links.upload_token(case.id).value)

    def view(self, case_id: UUID) -> CaseView:
        """One case, with its timeline."""
        return self._view(self._case(case_id))

    def request_of(self, request_id: UUID) -> RequestView:
        """One recovery request, and what became of it."""
        return request_view(self._request(request_id))

    def dismiss(self, request_id: UUID, reason: str, actor: Actor) -> RequestView:
        """Nothing to do for a request (unknown name, spam, a duplicate): it
        leaves the queue with the reason."""
        self._request(request_id)
        now = self.clock.now()

        def run(request: RecoveryRequest) -> RecoveryRequest:
            request.dismiss(reason, actor, now)
            return request

        return request_view(self.ledger.update(request_id, RecoveryRequest, run).result)

    def _view(self, case: RecoveryCase, **tokens: str | None) -> CaseView:
        narrator = Narrator(account_name_of(self._account))
        shop = self.ledger.peek(case.account_id, SellerAccount)
        return case_view(case, self._events(case.id), narrator, shop, **tokens)

    def _account(self, account_id: UUID) -> SignInAccount | None:
        return self.ledger.peek(account_id, SignInAccount)

    def _request(self, request_id: UUID) -> RecoveryRequest:
        request = self.ledger.find(request_id, RecoveryRequest)
        if request is None:
            raise RequestNotFoundError(str(request_id))
        return request

    def views(self, case_ids: Sequence[UUID]) -> list[CaseView]:
        """Several cases with their timelines, in the order given, read from
        the store at once; ids of no case are left out."""
        histories = self.ledger.histories(case_ids, RecoveryCase)
        shop_ids = list(dict.fromkeys(h.aggregate.account_id for h in histories))
        # Shops have long histories: loaded from their snapshots, once each.
        shops = {i: self.ledger.peek(i, SellerAccount) for i in shop_ids}
        narrator = Narrator(account_name_of(self._account))  # names looked up once
        return [
            case_view(
                history.aggregate,
                history.events,
                narrator,
                shops.get(history.aggregate.account_id),
            )
            for history in histories
        ]

    def check_upload(self, case_id: UUID, upload_token: str) -> None:
        """Refuse an upload before its bytes are read: wrong token, closed case."""
        case = self._case_for_token(
            case_id,
            upload_token,
            UPLOAD_TOKEN,
            lambda c, h: (
                hmac.compare_digest(c.upload_token_hash, h)
                and c.status is not CaseStatus.CLOSED
            ),
        )
        case.check_can_receive()

    def upload(
        self,
        case_id: UUID,
        upload_token: str,
        doc_type: DocumentType,
        data: bytes,
        actor: Actor,
    ) -> DocumentView:
        """Take one document from the owner; a refusal leaves nothing behind."""
        self.check_upload(case_id, upload_token)
        if len(data) > MAX_DOCUMENT_BYTES:
            raise DocumentTooLargeError(str(len(data)))
        content_type = self.inspector.content_type_of(data)
        document_id = uuid.uuid4().hex
        sha256 = hashlib.sha256(data).hexdigest()
        self.vault.put(document_id, data)
        now = self.clock.now()
        try:
            self.ledger.update(
                case_id,
                RecoveryCase,
                lambda c: c.receive_document(
                    document_id, doc_type, sha256, len(data), content_type, actor, now
                ),
            )
        except BaseException:
            self.vault.delete(document_id)  # nothing acknowledged, nothing kept
            raise
        return DocumentView(
            document_id, doc_type.value, sha256, len(data), content_type, now
        )

    def download(
        self, case_id: UUID, document_id: str, actor: Actor
    ) -> tuple[bytes, str]:
        """A document's bytes for an agent; every view is recorded first."""
        case = self._case(case_id)
        if document_id not in case.documents:
            raise DocumentNotFoundError(document_id)
        now = self.clock.now()
        self.ledger.update(
            case_id, RecoveryCase, lambda c: c.view_document(document_id, actor, now)
        )
        content_type: str = case.documents[document_id]["content_type"]
        return self.vault.get(document_id), content_type

    def decide(
        self, case_id: UUID, decision: Decision, note: str, actor: Actor
    ) -> CaseView:
        """A second agent's verdict. Approval issues a single-use reset token
        that only the mail to the contact address carries: no agent sees it."""
        self._case(case_id)
        now = self.clock.now()

        def run(case: RecoveryCase) -> RecoveryCase:
            # The token is derived from the version the decision is recorded at.
            token = self.links.reset_token(case_id, case.version + 1)
            case.decide(decision, note, token.hash, actor, now)
            return case

        case = self.ledger.update(case_id, RecoveryCase, run).result
        return self._view(case)

    def object(
        self, case_id: UUID, objection_token: str, note: str, actor: Actor
    ) -> CaseView:
        """The registered owner disputes the case: the reset link is void and
        the shop stays frozen."""
        if not self.links.is_objection_token(case_id, objection_token):
            raise CredentialRefusedError(str(case_id))
        self._case(case_id)
        now = self.clock.now()

        def run(case: RecoveryCase) -> RecoveryCase:
            case.object(note, actor, now)
            return case

        case = self.ledger.update(case_id, RecoveryCase, run).result
        return self._view(case)

    def reset(
        self, case_id: UUID, reset_token: str, new_password: str, actor: Actor
    ) -> UUID:
        """The owner sets a new password: two-step cleared, every old session
        ended, the account restored and the case closed, in one commit."""
        case = self._case_for_token(
            case_id,
            reset_token,
            RESET_TOKEN,
            lambda c, h: c.accepts_reset_token(h, self.clock.now()),
        )
        account_id: UUID = case.account_id
        shop = self.ledger.load(account_id, SellerAccount)
        hasher = self.credentials.hasher
        new_hash = self.credentials.hash_new_password(
            new_password,
            PasswordContext(
                shop.username,
                shop.email,
                shop.birth_date,
                matches_recent=lambda p: any(
                    hasher.verify(h, p) for h in shop.password_history
                ),
            ),
        )
        token_hash = digest(reset_token)
        now = self.clock.now()

        def build(changes: Changes) -> None:
            fresh_case = changes.load(case_id, RecoveryCase)
            if not fresh_case.accepts_reset_token(token_hash, now):
                raise CredentialRefusedError(str(case_id))  # used meanwhile
            fresh_shop = changes.load(account_id, SellerAccount)
            fresh_shop.reset_credentials(new_hash, actor, now)
            fresh_case.close("credentials_reset", actor, now)

        self.ledger.commit(build)
        return account_id

    def unfreeze(self, seller_id: UUID, reason: str, actor: Actor) -> None:
        """A false alarm: restore the account and close its open case."""
        if self.ledger.find(seller_id, SellerAccount) is None:
            raise CaseNotFoundError(str(seller_id))
        now = self.clock.now()

        def build(changes: Changes) -> None:
            shop = changes.load(seller_id, SellerAccount)
            if shop.open_case_id is not None:
                case = changes.load(shop.open_case_id, RecoveryCase)
                case.close("false_alarm", actor, now)
            shop.end_recovery(actor, now)
            shop.unfreeze(reason, actor, now)

        self.ledger.commit(build)

    def _events(self, case_id: UUID) -> list[Any]:
        return list(self.ledger.events.get(case_id))

    def _case(self, case_id: UUID) -> RecoveryCase:
        case = self.ledger.find(case_id, RecoveryCase)
        if case is None:
            raise CaseNotFoundError(str(case_id))
        return case

    def _case_for_token(
        self,
        case_id: UUID,
        token: str,
        prefix: str,
        accepts: Callable[[RecoveryCase, str], bool],
    ) -> RecoveryCase:
        try:
            parsed = BearerToken.parse(token, prefixes=(prefix,))
        except UnauthorizedError:
            if prefix == UPLOAD_TOKEN:
                raise  # a malformed upload credential is 401, as documented
            raise CredentialRefusedError(str(case_id)) from None  # the reset: 403
        case = self.ledger.find(parsed.owner_id, RecoveryCase)
        if parsed.owner_id != case_id or case is None or not accepts(case, parsed.hash):
            raise CredentialRefusedError(str(case_id))
        return case
