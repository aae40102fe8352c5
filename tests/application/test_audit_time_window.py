"""Audit pages filtered by time alone: the same events in log order by either plan.

A narrow window is read through the time index (its positions sorted), a
wide one in log order from the last time mark before it; both must list
exactly the events in the window, in log order, page after page, also when an
event was recorded after others with an earlier time (a slow process, a clock
behind). SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from application.audit_index import AuditFilters
from domain.actor import Actor, ActorKind
from infrastructure import audit_store
from interface.composition import Services
from tests.conftest import FakeClock

AUDITOR = Actor(
    ActorKind.STAFF, "5b0e2d5c-0c8c-4a47-9d55-3f7b7c1f0a11", "r", "192.0.2.9"
)
OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")


def every_page(services: Services, filters: AuditFilters) -> list[int]:
    positions, after = [], 0
    while True:
        page = services.audit.events(AUDITOR, filters, after=after, limit=2)
        positions += [item.position for item in page.items]
        if page.next is None:
            return positions
        after = page.next


@pytest.fixture
def timeline(services: Services, clock: FakeClock) -> dict[str, object]:
    """Service keys made an hour apart, and one recorded late with an old time."""
    start = clock.now()
    for n in range(6):
        services.platform_people.create_service_key(
            f"svc{n}", ["authz:check"], OPERATOR
        )
        clock.advance(hours=1)
    clock.current = start + timedelta(hours=2, minutes=30)  # a clock behind
    services.platform_people.create_service_key("late", ["authz:check"], OPERATOR)
    clock.current = start + timedelta(hours=10)  # reads go on the trail then
    return {"start": start}


@pytest.mark.parametrize("plan", ["time index", "log order"])
def test_a_window_lists_its_events_in_log_order_by_either_plan(
    services: Services, timeline: dict[str, object], monkeypatch, plan: str
):
    if plan == "log order":
        monkeypatch.setattr(audit_store, "SMALL_WINDOW", 1)
    start = timeline["start"]
    assert isinstance(start, type(services.clock.now()))
    everything = services.audit.events(AUDITOR, AuditFilters(), limit=500).items
    windows = [
        (start + timedelta(hours=2), start + timedelta(hours=4)),
        (start + timedelta(hours=2, minutes=30), start + timedelta(hours=9)),
        (None, start + timedelta(hours=1)),
        (start + timedelta(hours=8), start + timedelta(hours=9)),  # empty
    ]
    for since, until in windows:
        expected = [
            e.position
            for e in everything
            if (since is None or e.occurred_at >= since)
            and (until is None or e.occurred_at < until)
        ]
        found = every_page(services, AuditFilters(since=since, until=until))
        assert found == expected, (since, until)
    late = [
        e for e in everything if e.occurred_at == start + timedelta(hours=2, minutes=30)
    ]
    assert late
    assert late[0].position > min(
        e.position for e in everything if e.occurred_at >= start + timedelta(hours=3)
    )  # the windows really hold an event out of time order


def test_a_window_read_from_the_time_marks_misses_no_event_recorded_late(
    services: Services, clock: FakeClock, monkeypatch
):
    """Events mostly in time order, some recorded with a clock up to 95 minutes
    behind; a mark after every event, and every window read in log order
    from its marks: each lists exactly the events in it."""
    monkeypatch.setattr(audit_store, "SMALL_WINDOW", 1)
    monkeypatch.setattr(audit_store, "MARK_SPACING", 1)
    rng = random.Random(23)
    start = clock.now()
    for n in range(40):
        behind = rng.choice([0, 0, 0, 35, 95])
        clock.current = start + timedelta(minutes=10 * n - behind)
        services.platform_people.create_service_key(
            f"svc{n}", ["authz:check"], OPERATOR
        )
        services.audit.indexer.catch_up()  # a page, and so a mark, per key
    day = clock.current = start + timedelta(days=1)
    everything = services.audit.events(AUDITOR, AuditFilters(), limit=500).items
    late = [
        e
        for e in everything
        if any(
            o.position < e.position and o.occurred_at > e.occurred_at
            for o in everything
        )
    ]
    assert late  # events really recorded out of time order
    for _ in range(40):
        since = start + timedelta(minutes=rng.randrange(-120, 420))
        until = since + timedelta(minutes=rng.randrange(1, 240))
        expected = [e.position for e in everything if since <= e.occurred_at < until]
        assert every_page(services, AuditFilters(since=since, until=until)) == (
            expected
        ), (since, until)
        # Open-ended (up to the reads, each recorded on the trail at "day").
        only_since = [e.position for e in everything if since <= e.occurred_at < day]
        found = every_page(services, AuditFilters(since=since, until=day))
        assert found == only_since
