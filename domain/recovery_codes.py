"""Recovery codes issued again: the old ones stop working at once."""

from __future__ import annotations

from typing import Any

from domain.aggregate import Recorded, shared_event


@shared_event
class RecoveryCodesRegenerated(Recorded.Event):
    """A new set of recovery codes (their hashes) replaced every old one."""

    TOPIC = "sellerguard:RecoveryCodesRegenerated"
    recovery_code_hashes: list[str]

    def apply(self, account: Any) -> None:
        account.recovery_code_hashes = list(self.recovery_code_hashes)
