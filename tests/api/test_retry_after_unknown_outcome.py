"""A creating request whose commit outcome is unknown (503 "may or may not
have been saved"), retried with the same Idempotency-Key, settles on the
truth: the account that landed is answered as created (never as the
caller's own ``username_taken``), and one that did not land is created once.

The fault is injected at the event store's insert on both stores: the commit
either lands and its answer is lost, or never arrives; either way the caller
hears what the PostgreSQL recorder says when it cannot ask the store what
happened. ``tests/api/test_store_outage.py`` replays it on PostgreSQL with a
real connection cut at the COMMIT
(``test_a_retry_with_its_key_settles_a_commit_nobody_could_confirm``).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from domain.actor import Actor
from infrastructure.postgres_recorder import CommitOutcomeUnknownError
from interface.composition import Services
from tests.api import test_recovery as recovery
from tests.api import test_security_center as security_center
from tests.api.helpers import OWNER_IP, PASSWORD, bearer, register, token_of

KEY = "b9d0c3e2-5f41-4c8e-9a67-2e1f0d7c4a55"
OTHER_KEY = "0c6f4e1a-2b3d-4e5f-8a9b-c1d2e3f4a5b6"
EMPLOYEE = {
    "username": "Emp.Unsure",
    "email": "emp.unsure@example.com",
    "role": "finance_specialist",
    "password": "Bl0ssom-Tide!Harbor",
}
SELLER = {
    "username": "Shop.Unsure",
    "email": "shop.unsure@example.com",
    "password": PASSWORD,
}

LoseNextCommit = Callable[[bool], None]

# The recovery tests' cast: a shop with an employee, and two support agents.
world = recovery.world
# The security center's: a shop, and the risk engine's service key.
shop = security_center.shop
engine = security_center.engine


@pytest.fixture
def lose_next_commit(services: Services, monkeypatch) -> LoseNextCommit:
    """Arm a fault on the next commit: it lands (``True``) or not (``False``),
    and its caller is told the outcome is unknown."""
    recorder = services.ledger.recorder
    insert = recorder.insert_events

    def arm(lands: bool) -> None:
        def lost(stored_events, **kwargs):
            monkeypatch.setattr(recorder, "insert_events", insert)  # once
            if lands:
                insert(stored_events, **kwargs)
            msg = "the commit's connection broke and the store could not be asked"
            raise CommitOutcomeUnknownError(msg)

        monkeypatch.setattr(recorder, "insert_events", lost)

    return arm


@pytest.fixture
def seller(client: FlaskClient) -> str:
    register(client)
    return token_of(client)


def new_employee(client: FlaskClient, token: str, key: str | None = KEY, **changes):
    headers = bearer(token) | ({"Idempotency-Key": key} if key else {})
    return client.post("/api/v1/sub-accounts", headers=headers, json=EMPLOYEE | changes)


def register_seller(client: FlaskClient, key: str | None = KEY):
    return client.post(
        "/api/v1/sellers",
        json=SELLER,
        headers={"Idempotency-Key": key} if key else {},
        environ_base={"REMOTE_ADDR": OWNER_IP},
    )


def ask_for_recovery(client: FlaskClient, key: str | None = KEY):
    return client.post(
        "/api/v1/recovery-requests",
        json={
            "username": "Shop.One",
            "contact_email": "me.again@example.com",
            "description": "A stranger changed my password",
        },
        headers={"Idempotency-Key": key} if key else {},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )


def queued(client: FlaskClient, agent: dict[str, str]) -> list[str]:
    """The ids of the requests waiting in the agents' queue."""
    listed = client.get("/api/v1/recovery-requests", headers=agent).get_json()
    return [item["id"] for item in listed["items"]]


def open_case(client: FlaskClient, world: dict, request_id: str, key: str = KEY):
    return client.post(
        "/api/v1/recovery-cases",
        headers=world["agent"] | {"Idempotency-Key": key},
        json={
            "account_id": world["seller_id"],
            "reason": "owner called",
            "request_id": request_id,
        },
    )


def employees(client: FlaskClient, token: str) -> list[tuple[str, str]]:
    listed = client.get("/api/v1/sub-accounts", headers=bearer(token)).get_json()
    return [(item["id"], item["username"]) for item in listed["items"]]


