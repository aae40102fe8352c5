"""Other services' question: may this person do that, right now?"""

from __future__ import annotations

from uuid import UUID

from application.ledger import Ledger
from application.principals import permissions_of
from domain.seller_account import SellerAccount
from domain.sign_in import AccountStatus, SignInAccount


class AccessChecks:
    """Answers from the one permission matrix and the accounts' current state."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def allowed(self, principal_id: UUID, permission: str) -> bool:
        """Whether an active person's role grants the permission.

        Unknown, deactivated and frozen accounts, and the sub-accounts of a
        frozen shop, may do nothing.
        """
        account = self.ledger.find(principal_id, SignInAccount)
        if account is None or account.status is not AccountStatus.ACTIVE:
            return False
        if account.employer_id is not None:
            seller = self.ledger.load(account.employer_id, SellerAccount)
            if seller.status is not AccountStatus.ACTIVE:
                return False
        return permission in permissions_of(account)
