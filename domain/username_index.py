"""The index that makes login names unique across every kind of account."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actor import Actor
from domain.aggregate import Recorded
from domain.username import Username


class UsernameIndex(Recorded):
    """Claims one login name for one account.

    Its id is derived from the normalised name, so a second claim of the same
    name is a second version 1 of the same aggregate: the store refuses it
    and the whole save with it.
    """

    TOPIC = "sellerguard:UsernameIndex"

    class Event(Recorded.Event):
        TOPIC = "sellerguard:UsernameIndex.Event"

    class Claimed(Event, Recorded.Created):
        """A login name was claimed for an account."""

        TOPIC = "sellerguard:UsernameIndex.Claimed"
        account_id: UUID
        account_kind: str

    def __init__(self, account_id: UUID, account_kind: str) -> None:
        self.account_id = account_id
        self.account_kind = account_kind

    @classmethod
    def claim(
        cls,
        username: Username,
        namespace: UUID,
        account_id: UUID,
        account_kind: str,
        actor: Actor,
        at: datetime,
    ) -> UsernameIndex:
        """Claim the name for the account."""
        return cls._create(
            cls.Claimed,
            id=username.index_id(namespace),
            account_id=account_id,
            account_kind=account_kind,
            actor=actor,
            timestamp=at,
        )