def recorded(services: Services, topic_end: str) -> int:
    """How many events of that kind the log holds."""
    notifications = services.ledger.recorder.select_notifications(start=1, limit=1000)
    return sum(1 for n in notifications if n.topic.endswith(topic_end))


def land_earlier_attempt_after_the_read_back(
    services: Services, monkeypatch, earlier: Callable[[UUID], object]
) -> None:
    """The earlier attempt of the request, still running, lands just after
    its retry looked for it (and found nothing): ``earlier`` runs it with
    the id the retry looked for."""
    ledger = services.ledger
    looked = ledger.created_before

    def then_it_lands(aggregate_id, kind):
        found = looked(aggregate_id, kind)
        monkeypatch.setattr(ledger, "created_before", looked)  # once
        earlier(aggregate_id)
        return found

    monkeypatch.setattr(ledger, "created_before", then_it_lands)


def assert_unknown(answer) -> None:
    assert answer.status_code == 503
    assert answer.get_json()["code"] == "service_unavailable"
    assert "may or may not" in answer.get_json()["detail"]
    assert answer.headers["Retry-After"]


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_sub_account_retried_after_an_unknown_outcome_is_created_once(
    client, services, seller, lose_next_commit, lands
):
    lose_next_commit(lands)
    unknown = new_employee(client, seller)

    retried = new_employee(client, seller)
    again = new_employee(client, seller)

    assert_unknown(unknown)
    assert retried.status_code == 201, retried.get_json()
    created = retried.get_json()["id"]
    assert employees(client, seller) == [(created, "Emp.Unsure")]
    assert recorded(services, "SellerAccount.SubAccountAdded") == 1
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == retried.get_json()
    signed_in = token_of(client, username="Emp.Unsure", password=EMPLOYEE["password"])
    me = client.get("/api/v1/me", headers=bearer(signed_in)).get_json()
    assert me["id"] == created


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_registration_retried_after_an_unknown_outcome_is_created_once(
    client, services, lose_next_commit, lands
):
    lose_next_commit(lands)
    unknown = register_seller(client)

    retried = register_seller(client)

    assert_unknown(unknown)
    assert retried.status_code == 201, retried.get_json()
    account = services.sign_in.names.account_named("Shop.Unsure")
    assert account is not None
    assert str(account.id) == retried.get_json()["id"]
    assert recorded(services, "UsernameIndex.Claimed") == 1
    assert recorded(services, "SellerAccount.Registered") == 1


def test_after_an_unknown_outcome_the_key_still_refuses_another_request(
    client, seller, lose_next_commit
):
    lose_next_commit(True)
    assert_unknown(new_employee(client, seller))

    other = new_employee(client, seller, username="Emp.Other")

    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency_key_reused"
    assert [name for _, name in employees(client, seller)] == ["Emp.Unsure"]


def test_a_landed_name_asked_for_with_another_key_is_still_taken(
    client, seller, lose_next_commit
):
    """Only the request that created the account is answered as its creator:
    the same body under another key (another request) is a real conflict."""
    lose_next_commit(True)
    assert_unknown(new_employee(client, seller))

    other = new_employee(client, seller, key=OTHER_KEY)
    without = new_employee(client, seller, key=None)

    assert other.status_code == without.status_code == 409
    assert other.get_json()["code"] == without.get_json()["code"] == "username_taken"


def test_another_sellers_same_key_does_not_find_the_account(
    client, seller, lose_next_commit
):
    """Keys are the caller's: another seller replaying the key (and body)
    gets an id of its own, so the account that landed stays the first's."""
    lose_next_commit(True)
    assert_unknown(new_employee(client, seller))
    register(client, "Shop.Other")
    other = token_of(client, username="Shop.Other")

    theirs = new_employee(client, other)

    assert theirs.status_code == 409
    assert theirs.get_json()["code"] == "username_taken"
    assert employees(client, other) == []
    assert [name for _, name in employees(client, seller)] == ["Emp.Unsure"]


