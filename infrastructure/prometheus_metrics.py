"""Metrics in the Prometheus text format, through ``prometheus_client``.

Counters and histograms live in this process; under gunicorn each worker
writes them to files in ``PROMETHEUS_MULTIPROC_DIR`` (set by ``sellerguard
serve`` to a fresh directory) and a scrape of any worker adds up all of them.
What the stores know (followers' lag, the newest checkpoint's age, the
outbox) is read at scrape time, so it is the same whichever worker answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from application.follower_watch import LogState

logger = logging.getLogger(__name__)

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def use_multiprocess_dir(path: Path) -> None:
    """Make this process, and the workers it forks, share metrics through ``path``.

    prometheus_client picks its value class when first imported, which the
    ``sellerguard`` command has done before it knows it will serve: pick again.
    """
    os.environ[MULTIPROC_DIR] = str(path)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


class PrometheusMetrics:
    """The product's counters and histograms (implements ``SecurityMetrics``)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._state: Callable[[], LogState] | None = None
        self._children: dict[tuple[str, int], tuple[Counter, Histogram]] = {}
        self.requests = Counter(
            "sellerguard_http_requests",
            "HTTP requests answered, by operation and status.",
            ["operation", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sellerguard_http_request_duration_seconds",
            "Time to answer an HTTP request, by operation and status.",
            ["operation", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.sign_ins = Counter(
            "sellerguard_sign_ins",
            "Sign-in steps, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        self.lockouts = Counter(
            "sellerguard_lockouts",
            "Lockouts: an address out of an account, or a challenge voided.",
            ["kind"],
            registry=self.registry,
        )
        self.throttles = Counter(
            "sellerguard_throttles",
            "Requests slowed or refused: password guessing, rate limits.",
            ["kind"],
            registry=self.registry,
        )
        self.alerts = Counter(
            "sellerguard_alerts_raised",
            "Alerts raised to account owners, by kind and severity.",
            ["kind", "severity"],
            registry=self.registry,
        )

    def sign_in(self, outcome: str) -> None:
        self.sign_ins.labels(outcome).inc()

    def lockout(self, kind: str) -> None:
        self.lockouts.labels(kind).inc()

    def throttle(self, kind: str) -> None:
        self.throttles.labels(kind).inc()

    def alert(self, kind: str, severity: str) -> None:
        self.alerts.labels(kind, severity).inc()

    def request(self, operation: str, status: int, seconds: float) -> None:
        """One HTTP request answered."""
        children = self._children.get((operation, status))
        if children is None:  # labels() costs more than the counting: keep them
            labels = (operation, str(status))
            children = self.requests.labels(*labels), self.latency.labels(*labels)
            self._children[operation, status] = children
        children[0].inc()
        children[1].observe(seconds)

    def watch(self, state: Callable[[], LogState]) -> None:
        """Report the log's state, read at each scrape."""
        if self._state is None:
            self.registry.register(_LogCollector(lambda: self._state))
        self._state = state

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type."""
        registry = self.registry
        if os.environ.get(MULTIPROC_DIR):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            if self._state is not None:
                registry.register(_LogCollector(lambda: self._state))
        return generate_latest(registry), CONTENT_TYPE_LATEST


class _LogCollector(Collector):
    """Gauges read from the stores when scraped."""

    def __init__(self, state: Callable[[], Callable[[], LogState] | None]) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        read = self.state()
        if read is None:
            return
        try:
            state = read()
        except Exception:  # a scrape never fails: it says the stores did not answer
            logger.warning("metrics: the stores did not answer", exc_info=True)
            yield GaugeMetricFamily(
                "sellerguard_store_up", "Whether the stores answered.", value=0
            )
            return
        yield GaugeMetricFamily(
            "sellerguard_store_up", "Whether the stores answered.", value=1
        )
        lag = GaugeMetricFamily(
            "sellerguard_follower_lag",
            "Log positions each follower (read model, audit index, tree) is behind.",
            labels=["read_model"],
        )
        for name in sorted(state.positions):
            lag.add_metric([name], state.lag(name))
        yield lag
        yield GaugeMetricFamily(
            "sellerguard_log_head", "The newest log position.", value=state.head
        )
        if state.checkpoint_age is not None:
            yield GaugeMetricFamily(
                "sellerguard_checkpoint_age_seconds",
                "Seconds since the newest signed checkpoint.",
                value=state.checkpoint_age,
            )
        yield GaugeMetricFamily(
            "sellerguard_unsigned_positions",
            "Log positions after the newest signed checkpoint.",
            value=state.unsigned,
        )
        yield GaugeMetricFamily(
            "sellerguard_outbox_backlog",
            "Mails noted and not yet sent.",
            value=state.outbox_backlog,
        )
