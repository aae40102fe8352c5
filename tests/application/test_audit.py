"""The auditors' read side on SQLite and PostgreSQL: filters, paging, replay,
redaction, rebuilds, and every read recorded."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.audit import (
    AggregateNotYetCreatedError,
    AggregateVersionNotFoundError,
    Audit,
    AuditAggregateNotFoundError,
    AuditEventView,
    VersionAndMomentError,
)
from application.audit_index import AuditFilters, AuditIndexer
from application.redaction import redact, state_of
from domain.actor import Actor, ActorKind
from domain.audit_trail import AuditTrail
from domain.roles import Role, StaffRole
from domain.sign_in import Attempt, InvalidCredentialsError
from infrastructure.totp import Totp
from interface.composition import Services

PASSWORD = "Corr3ct-Horse!Battery"
NEW_PASSWORD = "Gr33n-Meadow!Lantern"
EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
STAFF_PASSWORD = "Qu1et-Orchard!Signal"
OWNER_IP = "198.51.100.10"
VISITOR = Actor(ActorKind.ANONYMOUS, None, "req-visitor", OWNER_IP)
OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")
AUDITOR = Actor(
    ActorKind.STAFF, "7d1c55b2-5a3e-4b8e-9a51-0f6f1c2b3a4d", "req-a", "192.0.2.9"
)
ATTEMPT = Attempt(OWNER_IP, "Firefox/140", "laptop-1")
EVERYTHING = 10**9

# Every field of the model that holds a secret or a derivative of one, as the
# events spell them: listed here on their own, not taken from the code under test.
SECRET_EVENT_FIELDS = (
    "password_hash",
    "token_hash",
    "recovery_code_hash",
    "recovery_code_hashes",
    "secret",
    "key_hash",
    "challenge_id",
)


@dataclass
class History:
    """A realistic stretch of history, with every secret it involved."""

    seller_id: UUID
    other_seller_id: UUID
    sub_account_id: UUID
    staff_id: UUID
    role_moments: list[tuple[datetime, str]] = field(default_factory=list)
    created_at: datetime | None = None
    secrets: set[str] = field(default_factory=set)


def make_history(services: Services, clock: Any) -> History:
    """Sellers register, sign in, change passwords, enrol two-step, employ staff."""
    created_at = clock.now()
    seller = services.sellers.register(
        "Shop.One", "one@example.com", PASSWORD, None, VISITOR
    )
    clock.advance(minutes=1)
    other = services.sellers.register(
        "Shop.Two", "two@example.com", PASSWORD, None, VISITOR
    )
    clock.advance(minutes=5)
    grant = services.sign_in.login("Shop.One", PASSWORD, ATTEMPT, VISITOR)
    owner = grant.principal
    acting = owner.actor("req-owner", OWNER_IP)
    clock.advance(minutes=5)
    with pytest.raises(InvalidCredentialsError):
        services.sign_in.login("Shop.One", "Wr0ng-Guess!Again", ATTEMPT, VISITOR)
    services.account_security.change_password(owner, PASSWORD, NEW_PASSWORD, acting)
    clock.advance(minutes=5)
    enrolment = services.account_security.start_two_step(owner, acting)
    code = Totp().code_at(enrolment.secret, clock.now())
    recovery_codes = services.account_security.confirm_two_step(owner, code, acting)
    clock.advance(minutes=5)
    challenge = services.sign_in.login("Shop.One", NEW_PASSWORD, ATTEMPT, VISITOR)
    second = services.sign_in.complete_challenge(
        challenge.challenge_id, recovery_codes[0], VISITOR
    )
    clock.advance(minutes=5)
    employee = services.sub_accounts.create(
        owner,
        "Clerk.One",
        "clerk@example.com",
        Role.CUSTOMER_SERVICE_AGENT,
        EMPLOYEE_PASSWORD,
        acting,
    )
    moments = [(clock.now(), Role.CUSTOMER_SERVICE_AGENT.value)]
    for role in (Role.FINANCE_SPECIALIST, Role.MARKETING_SPECIALIST):
        clock.advance(hours=2)
        services.sub_accounts.change_role(owner, employee.id, role, acting)
        moments.append((clock.now(), role.value))
    clock.advance(minutes=5)
    clerk = services.sign_in.login("Clerk.One", EMPLOYEE_PASSWORD, ATTEMPT, VISITOR)
    staff_id = services.platform_people.create_staff(
        "Audrey.Auditor",
        "audrey@example.com",
        StaffRole.AUDITOR,
        STAFF_PASSWORD,
        OPERATOR,
    )
    key = services.platform_people.create_service_key(
        "orders", ["authz:check"], OPERATOR
    )
    clock.advance(minutes=5)
    history = History(seller.id, other.id, employee.id, staff_id, moments, created_at)
    history.secrets |= {PASSWORD, NEW_PASSWORD, EMPLOYEE_PASSWORD, STAFF_PASSWORD}
    history.secrets |= {enrolment.secret, challenge.challenge_id, key.value}
    history.secrets |= set(recovery_codes)
    for token in (grant.token, second.token, clerk.token, key.value):
        history.secrets |= {token, token.rsplit(".", 1)[-1]}
    history.secrets |= stored_secrets(services)
    return history


def stored_secrets(services: Services) -> set[str]:
    """Every secret-derived value the stored events hold (hashes, TOTP secrets)."""
    found: set[str] = set()
    log = services.ledger.recorder.select_notifications(start=1, limit=EVERYTHING)
    for notification in log:
        event = services.ledger.mapper.to_domain_event(notification)
        for name in SECRET_EVENT_FIELDS:
            value = getattr(event, name, None)
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, list):
                found.update(value)
    return found


@pytest.fixture
def audit(services: Services) -> Audit:
    """The services' audit read side."""
    return services.audit


