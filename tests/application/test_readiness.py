"""Readiness: named checks within one budget; a hanging check is not waited for."""

from __future__ import annotations

import threading

from application.readiness import Readiness, ReadinessCheck


def passes(_: float) -> None:
    """A condition that holds."""


def fails(_: float) -> None:
    raise ConnectionRefusedError


def test_ready_when_every_check_passes():
    readiness = Readiness([ReadinessCheck("store", passes)])

    assert readiness.failing() == []


def test_a_failing_check_is_named_and_the_others_still_run():
    readiness = Readiness(
        [ReadinessCheck("store", fails), ReadinessCheck("follower", passes)]
    )
    readiness.add(ReadinessCheck("lag", fails))

    assert readiness.failing() == ["store", "lag"]


def test_a_hanging_check_fails_and_is_not_started_again_until_it_ends():
    release = threading.Event()
    started: list[float] = []

    def hangs(seconds: float) -> None:
        started.append(seconds)
        release.wait()

    readiness = Readiness([ReadinessCheck("store", hangs)], budget=0.05)

    assert readiness.failing() == ["store"]
    assert readiness.failing() == ["store"]
    assert len(started) == 1
    release.set()
    readiness.close()