def test_a_key_reused_after_its_24_hours_is_a_new_request_not_the_old_account(
    client, clock
):
    """The id derives from the key's claim, and a claim ends with the key's
    lifetime: the same key a day later never answers the old account."""
    first = register_seller(client)
    clock.advance(hours=24, minutes=1)

    later = register_seller(client)

    assert first.status_code == 201
    assert later.status_code == 409
    assert later.get_json()["code"] == "username_taken"
    assert first.get_json()["id"] not in later.get_data(as_text=True)


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_recovery_request_retried_after_an_unknown_outcome_is_queued_once(
    client, services, world, lose_next_commit, lands
):
    lose_next_commit(lands)
    unknown = ask_for_recovery(client)

    retried = ask_for_recovery(client)
    again = ask_for_recovery(client)

    assert_unknown(unknown)
    assert retried.status_code == 202, retried.get_json()
    request_id = retried.get_json()["request_id"]
    assert queued(client, world["agent"]) == [request_id]
    assert recorded(services, "RecoveryRequest.Submitted") == 1
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == retried.get_json()


def test_a_recovery_request_asked_again_with_another_key_is_a_second_request(
    client, world, lose_next_commit
):
    """Only the retry of the request that landed finds it: the same words
    under another key are another request, queued as such."""
    lose_next_commit(True)
    assert_unknown(ask_for_recovery(client))
    first = ask_for_recovery(client).get_json()["request_id"]

    other = ask_for_recovery(client, key=OTHER_KEY)

    assert other.status_code == 202
    assert other.get_json()["request_id"] != first
    assert sorted(queued(client, world["agent"])) == sorted(
        [first, other.get_json()["request_id"]]
    )


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_case_opened_from_a_request_retried_after_an_unknown_outcome_opens_once(
    client, services, world, lose_next_commit, lands
):
    """The retry answers the case that was opened (with its upload token), not
    a conflict with it: the request handled, the shop frozen."""
    request_id = ask_for_recovery(client, key=None).get_json()["request_id"]
    lose_next_commit(lands)
    unknown = open_case(client, world, request_id)

    retried = open_case(client, world, request_id)

    assert_unknown(unknown)
    assert retried.status_code == 201, retried.get_json()
    case = retried.get_json()
    assert case["request_id"] == request_id
    assert recorded(services, "RecoveryCase.Opened") == 1
    listed = client.get("/api/v1/recovery-cases", headers=world["agent"])
    assert [c["id"] for c in listed.get_json()["items"]] == [case["id"]]
    linked = client.get(
        "/api/v1/recovery-requests",
        headers=world["agent"],
        query_string={"status": "linked"},
    ).get_json()["items"]
    assert [(r["id"], r["case_id"]) for r in linked] == [(request_id, case["id"])]
    uploaded = recovery.upload(client, case)
    assert uploaded.status_code == 201, uploaded.get_json()


def test_a_second_case_for_the_handled_request_under_another_key_is_a_conflict(
    client, world, lose_next_commit
):
    """Only the retry of the opening that landed is answered the case: another
    opening for the same request is refused as before."""
    request_id = ask_for_recovery(client, key=None).get_json()["request_id"]
    lose_next_commit(True)
    assert_unknown(open_case(client, world, request_id))

    other = open_case(client, world, request_id, key=OTHER_KEY)

    assert other.status_code == 409
    assert other.get_json()["code"] == "request_handled"


def send_signal(client: FlaskClient, engine: dict, shop: dict, key: str = KEY):
    return client.post(
        "/api/v1/platform/risk-signals",
        headers=engine["headers"] | {"Idempotency-Key": key},
        json=security_center.signal(shop),
    )


def intercepted(client: FlaskClient, shop: dict) -> list[str]:
    """What the shop's security center lists as stopped."""
    listed = client.get("/api/v1/security-center/risk-orders", headers=shop["headers"])
    return [item["id"] for item in listed.get_json()["items"]]


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_risk_signal_retried_after_an_unknown_outcome_is_recorded_once(
    client, services, shop, engine, lose_next_commit, lands
):
    """The retry answers as the first delivery would have (201, the signal
    new), not as another delivery of a known signal (200)."""
    lose_next_commit(lands)
    unknown = send_signal(client, engine, shop)

    retried = send_signal(client, engine, shop)

    assert_unknown(unknown)
    assert retried.status_code == 201, retried.get_json()
    assert recorded(services, "RiskSignal.Received") == 1
    assert intercepted(client, shop) == [retried.get_json()["id"]]


