"""Portfolios: the stores of one owner, linked by a one-time code both stores proved.

A store is in one portfolio at most. Linking a store to a store already in a
portfolio brings it into that portfolio; two stores already in different
portfolios are refused (unlink one first): a merge would show each portfolio's
stores to the other's owners on the strength of one pair's proof.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid5

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.errors import SellerGuardError

INVITATION_LIFETIME = timedelta(minutes=10)


class PortfolioError(SellerGuardError):
    """Base of the portfolio errors; never raised directly."""


class InvalidPortfolioCodeError(PortfolioError):
    """The code is unknown, expired or already used."""

    code = "invalid_portfolio_code"


class SameStoreError(PortfolioError):
    """The code was made by this store: enter it from a session of the other store."""

    code = "same_store"


class AlreadyLinkedError(PortfolioError):
    """The two stores are already in the same portfolio."""

    code = "already_linked"


class PortfolioConflictError(PortfolioError):
    """Both stores are already in different portfolios: unlink one first."""

    code = "portfolio_conflict"


class NotLinkedError(PortfolioError):
    """That store is not in the caller's portfolio."""

    code = "not_found"


class PortfolioInvitation(Recorded):
    """A one-time code with which another store joins the inviting store."""

    TOPIC = "sellerguard:PortfolioInvitation"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:PortfolioInvitation.Event"

    class Issued(Event, Recorded.Created):
        """A store made a code to link another store of the same owner."""

        TOPIC = "sellerguard:PortfolioInvitation.Issued"
        store_id: UUID
        expires_at: datetime

    class Redeemed(Event):
        """Another store used the code; it can never be used again."""

        TOPIC = "sellerguard:PortfolioInvitation.Redeemed"
        store_id: UUID

        def apply(self, invitation: PortfolioInvitation) -> None:
            invitation.redeemed_by = self.store_id

    def __init__(self, store_id: UUID, expires_at: datetime) -> None:
        self.store_id = store_id
        self.expires_at = expires_at
        self.redeemed_by: UUID | None = None

    @classmethod
    def issue(
        cls, invitation_id: UUID, store_id: UUID, actor: Actor, at: datetime
    ) -> PortfolioInvitation:
        """A code of the store, valid for ten minutes (its id derives from it)."""
        return cls._create(
            cls.Issued,
            id=invitation_id,
            store_id=store_id,
            expires_at=at + INVITATION_LIFETIME,
            actor=actor,
            timestamp=at,
        )

    def redeem(self, store_id: UUID, actor: Actor, at: datetime) -> None:
        """Use the code for ``store_id``: once, in time, by another store."""
        if self.redeemed_by is not None or at >= self.expires_at:
            raise InvalidPortfolioCodeError(str(self.id))
        if store_id == self.store_id:
            raise SameStoreError(str(store_id))
        self._record(self.Redeemed, actor, at, store_id=store_id)


class Portfolio(Recorded):
    """The linked stores of one owner."""

    TOPIC = "sellerguard:Portfolio"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:Portfolio.Event"

    class Founded(Event, Recorded.Created):
        """Two stores were linked into a new portfolio."""

        TOPIC = "sellerguard:Portfolio.Founded"
        stores: list[UUID]

    class StoreLinked(Event):
        """Another store joined the portfolio."""

        TOPIC = "sellerguard:Portfolio.StoreLinked"
        store_id: UUID

        def apply(self, portfolio: Portfolio) -> None:
            portfolio.stores.append(self.store_id)

    class StoreUnlinked(Event):
        """A store left the portfolio."""

        TOPIC = "sellerguard:Portfolio.StoreUnlinked"
        store_id: UUID

        def apply(self, portfolio: Portfolio) -> None:
            portfolio.stores.remove(self.store_id)

    def __init__(self, stores: list[UUID]) -> None:
        self.stores = list(stores)

    @classmethod
    def found(
        cls, portfolio_id: UUID, stores: list[UUID], actor: Actor, at: datetime
    ) -> Portfolio:
        """A new portfolio of these stores."""
        return cls._create(
            cls.Founded, id=portfolio_id, stores=stores, actor=actor, timestamp=at
        )

    def link(self, store_id: UUID, actor: Actor, at: datetime) -> None:
        """Bring another store into the portfolio."""
        if store_id in self.stores:
            raise AlreadyLinkedError(str(store_id))
        self._record(self.StoreLinked, actor, at, store_id=store_id)

    def unlink(self, store_id: UUID, actor: Actor, at: datetime) -> list[UUID]:
        """Take a store out; a portfolio of one is dissolved. Returns who left."""
        if store_id not in self.stores:
            raise NotLinkedError(str(store_id))
        left = [store_id] if len(self.stores) > 2 else list(self.stores)
        for gone in left:
            self._record(self.StoreUnlinked, actor, at, store_id=gone)
        return left


class PortfolioMembership(Recorded):
    """Which portfolio a store is in: one at most (its id derives from the store)."""

    TOPIC = "sellerguard:PortfolioMembership"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:PortfolioMembership.Event"

    class Started(Event, Recorded.Created):
        """The store joined its first portfolio."""

        TOPIC = "sellerguard:PortfolioMembership.Started"
        store_id: UUID
        portfolio_id: UUID

    class Joined(Event):
        """The store joined a portfolio."""

        TOPIC = "sellerguard:PortfolioMembership.Joined"
        portfolio_id: UUID

        def apply(self, membership: PortfolioMembership) -> None:
            membership.portfolio_id = self.portfolio_id

    class Left(Event):
        """The store left its portfolio."""

        TOPIC = "sellerguard:PortfolioMembership.Left"

        def apply(self, membership: PortfolioMembership) -> None:
            membership.portfolio_id = None

    def __init__(self, store_id: UUID, portfolio_id: UUID | None) -> None:
        self.store_id = store_id
        self.portfolio_id: UUID | None = portfolio_id

    @staticmethod
    def id_of(namespace: UUID, store_id: UUID) -> UUID:
        """The membership's id for a store."""
        return uuid5(namespace, f"portfolio-membership:{store_id}")

    @classmethod
    def start(
        cls,
        namespace: UUID,
        store_id: UUID,
        portfolio_id: UUID,
        actor: Actor,
        at: datetime,
    ) -> PortfolioMembership:
        """The store's membership, in its first portfolio."""
        return cls._create(
            cls.Started,
            id=cls.id_of(namespace, store_id),
            store_id=store_id,
            portfolio_id=portfolio_id,
            actor=actor,
            timestamp=at,
        )

    def join(self, portfolio_id: UUID, actor: Actor, at: datetime) -> None:
        """Join a portfolio; the store must have left its last one."""
        if self.portfolio_id is not None:
            raise PortfolioConflictError(str(self.store_id))
        self._record(self.Joined, actor, at, portfolio_id=portfolio_id)

    def leave(self, actor: Actor, at: datetime) -> None:
        """Leave the portfolio."""
        if self.portfolio_id is not None:
            self._record(self.Left, actor, at)
