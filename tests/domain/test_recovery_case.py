"""A recovery case: documents, a second agent's decision, a single-use reset."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.actor import Actor, ActorKind
from domain.recovery_case import (
    MAX_DOCUMENTS,
    RESET_TOKEN_LIFETIME,
    CaseNotDecidableError,
    CaseStatus,
    Decision,
    DocumentNotFoundError,
    DocumentType,
    FourEyesError,
    NoDocumentsError,
    NotAcceptingDocumentsError,
    RecoveryCase,
)
from tests.domain.builders import NOON, OWNER, recorded

OPENER = Actor(ActorKind.STAFF, "agent-ann")
SECOND = Actor(ActorKind.STAFF, "agent-bo")


@pytest.fixture
def case() -> RecoveryCase:
    opened = RecoveryCase.open(
        uuid4(), uuid4(), "takeover", "maria@example.com", "upload-hash", OPENER, NOON
    )
    opened.collect_events()
    return opened


def receive(case: RecoveryCase, document_id: str = "doc-1") -> None:
    case.receive_document(
        document_id, DocumentType.IDENTITY, "0" * 64, 100, "image/png", OWNER, NOON
    )


def test_a_new_case_waits_for_documents(case):
    assert case.status is CaseStatus.AWAITING_DOCUMENTS
    assert case.opened_by == OPENER.id


def test_a_document_puts_the_case_under_review(case):
    receive(case)

    assert case.status is CaseStatus.UNDER_REVIEW
    assert recorded(case) == ["DocumentReceived"]


def test_a_case_takes_at_most_ten_documents(case):
    for n in range(MAX_DOCUMENTS):
        receive(case, f"doc-{n}")

    with pytest.raises(NotAcceptingDocumentsError):
        receive(case, "one-too-many")


def test_the_agent_who_opened_the_case_cannot_decide_it(case):
    receive(case)

    with pytest.raises(FourEyesError):
        case.decide(Decision.APPROVE, "", "reset-hash", OPENER, NOON)
    assert recorded(case) == ["DocumentReceived"]


def test_a_case_without_documents_cannot_be_decided(case):
    with pytest.raises(NoDocumentsError):
        case.decide(Decision.APPROVE, "", "reset-hash", SECOND, NOON)


def test_approval_issues_a_reset_token_for_a_day(case):
    receive(case)
    case.decide(Decision.APPROVE, "matches", "reset-hash", SECOND, NOON)

    assert case.status is CaseStatus.APPROVED
    assert case.accepts_reset_token("reset-hash", NOON + RESET_TOKEN_LIFETIME / 2)
    assert not case.accepts_reset_token("reset-hash", NOON + RESET_TOKEN_LIFETIME)
    assert not case.accepts_reset_token("other-hash", NOON)


def test_a_rejected_case_takes_more_documents_and_is_decided_again(case):
    receive(case)
    case.decide(Decision.REJECT, "blurry", "unused", SECOND, NOON)
    assert not case.accepts_reset_token("unused", NOON)

    receive(case, "doc-2")
    case.decide(Decision.APPROVE, "clear now", "reset-hash", SECOND, NOON)

    assert case.status is CaseStatus.APPROVED
    assert recorded(case) == [
        "DocumentReceived",
        "Decided",
        "DocumentReceived",
        "Decided",
    ]


def test_an_approved_case_is_not_decided_again(case):
    receive(case)
    case.decide(Decision.APPROVE, "", "reset-hash", SECOND, NOON)

    with pytest.raises(CaseNotDecidableError):
        case.decide(Decision.REJECT, "", "x", SECOND, NOON)
    with pytest.raises(NotAcceptingDocumentsError):
        receive(case, "doc-2")


def test_closing_spends_the_reset_token_and_refuses_documents(case):
    receive(case)
    case.decide(Decision.APPROVE, "", "reset-hash", SECOND, NOON)

    case.close("credentials_reset", OWNER, NOON + timedelta(minutes=1))

    assert case.status is CaseStatus.CLOSED
    assert not case.accepts_reset_token("reset-hash", NOON + timedelta(minutes=1))
    with pytest.raises(NotAcceptingDocumentsError):
        case.check_can_receive()


def test_closing_a_closed_case_records_nothing(case):
    case.close("false_alarm", OWNER, NOON)
    case.collect_events()

    case.close("false_alarm", OWNER, NOON)

    assert recorded(case) == []


def test_viewing_a_document_is_recorded_and_an_unknown_one_is_not_found(case):
    receive(case)
    case.collect_events()

    case.view_document("doc-1", SECOND, NOON)

    assert recorded(case) == ["DocumentViewed"]
    with pytest.raises(DocumentNotFoundError):
        case.view_document("doc-2", SECOND, NOON)


@pytest.mark.parametrize("decision", list(Decision))
def test_each_event_names_the_status_it_leaves_the_case_in(decision):
    case = RecoveryCase.open(
        uuid4(), uuid4(), "takeover", "maria@example.com", "upload-hash", OPENER, NOON
    )
    receive(case)
    case.view_document("doc-1", SECOND, NOON)
    case.decide(decision, "seen", "reset-hash", SECOND, NOON)
    case.object("not me", OWNER, NOON)
    case.close("false_alarm", SECOND, NOON)

    replayed, statuses = None, []
    for event in case.collect_events():
        replayed = event.mutate(replayed)
        named = event.status_after()
        assert named in (None, replayed.status)
        statuses.append(named)

    assert statuses == [
        CaseStatus.AWAITING_DOCUMENTS,
        CaseStatus.UNDER_REVIEW,
        None,
        decision.status_after,
        CaseStatus.DISPUTED,
        CaseStatus.CLOSED,
    ]