@pytest.fixture
def history(services: Services, clock: Any) -> History:
    return make_history(services, clock)


def all_events(audit: Audit, filters: AuditFilters | None = None) -> list[Any]:
    return audit.events(AUDITOR, filters or AuditFilters(), 0, 500).items


def as_text(value: Any) -> str:
    return json.dumps(asdict(value), default=str)


# Filters


def test_the_aggregate_filter_lists_that_aggregate_only_in_order(audit, history):
    items = all_events(audit, AuditFilters(aggregate_id=history.sub_account_id))

    assert {i.aggregate_id for i in items} == {history.sub_account_id}
    assert [i.version for i in items] == list(range(1, len(items) + 1))
    assert [i.event_type for i in items][:3] == [
        "SubAccount.Created",
        "SubAccount.RoleChanged",
        "SubAccount.RoleChanged",
    ]


def test_shared_events_are_filed_under_the_aggregate_that_recorded_them(audit, history):
    changes = all_events(audit, AuditFilters(event_type="PasswordChanged"))
    employee_logins = all_events(
        audit, AuditFilters(aggregate_type="SubAccount", event_type="LoginSucceeded")
    )

    assert [(c.aggregate_type, c.aggregate_id) for c in changes] == [
        ("SellerAccount", history.seller_id)
    ]
    assert [e.aggregate_id for e in employee_logins] == [history.sub_account_id]


def test_the_aggregate_type_filter_keeps_only_that_type(audit, history):
    items = all_events(audit, AuditFilters(aggregate_type="SellerAccount"))

    assert {i.aggregate_type for i in items} == {"SellerAccount"}
    assert {i.aggregate_id for i in items} == {
        history.seller_id,
        history.other_seller_id,
    }


def test_the_actor_filter_lists_what_that_principal_did(audit, history):
    items = all_events(audit, AuditFilters(actor_id=str(history.seller_id)))

    assert items
    assert {(i.actor.kind, i.actor.id) for i in items} == {
        ("seller", str(history.seller_id))
    }
    assert "SubAccount.Created" in {i.event_type for i in items}
    assert {i.request_id for i in items} == {"req-owner"}


