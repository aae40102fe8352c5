"""Links between buyer identities the platform knows to be one person."""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

BUYER_NAMESPACE = uuid5(NAMESPACE_URL, "https://sellerguard.dev/buyer-identity")


def buyer_identity_id(buyer: str) -> UUID:
    """Each buyer username has one identity record, with an id derived from it."""
    return uuid5(BUYER_NAMESPACE, buyer)


class NothingToLinkError(SellerGuardError):
    """Name at least one buyer other than the one in the path: a buyer is
    always the same person as themselves."""

    code = "validation_error"
    field = "linked"


def others_to_link(buyer: str, names: list[str]) -> list[str]:
    """The usernames to link with ``buyer``: at least one besides the buyer."""
    others = [name for name in dict.fromkeys(names) if name != buyer]
    if not others:
        raise NothingToLinkError(buyer)
    return others


class BuyerIdentity(Recorded):
    """One buyer username and the usernames the platform linked to it."""

    TOPIC = "sellerguard:BuyerIdentity"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:BuyerIdentity.Event"

    class Noted(Event, Recorded.Created):
        """The platform first recorded something about this buyer."""

        TOPIC = "sellerguard:BuyerIdentity.Noted"
        buyer: str

    class Linked(Event):
        """The platform linked other usernames to this buyer."""

        TOPIC = "sellerguard:BuyerIdentity.Linked"
        buyer: str
        linked: list[str]

        def apply(self, identity: BuyerIdentity) -> None:
            identity.linked.extend(b for b in self.linked if b not in identity.linked)

    def __init__(self, buyer: str) -> None:
        self.buyer = buyer
        self.linked: list[str] = []

    @classmethod
    def note(cls, buyer: str, actor: Actor, at: datetime) -> BuyerIdentity:
        """A buyer's identity record."""
        return cls._create(
            cls.Noted,
            id=buyer_identity_id(buyer),
            buyer=buyer,
            actor=actor,
            timestamp=at,
        )

    def link(self, others: list[str], actor: Actor, at: datetime) -> None:
        """Link other usernames to this buyer (those already linked are skipped)."""
        new = [
            b for b in dict.fromkeys(others) if b != self.buyer and b not in self.linked
        ]
        if new:
            self._record(self.Linked, actor, at, buyer=self.buyer, linked=new)
