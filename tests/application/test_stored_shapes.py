"""Accounts stored before sessions, challenges and lockouts became values load.

``stored_v1_seller_account.json`` holds the events and a snapshot of one
seller account exactly as the previous version's code (main at 3034ff7)
encoded them: version-1 LoginFailed events without the decided counts, and
a snapshot with sessions and challenges as mappings and the lockout in three
parallel mappings. ``then`` holds what that code answered about the account.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from application.ledger import Ledger
from domain.block_list import BlockList, BlockReason, Duration, Scope
from domain.risk_signal import (
    Category,
    RiskSignal,
    SignalContent,
    SubjectKind,
    Verdict,
)
from domain.seller_account import SellerAccount
from domain.sign_in import FAILURES_BEFORE_LOCKOUT, FIRST_LOCKOUT, Attempt
from domain.sign_in_state import AddressLockout, Session
from tests.domain.builders import OWNER

RECORDED = json.loads(
    Path(__file__).with_name("stored_v1_seller_account.json").read_text()
)
THEN = RECORDED["then"]
MOMENT = datetime.fromisoformat(THEN["moment"])
HOME = Attempt("203.0.113.7", "Firefox", "laptop")


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    return Ledger()


def stored(item: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(RECORDED["id"]),
        originator_version=item["version"],
        topic=item["topic"],
        state=json.dumps(item["state"]).encode(),
    )


def replayed(ledger: Ledger) -> SellerAccount:
    account = None
    for item in RECORDED["events"]:
        account = ledger.mapper.to_domain_event(stored(item)).mutate(account)
    assert isinstance(account, SellerAccount)
    return account


def from_snapshot(ledger: Ledger) -> SellerAccount:
    snapshot = ledger.mapper.to_domain_event(stored(RECORDED["snapshot"]))
    account = snapshot.mutate(None)
    assert isinstance(account, SellerAccount)
    return account


def answers(account: SellerAccount) -> dict[str, Any]:
    """What the previous version's code answered about the account."""
    locked_at = MOMENT - timedelta(minutes=9)
    return {
        "moment": THEN["moment"],
        "locked_until": {
            ip: None if until is None else until.isoformat()
            for ip in THEN["locked_until"]
            for until in [account.locked_until(ip, locked_at)]
        },
        "live_sessions": sorted(account.live_sessions(MOMENT)),
        "session_expiry": {
            s: str(account.session_expiry(s, MOMENT).isoformat())  # type: ignore[union-attr]
            for s in ("s1", "s2")
        },
        "auth_time": {
            s: account.session_auth_time(s).isoformat()  # type: ignore[union-attr]
            for s in ("s1", "s2")
        },
        "throttled": account.guessing_throttled(MOMENT),
        "challenges": sorted(account.challenges),
        "challenge_attempt": list(
            vars(account.live_challenge("ch-2", MOMENT)).values()
        ),
        "recovery_code_hashes": account.recovery_code_hashes,
        "last_code_step": account.last_code_step,
        "knows_device": [
            account.knows_device("dev-1", MOMENT),
            account.knows_device("dev-0", MOMENT),
        ],
    }


def test_events_recorded_by_the_previous_version_replay_to_the_same_answers(ledger):
    account = replayed(ledger)

    assert answers(account) == THEN
    assert all(isinstance(s, Session) for s in account.sessions.values())


def test_a_snapshot_of_the_previous_shape_loads_as_its_events_replay(ledger):
    loaded, again = vars(from_snapshot(ledger)), vars(replayed(ledger))

    # Attributes added since the recording (read with defaults) are not in it.
    assert loaded == {name: again[name] for name in loaded}


def test_the_lockouts_of_the_previous_shape_become_one_value_per_address(ledger):
    account = from_snapshot(ledger)

    assert account.address_lockouts[HOME.ip] == AddressLockout(
        failures=0, level=2, until=datetime.fromisoformat(THEN["locked_until"][HOME.ip])
    )
    assert not hasattr(account, "ip_failures")


def test_an_address_locked_out_twice_before_is_locked_out_four_times_as_long(ledger):
    account = replayed(ledger)
    at = MOMENT + timedelta(hours=1)

    for _ in range(FAILURES_BEFORE_LOCKOUT):
        account.fail_password(HOME, OWNER, at)

    assert account.locked_until(HOME.ip, at) == at + 4 * FIRST_LOCKOUT


def test_a_snapshot_of_the_new_shape_loads_the_same(ledger):
    account = from_snapshot(ledger)
    again = ledger.mapper.to_stored_event(Snapshot.take(account))

    assert vars(ledger.mapper.to_domain_event(again).mutate(None)) == vars(account)


def test_a_risk_signal_recorded_before_deliveries_had_ids_loads_as_no_ones(ledger):
    """Version 1 of ``RiskSignal.Received`` had no ``delivery_id``: such a
    signal loads, says the same, and is no retried delivery's own."""
    content = SignalContent(
        "sig-old",
        UUID(RECORDED["id"]),
        SubjectKind.ORDER,
        "order-1",
        Verdict.HIGH_RISK,
        Category.FRAUDULENT_ORDER,
        "buyer_1",
        None,
        MOMENT,
    )
    new = RiskSignal.receive(content, OWNER, MOMENT, uuid4())
    record = ledger.mapper.to_stored_event(new.collect_events()[0])
    state = ledger.mapper.transcoder.decode(record.state)
    assert state.pop("class_version") == 2
    del state["delivery_id"]
    old = dataclasses.replace(record, state=ledger.mapper.transcoder.encode(state))

    signal = ledger.mapper.to_domain_event(old).mutate(None)

    assert isinstance(signal, RiskSignal)
    assert signal.content == content
    assert signal.delivery_id is None
    assert not signal.received_in(new.delivery_id)


def test_a_block_recorded_before_requests_had_ids_loads_as_no_ones(ledger):
    """Version 1 of ``BlockList.BuyerBlocked`` had no ``request_id``: such a
    block loads, shows the same, and is no retried request's own."""
    shop = UUID(RECORDED["id"])
    blocks = BlockList.start(shop, OWNER, MOMENT)
    made = blocks.block(
        "Buyer_Old",
        BlockReason.FAKE_REVIEW,
        Scope.THIS_ID,
        Duration.DAYS_90,
        "",
        OWNER,
        MOMENT,
        uuid4(),
    )
    request_id = blocks.entries["Buyer_Old"]["request_id"]
    started, new = (ledger.mapper.to_stored_event(e) for e in blocks.collect_events())
    state = ledger.mapper.transcoder.decode(new.state)
    assert state.pop("class_version") == 2
    del state["request_id"]
    old = dataclasses.replace(new, state=ledger.mapper.transcoder.encode(state))

    loaded = ledger.mapper.to_domain_event(old).mutate(
        ledger.mapper.to_domain_event(started).mutate(None)
    )

    assert isinstance(loaded, BlockList)
    assert loaded.active(MOMENT) == [made]
    assert loaded.made_by("Buyer_Old", request_id, MOMENT) is None
    assert blocks.made_by("Buyer_Old", request_id, MOMENT) == made