def test_since_is_inclusive_and_until_exclusive(audit, history):
    since, until = history.role_moments[1][0], history.role_moments[2][0]

    items = all_events(audit, AuditFilters(since=since, until=until))

    assert items
    assert all(since <= i.occurred_at < until for i in items)
    assert items[0].event_type == "SubAccount.RoleChanged"
    assert "SubAccount.RoleChanged" not in {i.event_type for i in items[1:]}


def test_filters_combine(audit, history):
    since = history.role_moments[0][0]
    filters = AuditFilters(
        aggregate_type="SubAccount",
        event_type="SubAccount.RoleChanged",
        actor_id=str(history.seller_id),
        since=since + timedelta(hours=3),
    )

    items = all_events(audit, filters)

    assert [i.data["role"] for i in items] == ["marketing_specialist"]


def test_every_event_carries_its_actor_time_and_redacted_data(audit, history):
    items = all_events(audit)
    registered = next(i for i in items if i.event_type == "SellerAccount.Registered")

    assert registered.actor.kind == "anonymous"
    assert (registered.request_id, registered.ip) == ("req-visitor", OWNER_IP)
    assert registered.occurred_at == history.created_at
    assert registered.data["username"] == "Shop.One"
    assert registered.data["password_hash"] == "[redacted]"


# Paging


