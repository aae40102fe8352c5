"""The marketplace's inactivity policy: 30 days inactive, warned at 50, closed at 60."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import IntEnum

INACTIVE_AFTER = timedelta(days=30)
WARNED_AFTER = timedelta(days=50)
CLOSED_AFTER = timedelta(days=60)
# The checklist calls a store's status into question this long before closure.
CLOSURE_NEAR = CLOSED_AFTER - WARNED_AFTER


class InactivityStage(IntEnum):
    """How far a store has gone without activity (days, as the policy counts them)."""

    ACTIVE = 0
    INACTIVE = 30
    WARNED = 50
    CLOSED = 60


def stage_at(last_activity_at: datetime, at: datetime) -> InactivityStage:
    """The stage a store reaches at ``at`` when last active at ``last_activity_at``."""
    idle = at - last_activity_at
    if idle >= CLOSED_AFTER:
        return InactivityStage.CLOSED
    if idle >= WARNED_AFTER:
        return InactivityStage.WARNED
    if idle >= INACTIVE_AFTER:
        return InactivityStage.INACTIVE
    return InactivityStage.ACTIVE


def closes_at(last_activity_at: datetime) -> datetime:
    """When a store last active then is closed, unless someone is active before."""
    return last_activity_at + CLOSED_AFTER


def inactive_days(last_activity_at: datetime, at: datetime) -> int:
    """Whole days without activity (0 on the day of the last activity)."""
    return max(0, (at - last_activity_at).days)
