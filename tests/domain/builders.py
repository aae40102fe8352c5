"""What domain tests build from: moments, actors, attempts, a fresh shop owner."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.actor import Actor, ActorKind
from domain.aggregate import Recorded
from domain.seller_account import SellerAccount
from domain.sign_in import Attempt
from domain.username import Username

NOON = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
SYSTEM = Actor(ActorKind.SYSTEM)
OWNER = Actor(ActorKind.SELLER, "owner")
HOME = Attempt(ip="203.0.113.7", user_agent="Firefox", device_id="laptop")
CAFE = Attempt(ip="198.51.100.9", user_agent="Safari", device_id="phone")


def recorded(aggregate: Recorded) -> list[str]:
    """The names of the events a command recorded (and the aggregate now holds)."""
    return [type(event).__name__ for event in aggregate.collect_events()]


def new_seller() -> SellerAccount:
    """A registered shop owner, its registration already collected."""
    account = SellerAccount.register(
        Username("Maria.Shop"), "maria@example.com", "hash-1", None, SYSTEM, NOON
    )
    account.collect_events()
    return account
