"""Sign-in outcomes, lockouts, throttles and alerts, counted from the log.

A step of the log follower with a tracking position of its own in the view
store: a page of events is counted, the position moved (compare-and-set),
and only then are the counts told to the metrics port, so each event is
counted once whichever process leads. It starts at the log's head the first
time, so a deployment does not count years of history as one burst. Topics
are matched by name, so the sign-in model may change its classes freely.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from application.ledger import Ledger
from application.ports import SecurityMetrics
from application.read_models import Put, ViewStore
from application.security_views import Alerts

# Topic -> the outcome of a sign-in step it records.
OUTCOMES = {
    "sellerguard:LoginSucceeded": "succeeded",
    "sellerguard:LoginFailed": "failed",
    "sellerguard:LoginLockedOut": "refused_locked_out",
    "sellerguard:ChallengeIssued": "challenged",
    "sellerguard:SecondStepFailed": "second_step_failed",
    "sellerguard:ChallengeCodeFailed": "second_step_failed",
}
LOGIN_FAILED = "sellerguard:LoginFailed"
SECOND_STEP_LOCKED = "sellerguard:SecondStepLocked"
GUESSING_THROTTLED = "sellerguard:PasswordGuessingThrottled"
PAGE = 500

Tally = Counter[tuple[str, ...]]


class SecurityCounts:
    """Tells the metrics port what each sign-in event and alert was."""

    name = "security_counts"

    def __init__(
        self, ledger: Ledger, views: ViewStore, metrics: SecurityMetrics
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.metrics = metrics
        self.alerts = Alerts()
        self.topics = frozenset(
            {*OUTCOMES, SECOND_STEP_LOCKED, GUESSING_THROTTLED, *self.alerts.topics}
        )

    def run_step(self) -> int:
        """Count the events after the tracked position; how many were read."""
        position, head = self.views.position(self.name), self.ledger.last_position()
        if position == 0 and head > 0:  # first run: count from now on
            self.views.apply(self.name, 0, head, [])
            return 0
        read = 0
        while position < head:
            page = self.ledger.recorder.select_notifications(
                start=position, limit=PAGE, stop=head, inclusive_of_start=False
            )
            end = page[-1].id if len(page) >= PAGE else head
            tally = self._tally(n for n in page if n.topic in self.topics)
            if not self.views.apply(self.name, position, end, []):
                return read  # another process counted them
            self._tell(tally)
            read, position = read + len(page), end
        return read

    def _tally(self, notifications: Any) -> Tally:
        tally: Tally = Counter()
        for notification in notifications:
            event: Any = self.ledger.mapper.to_domain_event(notification)
            topic = notification.topic
            if topic in OUTCOMES:
                tally["sign_in", OUTCOMES[topic]] += 1
            if topic == LOGIN_FAILED and event.locked_until is not None:
                tally["lockout", "address"] += 1
            if topic == SECOND_STEP_LOCKED:
                tally["lockout", "second_step"] += 1
            if topic == GUESSING_THROTTLED:
                tally["throttle", "password_guessing"] += 1
            for change in self.alerts.changes(event, notification.id):
                if isinstance(change, Put):
                    kind, severity = change.data["kind"], change.data["severity"]
                    tally["alert", kind, severity] += 1
        return tally

    def _tell(self, tally: Tally) -> None:
        tell: dict[str, Callable[..., None]] = {
            "sign_in": self.metrics.sign_in,
            "lockout": self.metrics.lockout,
            "throttle": self.metrics.throttle,
            "alert": self.metrics.alert,
        }
        for (what, *labels), count in tally.items():
            for _ in range(count):
                tell[what](*labels)
