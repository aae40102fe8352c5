"""The demo's month of risk-engine signals, and the shops' decisions on them.

The risk engine reports in batches: each batch carries what it found since
the last one, each finding with the moment it happened (``occurred_at``).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from domain.risk_signal import (
    Category,
    Decision,
    RiskSignal,
    SignalContent,
    SubjectKind,
    Verdict,
)
from domain.sign_in import Attempt

# Intercepted actions per shop and day, and how they split by category.
STOPPED_PER_DAY = {"willowwick": 3.0, "harbourtea": 1.5, "copperleaf": 1.0}
STOPPED_MIX = {
    (SubjectKind.REFUND, Category.MALICIOUS_REFUND): 4,
    (SubjectKind.REVIEW, Category.FAKE_REVIEW): 3,
    (SubjectKind.ORDER, Category.FRAUDULENT_ORDER): 3,
    (SubjectKind.MESSAGE, Category.PHISHING_MESSAGE): 2,
    (SubjectKind.SIGN_IN, Category.ACCOUNT_TAKEOVER_ATTEMPT): 1,
}
# Who in each shop decides on flagged orders and refunds.
DECIDERS = {
    "willowwick": "willowwick.support",  # customer service: refunds only
    "harbourtea": "harbourtea.packing",  # order fulfilment: both
    "copperleaf": "copperleaf",  # the owner
}
BUYERS = [
    "quick_buyer_7",
    "parcel.pete",
    "refund_rex_2",
    "nightowl_shop",
    "zz_top_deals",
]
ENGINE = Attempt("10.20.0.40", "risk-engine/3.1", "risk-engine")


class RiskEngine:
    """The platform's risk engine, reporting to SellerGuard through its key."""

    def __init__(self, demo: Any) -> None:
        self.d = demo
        self.random = random.Random(17)  # noqa: S311 - the same demo every time
        self.key = demo.s.platform_people.create_service_key(
            "risk-engine", ["risk:write"], demo.operator
        )
        self.principal = demo.s.sign_in.authenticate(self.key.value, None, None)
        self.sent = 0
        self.last = demo.clock.now() - timedelta(days=30)

    def report(self) -> list[tuple[str, Any]]:
        """Send what happened since the last batch; the flagged items it made."""
        now = self.d.clock.now()
        span = (now - self.last).total_seconds()
        flagged: list[tuple[str, Any]] = []
        for shop, rate in STOPPED_PER_DAY.items():
            days = span / 86400
            for _ in range(round(rate * days)):
                kind, category = self._weighted()
                self._send(shop, kind, Verdict.CONFIRMED_FRAUD, category, span)
            for _ in range(max(1, round(days / 3))):
                kind = self.random.choice([SubjectKind.ORDER, SubjectKind.REFUND])
                category = (
                    Category.FRAUDULENT_ORDER
                    if kind is SubjectKind.ORDER
                    else Category.MALICIOUS_REFUND
                )
                flagged.append(
                    (shop, self._send(shop, kind, Verdict.HIGH_RISK, category, span))
                )
        self.last = now
        return flagged

    def _weighted(self) -> tuple[SubjectKind, Category]:
        mix = list(STOPPED_MIX)
        return self.random.choices(mix, weights=list(STOPPED_MIX.values()))[0]

    def _send(
        self,
        shop: str,
        kind: SubjectKind,
        verdict: Verdict,
        category: Category,
        span: float,
    ) -> Any:
        self.sent += 1
        when = self.last + timedelta(seconds=self.random.uniform(0, span))
        content = SignalContent(
            signal_id=f"re-{self.sent:05d}",
            seller_id=self.d.ids[shop],
            subject_kind=kind,
            subject_id=f"{kind.value}-{self.random.randint(100000, 999999)}",
            verdict=verdict,
            category=category,
            buyer=self.random.choice(BUYERS),
            detail=DETAILS[category],
            occurred_at=when,
            order_id=f"order-{self.random.randint(100000, 999999)}"
            if kind is SubjectKind.REFUND
            else None,
        )
        actor = self.principal.actor(None, ENGINE.ip)
        view, _ = self.d.s.security_center.receive(content, actor)
        return view["id"]


DETAILS = {
    Category.MALICIOUS_REFUND: "Refund claimed for a parcel the carrier saw delivered.",
    Category.FAKE_REVIEW: "One-star review from an account created the same hour.",
    Category.FRAUDULENT_ORDER: "Card issued abroad; shipping to a parcel station.",
    Category.PHISHING_MESSAGE: "Message with a look-alike payment link.",
    Category.ACCOUNT_TAKEOVER_ATTEMPT: "Password tried from a known botnet address.",
    Category.OTHER: "Unusual activity.",
}


def batches(report_days: list[float]) -> list[Callable[[Any], None]]:
    """Scenes: the engine reports at each of these days before the end."""
    return [
        _batch(day, last=n == len(report_days) - 1) for n, day in enumerate(report_days)
    ]


def _batch(day: float, *, last: bool) -> Callable[[Any], None]:
    def scene(d: Any) -> None:
        d.clock.day(day)
        if not hasattr(d, "risk_engine"):
            d.risk_engine = RiskEngine(d)
        flagged = d.risk_engine.report()
        # The shops decide on most of what was flagged; the newest stay open.
        to_decide = flagged[: len(flagged) // 2] if last else flagged
        decide(d, to_decide)

    scene.__doc__ = f"The risk engine reports, {day:g} days before now."
    return scene


def decide(d: Any, flagged: list[tuple[str, Any]]) -> None:
    """Each shop's decider goes through its flagged items."""
    from interface.cli_demo import FLOOR, LAPTOP, acting

    for shop, decider in DECIDERS.items():
        items = [i for s, i in flagged if s == shop]
        if not items:
            continue
        device = LAPTOP if decider == shop else FLOOR
        who = d.sign_in(decider, device)
        for item_id in items:
            d.clock.tick(2)
            signal = d.s.ledger.load(item_id, RiskSignal)
            kind = signal.content.subject_kind
            if not who.may(f"risk_{kind.value}s:manage"):
                continue
            waive = d.risk_engine.random.random() < 0.7
            decision = {
                SubjectKind.ORDER: (Decision.CANCEL, Decision.KEEP),
                SubjectKind.REFUND: (Decision.REJECT, Decision.ACCEPT),
            }[kind][0 if waive else 1]
            note = "Matches the pattern the platform describes." if waive else ""
            d.s.security_center.decide(
                who, kind, item_id, decision, note, acting(who, device)
            )
