"""The one log follower of a process: every step that follows the log, in order.

Read models, the audit index, the Merkle tree with its checkpoints and the
outbox each used to follow the log in a loop of their own. One follower per
process now drives them in a fixed order, as named steps, so that others can
be plugged in (``add``) and watched (``status``). Only the process that holds
the leader lock runs the steps, so several workers never sign over each
other; the others keep trying for the lock, and take over when its holder
dies (the lock dies with it).

A step's failure is logged with its name and retried with a growing pause;
the other steps carry on, so a follower never dies quietly. It says when it
starts, when it takes the lead or stands by, and, every ``heartbeat_every``
seconds, where each of its followers stands (``watch``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from application.ports import LeaderLock

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.2
MAX_RETRY_PAUSE = 30.0
HEARTBEAT_EVERY = 60.0


class UnknownStepError(ValueError):
    """No step of that name is in the follower."""


class DuplicateStepError(ValueError):
    """A step of that name is already in the follower."""


@dataclass
class Step:
    """One named thing the follower does on each pass; ``run`` says how much it did.

    ``every`` spaces its runs (seconds; 0 runs it on every pass).
    """

    name: str
    run: Callable[[], int]
    every: float = 0.0


@dataclass
class StepStatus:
    """What a step last did, for heartbeats, lag metrics and health checks."""

    runs: int = 0
    last_run: float | None = None  # time.monotonic() of the last attempt
    last_success: float | None = None
    last_error: str | None = None
    failures_in_a_row: int = 0
    done: int = 0  # total work reported by ``run``
    next_due: float = field(default=0.0, repr=False)


class LogFollower:
    """Runs its steps in order, pass after pass, while this process leads."""

    def __init__(
        self,
        steps: Sequence[Step],
        lock: LeaderLock,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self.steps: list[Step] = []
        self.lock = lock
        self.poll_interval = poll_interval
        self._status: dict[str, StepStatus] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._pass_lock = threading.Lock()
        # What the heartbeat reports (positions and the head), if anything.
        self.watch: Callable[[], Mapping[str, Any]] | None = None
        self.heartbeat_every = HEARTBEAT_EVERY
        self._last_heartbeat = float("-inf")
        for step in steps:
            self.add(step)

    def add(
        self, step: Step, *, before: str | None = None, after: str | None = None
    ) -> None:
        """Plug a step in: at the end, or just before or after a named one."""
        if step.name in self._status:
            raise DuplicateStepError(step.name)
        index = len(self.steps)
        if before is not None:
            index = self._index(before)
        elif after is not None:
            index = self._index(after) + 1
        self.steps.insert(index, step)
        self._status[step.name] = StepStatus()

    def names(self) -> list[str]:
        """The steps' names in the order they run."""
        return [step.name for step in self.steps]

    def status(self) -> dict[str, StepStatus]:
        """Each step's last run, success and error (a copy)."""
        return {name: StepStatus(**vars(s)) for name, s in self._status.items()}

    def leading(self) -> bool:
        """Whether this process holds the lock (it tries to take it if free)."""
        return self.lock.try_acquire()

    def run_once(self) -> int:
        """One pass of every due step, in order; how much they did in all."""
        with self._pass_lock:
            done = 0
            for step in self.steps:
                done += self._run(step, time.monotonic())
            return done

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Lead and follow until stopped; wait for the lock while another leads."""
        stop = stop or self._stop
        logger.info(
            "log follower: started",
            extra={"steps": self.names(), "poll_interval": self.poll_interval},
        )
        led = None
        try:
            while not stop.is_set():
                leading = self.leading()
                if leading != led:
                    led = leading
                    logger.info(
                        "log follower: %s",
                        "leading" if leading else "standing by, another process leads",
                    )
                self.heartbeat(leading)
                if not leading:
                    stop.wait(max(self.poll_interval, 1.0))
                    continue
                if not self.run_once():
                    stop.wait(self.poll_interval)
        finally:
            self.lock.release()
            logger.info("log follower: stopped")

    def heartbeat(self, leading: bool, *, now: float | None = None) -> bool:
        """Log where the followers stand, when a heartbeat is due; whether it was."""
        now = time.monotonic() if now is None else now
        if now - self._last_heartbeat < self.heartbeat_every:
            return False
        self._last_heartbeat = now
        extra: dict[str, Any] = {"leading": leading}
        failing = {n: s.last_error for n, s in self._status.items() if s.last_error}
        if failing:
            extra["failing"] = failing
        if self.watch is not None:
            try:
                extra.update(self.watch())
            except Exception as error:  # the heartbeat must go on: say why it is short
                extra["watch_error"] = f"{type(error).__name__}: {error}"
        logger.info("log follower: heartbeat", extra=extra)
        return True

    def start(self) -> None:
        """Follow in a background thread of this process (idempotent)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self.run_forever, name="sellerguard-log-follower", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the background thread and give up the lock."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.lock.release()

    def _run(self, step: Step, now: float) -> int:
        status = self._status[step.name]
        if now < status.next_due:
            return 0
        status.runs += 1
        status.last_run = now
        try:
            done = step.run()
        except Exception as error:
            status.failures_in_a_row += 1
            status.last_error = f"{type(error).__name__}: {error}"
            pause = min(
                self.poll_interval * 2**status.failures_in_a_row, MAX_RETRY_PAUSE
            )
            status.next_due = now + pause
            # A record that does not open in its place is tampering: page someone.
            violated = getattr(error, "code", "") == "integrity_violation"
            logger.log(
                logging.CRITICAL if violated else logging.ERROR,
                "log follower: step %s failed (%d in a row); retrying in %.1f s",
                step.name,
                status.failures_in_a_row,
                pause,
                exc_info=True,
                extra={"step": step.name, "retry_in": pause},
            )
            return 0
        if status.failures_in_a_row:
            logger.info(
                "log follower: step %s recovered after %d failures",
                step.name,
                status.failures_in_a_row,
            )
        status.failures_in_a_row = 0
        status.last_error = None
        status.last_success = time.monotonic()
        status.done += done
        status.next_due = now + step.every
        return done

    def _index(self, name: str) -> int:
        for index, step in enumerate(self.steps):
            if step.name == name:
                return index
        raise UnknownStepError(name)
