"""The one log follower of a process: named steps in order, one leader per store."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from application.log_follower import (
    DuplicateStepError,
    LogFollower,
    Step,
    UnknownStepError,
)
from interface.composition import build_services
from tests.integrity.test_tamper import record


class AlwaysLeads:
    def try_acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def wait_for(condition: Any, what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"the follower did not {what}"
        time.sleep(0.02)


def test_steps_run_in_order_and_others_plug_in_by_name():
    ran: list[str] = []

    def step(name: str) -> Step:
        return Step(name, lambda: ran.append(name) or 0)

    follower = LogFollower([step("read_models"), step("tree")], AlwaysLeads())
    follower.add(step("audit_index"), after="read_models")
    follower.add(step("heartbeat"))
    follower.add(step("first"), before="read_models")

    follower.run_once()

    expected = ["first", "read_models", "audit_index", "tree", "heartbeat"]
    assert ran == expected
    assert follower.names() == expected
    with pytest.raises(DuplicateStepError):
        follower.add(step("tree"))
    with pytest.raises(UnknownStepError):
        follower.add(step("sweep"), after="nothing")


def test_a_failing_step_is_logged_by_name_and_the_later_steps_still_run(caplog):
    ran: list[str] = []
    failures = iter([True, False])

    def flaky() -> int:
        if next(failures):
            raise RuntimeError("database restarting")
        return 1

    follower = LogFollower(
        [Step("flaky", flaky), Step("after", lambda: ran.append("after") or 0)],
        AlwaysLeads(),
        poll_interval=0.0,
    )

    with caplog.at_level(logging.ERROR):
        follower.run_once()
    failed = follower.status()["flaky"]
    follower.run_once()

    assert ran == ["after", "after"]
    assert failed.last_error == "RuntimeError: database restarting"
    assert failed.last_success is None
    assert "step flaky failed" in caplog.text
    assert follower.status()["flaky"].last_error is None
    assert follower.status()["flaky"].done == 1


def test_a_step_with_a_spacing_runs_only_when_due():
    calls: list[int] = []
    follower = LogFollower(
        [Step("outbox", lambda: calls.append(1) or 0, every=60.0)], AlwaysLeads()
    )

    follower.run_once()
    follower.run_once()

    assert len(calls) == 1


def test_the_follower_keeps_views_index_and_integrity_at_the_head(services):
    services.follower.poll_interval = 0.01
    services.follower.start()
    record(services, 30)
    head = services.ledger.last_position()

    wait_for(lambda: services.audit.indexer.position() >= head, "index the log")
    wait_for(
        lambda: (services.integrity.store.last_leaf() or (0, 0))[1] >= head,
        "extend the Merkle tree",
    )
    wait_for(lambda: services.integrity.checkpoint(), "sign a checkpoint")
    wait_for(
        lambda: all(
            services.views.position(p.name) >= head
            for p in services.read_models.projections
        ),
        "bring the read models to the head",
    )
    services.follower.stop()

    assert services.integrity.verify().ok


def test_one_process_leads_at_a_time_and_another_takes_over(settings, clock):
    first = build_services(settings, clock)
    second = build_services(settings, clock)
    try:
        assert first.follower.leading()
        assert not second.follower.leading()
        first.follower.lock.release()  # the leader stopped (or died)
        assert second.follower.leading()
        assert not first.follower.leading()
    finally:
        first.close()
        second.close()
