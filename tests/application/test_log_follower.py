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


def records(caplog, message: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(message)]


def test_the_follower_says_it_started_leads_beats_signs_and_stops(
    services, clock, caplog
):
    services.follower.poll_interval = 0.01
    services.follower.heartbeat_every = 0.05
    record(services, 5)
    head = services.ledger.last_position()

    with caplog.at_level(logging.INFO):
        services.follower.start()
        wait_for(lambda: records(caplog, "checkpoint signed"), "sign a checkpoint")
        wait_for(
            lambda: any(
                r.positions["tree"] == head  # type: ignore[attr-defined]
                for r in records(caplog, "log follower: heartbeat")
            ),
            "beat with the tree at the head",
        )
        services.follower.stop()

    assert records(caplog, "log follower: started")[0].steps[:2] == [  # type: ignore[attr-defined]
        "read_models",
        "security_counts",
    ]
    assert records(caplog, "log follower: leading")
    beat = records(caplog, "log follower: heartbeat")[-1]
    assert beat.head == head  # type: ignore[attr-defined]
    assert beat.positions["alerts"] == head  # type: ignore[attr-defined]
    assert beat.leading is True  # type: ignore[attr-defined]
    signed = records(caplog, "checkpoint signed")[-1]
    assert signed.tree_size == services.integrity.checkpoint().size  # type: ignore[attr-defined]
    assert records(caplog, "log follower: stopped")


def test_a_failure_is_logged_with_its_retry_and_the_recovery_too(caplog):
    failures = iter([True, True, False])

    def flaky() -> int:
        if next(failures):
            raise RuntimeError("database restarting")
        return 1

    follower = LogFollower([Step("flaky", flaky)], AlwaysLeads(), poll_interval=0.5)

    with caplog.at_level(logging.INFO):
        follower.run_once()
        follower._status["flaky"].next_due = 0  # the retry is due now
        follower.run_once()
        follower._status["flaky"].next_due = 0
        follower.run_once()

    failed = records(caplog, "log follower: step flaky failed")
    assert [r.getMessage() for r in failed] == [
        "log follower: step flaky failed (1 in a row); retrying in 1.0 s",
        "log follower: step flaky failed (2 in a row); retrying in 2.0 s",
    ]
    assert "database restarting" in caplog.text  # the trace is in the record
    assert records(caplog, "log follower: step flaky recovered after 2 failures")


def test_a_heartbeat_that_cannot_read_positions_still_beats(caplog):
    follower = LogFollower([], AlwaysLeads())

    def unreachable() -> dict[str, Any]:
        raise ConnectionError("store down")

    follower.watch = unreachable
    with caplog.at_level(logging.INFO):
        assert follower.heartbeat(True, now=100.0)
        assert not follower.heartbeat(True, now=101.0)  # not due yet

    beat = records(caplog, "log follower: heartbeat")
    assert len(beat) == 1
    assert beat[0].watch_error == "ConnectionError: store down"  # type: ignore[attr-defined]