def test_pages_follow_each_other_with_after(audit, history):
    every = [i.position for i in all_events(audit)]
    seen: list[int] = []
    after, pages = 0, 0
    while True:
        page = audit.events(
            AUDITOR, AuditFilters(aggregate_type="SellerAccount"), after, 3
        )
        seen += [i.position for i in page.items]
        pages += 1
        if page.next is None:
            break
        assert page.next == page.items[-1].position
        after = page.next
    sellers = {
        i.position
        for i in all_events(audit, AuditFilters(aggregate_type="SellerAccount"))
    }

    assert seen == sorted(sellers)
    assert set(seen) <= set(every)
    assert pages == -(-len(seen) // 3)


def test_a_short_list_has_no_next_page(audit, history):
    page = audit.events(AUDITOR, AuditFilters(aggregate_id=history.other_seller_id))

    assert page.next is None
    assert len(page.items) == 1


def test_an_aggregates_events_page_in_order(audit, history):
    first = audit.aggregate_events(AUDITOR, history.seller_id, limit=4)
    rest = audit.aggregate_events(AUDITOR, history.seller_id, after=first.next or 0)

    versions = [i.version for i in first.items + rest.items]
    assert versions == list(range(1, len(versions) + 1))
    assert rest.next is None


def test_the_events_of_an_unknown_aggregate_are_not_found(audit, history):
    with pytest.raises(AuditAggregateNotFoundError):
        audit.aggregate_events(AUDITOR, UUID(int=7))


# Replay


def test_the_state_by_version_is_the_aggregate_as_it_stood(audit, services, history):
    for version in (1, 2, 3):
        stood = services.ledger.repository.get(history.sub_account_id, version=version)

        replayed = audit.state(AUDITOR, history.sub_account_id, version=version)

        assert replayed.version == version
        assert replayed.aggregate_type == "SubAccount"
        assert replayed.state == state_of(stood)
        assert replayed.as_of == stood.modified_on


def test_a_sub_accounts_role_as_of_three_moments(audit, history):
    for moment, role in history.role_moments:
        for at in (moment, moment + timedelta(minutes=59)):
            replayed = audit.state(AUDITOR, history.sub_account_id, as_of=at)

            assert replayed.state["role"] == role
            assert replayed.as_of == at


def test_as_of_a_moment_between_events_is_the_state_after_the_earlier(
    audit, services, history
):
    moment = history.role_moments[1][0] - timedelta(seconds=1)

    replayed = audit.state(AUDITOR, history.sub_account_id, as_of=moment)

    assert replayed.version == 1
    assert replayed.state["role"] == "customer_service_agent"


def test_the_state_now_is_the_latest_version(audit, services, history):
    latest = services.ledger.repository.get(history.seller_id)

    replayed = audit.state(AUDITOR, history.seller_id)

    assert replayed.version == latest.version
    assert replayed.state == state_of(latest)
    assert replayed.state["two_step_secret"] == "[redacted]"
    assert replayed.state["status"] == "active"


def test_as_of_before_the_aggregate_existed_is_not_found(audit, history):
    before = history.role_moments[0][0] - timedelta(microseconds=1)

    with pytest.raises(AggregateNotYetCreatedError):
        audit.state(AUDITOR, history.sub_account_id, as_of=before)


def test_a_version_the_aggregate_never_had_is_not_found(audit, history):
    with pytest.raises(AggregateVersionNotFoundError):
        audit.state(AUDITOR, history.sub_account_id, version=99)


def test_the_state_of_an_unknown_aggregate_is_not_found(audit, history):
    with pytest.raises(AuditAggregateNotFoundError):
        audit.state(AUDITOR, UUID(int=7), as_of=history.role_moments[0][0])


def test_a_version_and_a_moment_together_are_refused(audit, history):
    with pytest.raises(VersionAndMomentError):
        audit.state(AUDITOR, history.seller_id, version=1, as_of=history.created_at)


# Secrets


def test_no_secret_appears_in_any_audit_view(audit, services, history):
    assert len(history.secrets) > 20
    views = [audit.events(AUDITOR, AuditFilters(), 0, 500)]
    for aggregate_id in (history.seller_id, history.sub_account_id, history.staff_id):
        views.append(audit.aggregate_events(AUDITOR, aggregate_id, limit=500))
        latest = services.ledger.repository.get(aggregate_id).version
        views += [
            audit.state(AUDITOR, aggregate_id, version=v) for v in range(1, latest + 1)
        ]
    views += [
        audit.state(AUDITOR, history.sub_account_id, as_of=moment)
        for moment, _ in history.role_moments
    ]
    export = audit.export(AUDITOR, None, None, page_size=7)
    views += list(export.pages)

    text = "\n".join(as_text(view) for view in views)

    assert "[redacted]" in text
    leaked = sorted(secret for secret in history.secrets if secret in text)
    assert leaked == []


def test_redaction_reaches_nested_and_future_secret_fields():
    fields = {
        "sessions": {"s1": {"token_hash": "abc", "ip": "192.0.2.1"}},
        "reset_token_hash": "def",
        "upload_token": "ghi",
        "documents": [{"wrapped_key": "jkl", "sha256": "0f"}],
        "recovery_code_hash": None,
        "reason": "password_changed",
    }

    assert redact(fields) == {
        "sessions": {"s1": {"token_hash": "[redacted]", "ip": "192.0.2.1"}},
        "reset_token_hash": "[redacted]",
        "upload_token": "[redacted]",
        "documents": [{"wrapped_key": "[redacted]", "sha256": "0f"}],
        "recovery_code_hash": None,
        "reason": "password_changed",
    }


# The index


def index_rows(audit: Audit) -> list[Any]:
    return audit.store.select(AuditFilters(), 0, EVERYTHING)


def test_the_index_rebuilt_from_zero_equals_the_one_built_as_it_went(
    audit, services, clock, history
):
    audit.indexer.catch_up()
    services.sign_in.login("Shop.Two", PASSWORD, ATTEMPT, VISITOR)
    audit.indexer.catch_up()
    incremental = index_rows(audit)
    types = audit.store.aggregate_types({r.aggregate_id for r in incremental})

    rebuilt = audit.indexer.rebuild()

    assert rebuilt == len(incremental) == services.ledger.last_position()
    assert index_rows(audit) == incremental
    assert audit.store.aggregate_types(set(types)) == types
    assert audit.store.position() == services.ledger.last_position()


def test_indexers_racing_on_one_store_index_each_event_once(audit, services, history):
    audit.store.reset()
    racers = [AuditIndexer(services.ledger, audit.store, page_size=3) for _ in range(4)]
    threads = [threading.Thread(target=racer.catch_up) for racer in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    positions = [r.position for r in index_rows(audit)]
    assert positions == sorted(set(positions))
    assert len(positions) == services.ledger.last_position()


def test_reads_see_events_saved_just_before(audit, services, history):
    services.sign_in.login("Shop.Two", PASSWORD, ATTEMPT, VISITOR)

    items = all_events(audit, AuditFilters(aggregate_id=history.other_seller_id))

    assert items[-1].event_type == "LoginSucceeded"


# Auditors are audited


def trail_reads(services: Services, reader: Actor) -> list[Any]:
    trail_id = AuditTrail.id_for(str(reader.id))
    events = services.ledger.events.get(trail_id)
    return [e for e in events if isinstance(e, AuditTrail.Read)]


def test_every_read_is_recorded_with_its_query_but_not_its_results(
    audit, services, history
):
    audit.events(AUDITOR, AuditFilters(event_type="PasswordChanged"), 0, 10)
    audit.aggregate_events(AUDITOR, history.seller_id)
    audit.state(AUDITOR, history.sub_account_id, as_of=history.role_moments[1][0])
    with pytest.raises(AuditAggregateNotFoundError):
        audit.state(AUDITOR, UUID(int=7))
    audit.export(AUDITOR, since=history.created_at)

    reads = trail_reads(services, AUDITOR)

    assert [r.what for r in reads] == [
        "events",
        "aggregate_events",
        "state",
        "state",
        "export",
    ]
    assert reads[0].query == {
        "event_type": "PasswordChanged",
        "after": "0",
        "limit": "10",
    }
    assert reads[2].query["as_of"].endswith("Z")
    assert {r.actor for r in reads} == {AUDITOR}
    assert all(set(vars(r)) == set(vars(reads[0])) for r in reads)


def test_the_reads_are_themselves_in_the_audit_history(audit, services, history):
    audit.events(AUDITOR, AuditFilters(event_type="PasswordChanged"))

    items = all_events(audit, AuditFilters(aggregate_type="AuditTrail"))

    assert [i.event_type for i in items[:2]] == [
        "AuditTrail.Opened",
        "AuditTrail.Read",
    ]
    assert items[1].data == {
        "what": "events",
        "query": {"event_type": "PasswordChanged", "after": "0", "limit": "50"},
    }
    assert items[0].actor.id == AUDITOR.id


def test_reads_of_one_auditor_through_two_processes_all_go_on_the_trail(
    audit, services, history
):
    other = Audit(services.ledger, audit.indexer, services.clock)

    for reader in (audit, other, audit, other, other, audit):
        reader.state(AUDITOR, history.seller_id, version=1)

    trail = services.ledger.repository.get(AuditTrail.id_for(str(AUDITOR.id)))
    assert trail.reads == 6
    assert len(trail_reads(services, AUDITOR)) == 6


def test_an_operators_reads_go_on_the_operators_trail(audit, services, history):
    audit.state(OPERATOR, history.seller_id, version=1)

    assert [r.what for r in trail_reads(services, OPERATOR)] == ["state"]
    assert trail_reads(services, AUDITOR) == []


def test_reads_change_nothing_but_the_readers_trail(audit, services, history):
    before = services.ledger.last_position()

    audit.events(AUDITOR, AuditFilters())
    audit.state(AUDITOR, history.seller_id)

    log = services.ledger.recorder.select_notifications(
        start=before, limit=EVERYTHING, inclusive_of_start=False
    )
    trail_id = AuditTrail.id_for(str(AUDITOR.id))
    assert [n.originator_id for n in log] == [trail_id] * 3


def test_the_export_streams_every_event_up_to_the_head_of_its_start(
    audit, services, history
):
    export = audit.export(AUDITOR, page_size=5)
    services.sign_in.login("Shop.Two", PASSWORD, ATTEMPT, VISITOR)

    pages = list(export.pages)

    positions = [i.position for page in pages for i in page.items]
    assert positions == list(range(1, export.head + 1))
    assert all(len(page.items) <= 5 for page in pages)
    assert all(isinstance(i, AuditEventView) for page in pages for i in page.items)
