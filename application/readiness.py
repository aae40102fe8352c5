"""Readiness: whether this process can serve requests now, as named checks.

A load balancer asks often and must hear within a second, so each pass has
a budget: a check that has not answered in time counts as failing, and while
it is still running (a network that swallows packets) the next pass does not
start another one but reports it failing at once. Others add their checks
(the log follower's lag, say) with :meth:`Readiness.add`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from time import monotonic

# Seconds for a whole pass: the answer must reach the balancer within one,
# on a busy machine too.
BUDGET = 0.8


class NotReadyError(Exception):
    """A probe's refusal, with a reason fit for the load balancer's log."""


@dataclass(frozen=True)
class ReadinessCheck:
    """One condition of readiness: ``probe(seconds)`` raises when it fails."""

    name: str
    probe: Callable[[float], object]
    # Asked only when that check passed (its failure already says why).
    needs: str | None = None


class Readiness:
    """The process's readiness checks, run in order within one budget."""

    def __init__(self, checks: Sequence[ReadinessCheck], budget: float = BUDGET):
        self.checks = list(checks)
        self.budget = budget
        self._running: dict[str, Future[object]] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(thread_name_prefix="sellerguard-ready")

    def add(self, check: ReadinessCheck) -> None:
        """Another condition of readiness (after the others)."""
        self.checks.append(check)

    def failing(self) -> list[str]:
        """The names of the checks that fail now (none: ready)."""
        return list(self.failures())

    def failures(self) -> dict[str, str]:
        """Each check that fails now, with why (its probe's message, if any)."""
        deadline = monotonic() + self.budget
        found = {}
        for check in self.checks:
            if check.needs in found:
                continue
            reason = self._failure(check, deadline)
            if reason is not None:
                found[check.name] = reason
        return found

    def close(self) -> None:
        """Stop the probes' threads (a probe still running is not waited for)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _failure(self, check: ReadinessCheck, deadline: float) -> str | None:
        """Why the check fails now, or None when it passes."""
        left = deadline - monotonic()
        if left <= 0:
            return "no time left to ask"
        with self._lock:
            running = self._running.get(check.name)
            if running is not None and not running.done():
                return "the last probe still hangs"
            future = self._executor.submit(check.probe, left)
            self._running[check.name] = future
        try:
            future.result(timeout=left)
        except FutureTimeout:
            return "no answer in time"
        except NotReadyError as error:
            return str(error)  # a reason meant for operators
        except Exception as error:  # a driver's message may carry addresses
            return type(error).__name__
        return None
