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


@dataclass(frozen=True)
class ReadinessCheck:
    """One condition of readiness: ``probe(seconds)`` raises when it fails."""

    name: str
    probe: Callable[[float], object]


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
        deadline = monotonic() + self.budget
        return [
            check.name for check in self.checks if not self._passes(check, deadline)
        ]

    def close(self) -> None:
        """Stop the probes' threads (a probe still running is not waited for)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _passes(self, check: ReadinessCheck, deadline: float) -> bool:
        left = deadline - monotonic()
        if left <= 0:
            return False
        with self._lock:
            running = self._running.get(check.name)
            if running is not None and not running.done():
                return False  # the last probe still hangs: not ready
            future = self._executor.submit(check.probe, left)
            self._running[check.name] = future
        try:
            future.result(timeout=left)
        except FutureTimeout:
            return False
        except Exception:
            return False
        return True
