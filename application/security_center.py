"""The Security Center: the risk engine's signals and the shop's decisions on them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from application.ledger import Ledger
from application.ports import Clock
from application.principals import Principal
from application.read_models import ReadModels, ViewStore
from application.security_center_views import (
    DECISIONS,
    INTERCEPTED,
    RISK_ITEMS,
    item_key,
    risk_item,
    signal_view,
)
from application.timestamps import rfc3339
from domain.actor import Actor
from domain.errors import SellerGuardError
from domain.risk_signal import (
    Category,
    Decision,
    RiskItemNotFoundError,
    RiskSignal,
    SignalContent,
    SubjectKind,
    signal_aggregate_id,
)
from domain.seller_account import SellerAccount

# A filtered list reads at most this many view items per page it answers.
MAX_SCAN = 5000


class SellerNotFoundError(SellerGuardError):
    """No seller account has that id."""

    code = "not_found"


class SecurityCenter:
    """Signals in from the risk engine; lists and decisions out to the shop."""

    def __init__(
        self,
        ledger: Ledger,
        views: ViewStore,
        read_models: ReadModels,
        clock: Clock,
    ) -> None:
        self.ledger = ledger
        self.views = views
        self.read_models = read_models
        self.clock = clock

    def receive(
        self, content: SignalContent, actor: Actor, delivery_id: UUID | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Record a signal once; returns its view and whether it is new.

        The same signal id again answers the first signal (when it says the
        same) without recording anything: the aggregate id is derived from
        the signal id, so even two deliveries at once record one signal.
        ``delivery_id``: the id a retried delivery gives the signal again
        (derived from its Idempotency-Key); the signal its earlier attempt
        recorded (the answer lost) is answered as new, as it was then.
        """
        if self.ledger.find(content.seller_id, SellerAccount) is None:
            raise SellerNotFoundError(str(content.seller_id))
        known = self.ledger.find(signal_aggregate_id(content.signal_id), RiskSignal)
        if known is None:
            signal = RiskSignal.receive(content, actor, self.clock.now(), delivery_id)
            try:
                self.ledger.save(signal)
            except IntegrityError:
                # The same signal, recorded just now by another request.
                known = self.ledger.load(signal.id, RiskSignal)
            else:
                return signal_view(signal), True
        known.check_same(content)
        return signal_view(known), known.received_in(delivery_id)

    def decide(
        self,
        principal: Principal,
        kind: SubjectKind,
        item_id: UUID,
        decision: Decision,
        note: str,
        actor: Actor,
    ) -> dict[str, Any]:
        """Decide once on the shop's flagged order or refund."""
        self._own_item(principal, kind, item_id)
        at = self.clock.now()

        def run(signal: RiskSignal) -> RiskSignal:
            signal.decide(decision, note, actor, at)
            return signal

        signal = self.ledger.update(item_id, RiskSignal, run).result
        return risk_item(signal)

    def risk_items(
        self,
        principal: Principal,
        kind: SubjectKind,
        status: str,
        limit: int,
        cursor: int | None,
    ) -> dict[str, Any]:
        """The shop's flagged orders or refunds, open or decided, newest first."""
        key = item_key(_shop(principal), kind.value, status)
        return self._page(RISK_ITEMS, key, limit, cursor)

    def intercepted(
        self,
        principal: Principal,
        category: Category | None,
        limit: int,
        cursor: int | None,
    ) -> dict[str, Any]:
        """What the platform stopped for the shop, newest first."""
        key = str(_shop(principal))
        if category is not None:
            key = f"{key}:{category.value}"
        return self._page(INTERCEPTED, key, limit, cursor)

    def decisions(
        self,
        seller_id: UUID,
        since: datetime | None,
        limit: int,
        cursor: int | None,
    ) -> dict[str, Any]:
        """The shop's decisions for the performance service, newest first."""
        if self.ledger.find(seller_id, SellerAccount) is None:
            raise SellerNotFoundError(str(seller_id))
        if since is None:
            return self._page(DECISIONS, str(seller_id), limit, cursor)
        floor = rfc3339(since)
        return self._page(
            DECISIONS,
            str(seller_id),
            limit,
            cursor,
            lambda data: str(data["decided_at"]) >= floor,
        )

    def _own_item(self, principal: Principal, kind: SubjectKind, item_id: UUID) -> None:
        signal = self.ledger.find(item_id, RiskSignal)
        if (
            signal is None
            or signal.seller_id != _shop(principal)
            or signal.content.subject_kind is not kind
            or not signal.is_decidable
        ):
            raise RiskItemNotFoundError(str(item_id))

    def _page(
        self,
        view: str,
        key: str,
        limit: int,
        cursor: int | None,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """One page of a view, optionally filtered, reading a bounded number."""
        self.read_models.ensure_current()
        kept: list[Any] = []
        before, scanned = cursor, 0
        while len(kept) <= limit and scanned < MAX_SCAN:
            batch = self.views.items(view, key, limit=limit + 1, before=before)
            scanned += len(batch)
            kept.extend(i for i in batch if keep is None or keep(i.data))
            if len(batch) <= limit:
                break
            before = batch[-1].position
        page = kept[:limit]
        more = len(kept) > limit or (scanned >= MAX_SCAN and bool(page))
        return {
            "items": [{"id": item.item_id, **item.data} for item in page],
            "next": str(page[-1].position) if more and page else None,
        }


def _shop(principal: Principal) -> UUID:
    shop = principal.seller_id
    if shop is None:
        raise RiskItemNotFoundError("no shop")
    return shop