def test_a_landed_signal_delivered_again_under_another_key_is_the_same_signal(
    client, services, shop, engine, lose_next_commit
):
    """Only the retry of the delivery that recorded it is answered as new;
    another delivery of it is answered the known signal (200), as before."""
    lose_next_commit(True)
    assert_unknown(send_signal(client, engine, shop))

    other = send_signal(client, engine, shop, key=OTHER_KEY)
    retried = send_signal(client, engine, shop)

    assert other.status_code == 200, other.get_json()
    assert retried.status_code == 201, retried.get_json()
    assert other.get_json() == retried.get_json()
    assert recorded(services, "RiskSignal.Received") == 1


def test_a_request_landing_while_its_retry_runs_is_the_answer(
    client, services, world, monkeypatch
):
    """The earlier attempt's insert lands after the retry looked: the retry's
    own insert collides with it and answers it, not a failure."""
    land_earlier_attempt_after_the_read_back(
        services,
        monkeypatch,
        lambda request_id: services.recovery.request(
            "Shop.One", "me.again@example.com", "Earlier", Actor.system(), request_id
        ),
    )

    retried = ask_for_recovery(client)

    assert retried.status_code == 202, retried.get_json()
    assert queued(client, world["agent"]) == [retried.get_json()["request_id"]]
    assert recorded(services, "RecoveryRequest.Submitted") == 1


def test_a_case_landing_while_its_retry_runs_is_the_answer(
    client, services, world, monkeypatch
):
    """The earlier attempt opens the case after the retry looked: the retry
    finds the request handled and the shop frozen, and answers that case."""
    request_id = ask_for_recovery(client, key=None).get_json()["request_id"]
    land_earlier_attempt_after_the_read_back(
        services,
        monkeypatch,
        lambda case_id: services.recovery.open(
            UUID(world["seller_id"]),
            "owner called",
            None,
            Actor.system(),
            UUID(request_id),
            case_id,
        ),
    )

    retried = open_case(client, world, request_id)

    assert retried.status_code == 201, retried.get_json()
    assert retried.get_json()["request_id"] == request_id
    assert recorded(services, "RecoveryCase.Opened") == 1


def block_buyer(client: FlaskClient, shop: dict, key: str | None = KEY):
    return client.post(
        "/api/v1/blocklist",
        headers=shop["headers"] | ({"Idempotency-Key": key} if key else {}),
        json={
            "buyer": "Buyer_Unsure",
            "reason": "fake_review",
            "scope": "this_id",
            "duration": "90d",
        },
    )


def blocked(client: FlaskClient, shop: dict) -> list[dict]:
    """The shop's block list as it shows it."""
    return client.get("/api/v1/blocklist", headers=shop["headers"]).get_json()["items"]


@pytest.mark.parametrize("lands", [True, False], ids=["landed", "not_landed"])
def test_a_block_retried_after_an_unknown_outcome_is_made_once(
    client, services, shop, lose_next_commit, lands
):
    """The retry answers the block as made (201, the same entry), not as
    the caller's own ``already_blocked``."""
    lose_next_commit(lands)
    unknown = block_buyer(client, shop)

    retried = block_buyer(client, shop)
    again = block_buyer(client, shop)

    assert_unknown(unknown)
    assert retried.status_code == 201, retried.get_json()
    assert blocked(client, shop) == [retried.get_json()]
    assert recorded(services, "BlockList.BuyerBlocked") == 1
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == retried.get_json()


def test_a_landed_block_asked_for_again_by_another_request_is_already_blocked(
    client, services, shop, lose_next_commit
):
    """Only the retry of the request that made the block is answered it;
    another key, or none, is refused ``already_blocked`` as before."""
    lose_next_commit(True)
    assert_unknown(block_buyer(client, shop))

    other = block_buyer(client, shop, key=OTHER_KEY)
    without = block_buyer(client, shop, key=None)
    retried = block_buyer(client, shop)

    assert other.status_code == without.status_code == 409
    assert other.get_json()["code"] == without.get_json()["code"] == "already_blocked"
    assert retried.status_code == 201, retried.get_json()
    assert blocked(client, shop) == [retried.get_json()]
    assert recorded(services, "BlockList.BuyerBlocked") == 1
