"""Portfolios: one view over every store of an owner, linked by one-time codes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4, uuid5

from application.ledger import Changes, Ledger
from application.ports import Clock
from application.principals import Principal
from domain.actor import Actor
from domain.portfolio import (
    AlreadyLinkedError,
    InvalidPortfolioCodeError,
    NotLinkedError,
    Portfolio,
    PortfolioConflictError,
    PortfolioInvitation,
    PortfolioMembership,
)
from domain.seller_account import SellerAccount

# No 0/O, 1/I/L or U: a code read aloud or retyped survives.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 10  # about 49 bits, for ten minutes, behind a seller's session


@dataclass(frozen=True)
class InvitationView:
    """A code, shown once, and when it stops working."""

    code: str
    expires_at: datetime


@dataclass(frozen=True)
class StoreRef:
    """A store of a portfolio."""

    id: UUID
    username: str


@dataclass(frozen=True)
class PortfolioView:
    """A portfolio and its stores."""

    portfolio_id: UUID
    stores: list[StoreRef]


def normalise_code(code: str) -> str:
    """Codes are accepted in any letter case, with spaces or hyphens."""
    return "".join(code.split()).replace("-", "").upper()


class Portfolios:
    """Linking and unlinking the stores of one owner."""

    def __init__(self, ledger: Ledger, namespace: UUID, clock: Clock) -> None:
        self.ledger = ledger
        self.namespace = namespace
        self.clock = clock

    def invite(self, seller: Principal, actor: Actor) -> InvitationView:
        """A one-time code, valid ten minutes, for another store to enter."""
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = self.clock.now()

        def build(changes: Changes) -> datetime:
            # Issued inside the build: a retried commit issues it afresh
            # instead of re-adding an aggregate a failed save has spoilt.
            invitation = PortfolioInvitation.issue(
                self._invitation_id(raw), seller.id, actor, now
            )
            changes.add(invitation)
            return invitation.expires_at

        expires_at = self.ledger.commit(build).result
        return InvitationView(f"{raw[:5]}-{raw[5:]}", expires_at)

    def link(self, seller: Principal, code: str, actor: Actor) -> PortfolioView:
        """Link the caller's store with the store that made the code."""
        invitation_id = self._invitation_id(normalise_code(code))
        now = self.clock.now()

        def build(changes: Changes) -> UUID:
            invitation = changes.find(invitation_id, PortfolioInvitation)
            if invitation is None:
                raise InvalidPortfolioCodeError(str(invitation_id))
            invitation.redeem(seller.id, actor, now)
            return self._join(changes, invitation.store_id, seller.id, actor, now)

        portfolio_id = self.ledger.commit(build).result
        return self.view(portfolio_id)

    def unlink(self, seller: Principal, store_id: UUID, actor: Actor) -> None:
        """Take a store (the caller's own, or another) out of the caller's portfolio."""
        now = self.clock.now()

        def build(changes: Changes) -> None:
            portfolio_id = self.portfolio_of(seller.id)
            if portfolio_id is None:
                raise NotLinkedError(str(store_id))
            portfolio = changes.load(portfolio_id, Portfolio)
            for gone in portfolio.unlink(store_id, actor, now):
                self._membership(changes, gone).leave(actor, now)

        self.ledger.commit(build)

    def portfolio_of(self, store_id: UUID) -> UUID | None:
        """The portfolio the store is in, if any."""
        membership_id = PortfolioMembership.id_of(self.namespace, store_id)
        membership = self.ledger.peek(membership_id, PortfolioMembership)
        return None if membership is None else membership.portfolio_id

    def stores_of(self, store_id: UUID) -> list[UUID]:
        """Every store of the caller's portfolio (just its own when it has none)."""
        portfolio_id = self.portfolio_of(store_id)
        portfolio = (
            None if portfolio_id is None else self.ledger.peek(portfolio_id, Portfolio)
        )
        return [store_id] if portfolio is None else list(portfolio.stores)

    def view(self, portfolio_id: UUID) -> PortfolioView:
        """The portfolio and its stores' names."""
        portfolio = self.ledger.load(portfolio_id, Portfolio)
        stores = []
        for store_id in portfolio.stores:
            seller = self.ledger.peek(store_id, SellerAccount)
            stores.append(StoreRef(store_id, "" if seller is None else seller.username))
        return PortfolioView(portfolio_id, stores)

    def _join(
        self, changes: Changes, inviter: UUID, joiner: UUID, actor: Actor, at: datetime
    ) -> UUID:
        first = self._membership_or_none(changes, inviter)
        second = self._membership_or_none(changes, joiner)
        ids = [None if m is None else m.portfolio_id for m in (first, second)]
        if ids[0] is not None and ids[1] is not None:
            if ids[0] == ids[1]:
                raise AlreadyLinkedError(str(joiner))
            raise PortfolioConflictError(str(joiner))
        if ids[0] is None and ids[1] is None:
            portfolio = changes.add(
                Portfolio.found(uuid4(), [inviter, joiner], actor, at)
            )
            for store_id, membership in ((inviter, first), (joiner, second)):
                self._enter(changes, membership, store_id, portfolio.id, actor, at)
            return portfolio.id
        existing = ids[0] or ids[1]
        assert existing is not None  # noqa: S101 - one of the two, by the test above
        newcomer, membership = (joiner, second) if ids[0] else (inviter, first)
        changes.load(existing, Portfolio).link(newcomer, actor, at)
        self._enter(changes, membership, newcomer, existing, actor, at)
        return existing

    def _enter(
        self,
        changes: Changes,
        membership: PortfolioMembership | None,
        store_id: UUID,
        portfolio_id: UUID,
        actor: Actor,
        at: datetime,
    ) -> None:
        if membership is None:
            changes.add(
                PortfolioMembership.start(
                    self.namespace, store_id, portfolio_id, actor, at
                )
            )
        else:
            membership.join(portfolio_id, actor, at)

    def _membership_or_none(
        self, changes: Changes, store_id: UUID
    ) -> PortfolioMembership | None:
        membership_id = PortfolioMembership.id_of(self.namespace, store_id)
        return changes.find(membership_id, PortfolioMembership)

    def _membership(self, changes: Changes, store_id: UUID) -> PortfolioMembership:
        membership_id = PortfolioMembership.id_of(self.namespace, store_id)
        return changes.load(membership_id, PortfolioMembership)

    def _invitation_id(self, code: str) -> UUID:
        # Derived under the installation's secret namespace: a reader of the
        # database cannot turn stored ids back into codes.
        return uuid5(self.namespace, f"portfolio-code:{code}")
