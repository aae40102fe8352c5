"""Known devices: server-issued device tokens, kept only as hashes.

A device is known to an account when it presents a valid device token of
that account; nothing the client says about itself (User-Agent, device id)
makes it known. Tokens last a year and can be revoked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.actor import Actor
from domain.aggregate import Recorded, shared_event

DEVICE_TOKEN_LIFETIME = timedelta(days=365)
# Clients that never keep their token would otherwise grow the account for
# ever; the oldest tokens make room (that device then counts as new).
MAX_DEVICE_TOKENS = 50


@shared_event
class DeviceTokensRevoked(Recorded.Event):
    """Device tokens stopped naming known devices (session ended, reset...)."""

    TOPIC = "sellerguard:DeviceTokensRevoked"
    token_hashes: list[str]
    reason: str

    def apply(self, account: DeviceAwareAccount) -> None:
        tokens = dict(account.device_tokens)
        for token_hash in self.token_hashes:
            tokens.pop(token_hash, None)
        account._device_tokens = tokens


def pushed_out_by_new_token(
    tokens: dict[str, dict[str, Any]], issued_at: datetime
) -> list[str]:
    """The tokens a new one issued at ``issued_at`` pushes out: the expired,
    and the oldest beyond the cap."""
    live = sorted(
        (h for h, t in tokens.items() if t["expires_at"] > issued_at),
        key=lambda h: tokens[h]["issued_at"],
    )
    oldest = live[: max(len(live) + 1 - MAX_DEVICE_TOKENS, 0)]
    expired = [h for h, t in tokens.items() if t["expires_at"] <= issued_at]
    return expired + oldest


def with_device_token(
    tokens: dict[str, dict[str, Any]],
    token_hash: str,
    device_id: str,
    issued_at: datetime,
    expires_at: datetime,
) -> dict[str, dict[str, Any]]:
    """The tokens with one more, the expired and the oldest beyond the cap gone
    (as LoginSucceeded events of version 2 and older are replayed)."""
    kept = {h: t for h, t in tokens.items() if t["expires_at"] > issued_at}
    kept[token_hash] = {
        "device_id": device_id,
        "issued_at": issued_at,
        "expires_at": expires_at,
    }
    newest = sorted(kept.items(), key=lambda item: item[1]["issued_at"])
    return dict(newest[-MAX_DEVICE_TOKENS:])


class DeviceAwareAccount(Recorded):
    """An account that knows the devices it issued tokens to."""

    if TYPE_CHECKING:  # a class annotation would make the library build a dataclass
        _device_tokens: dict[str, dict[str, Any]]

    @property
    def device_tokens(self) -> dict[str, dict[str, Any]]:
        """Device-token hash → device id, issue and expiry (accounts older than
        device tokens have none)."""
        tokens: dict[str, dict[str, Any]] = self.__dict__.get("_device_tokens") or {}
        return tokens

    def knows_device(self, token_hash: str | None, at: datetime) -> bool:
        """Whether the hash is of a valid device token of this account."""
        if token_hash is None:
            return False
        token = self.device_tokens.get(token_hash)
        return token is not None and token["expires_at"] > at

    def forget_devices(
        self, reason: str, actor: Actor, at: datetime, *, keep: str | None = None
    ) -> None:
        """Revoke every device token (but ``keep``): those devices become new."""
        hashes = [h for h in self.device_tokens if h != keep]
        if hashes:
            self._record(
                DeviceTokensRevoked, actor, at, token_hashes=hashes, reason=reason
            )

    def forget_device(
        self, token_hash: str | None, reason: str, actor: Actor, at: datetime
    ) -> None:
        """Revoke one device token, if it is still valid."""
        if token_hash is not None and token_hash in self.device_tokens:
            self._record(
                DeviceTokensRevoked, actor, at, token_hashes=[token_hash], reason=reason
            )
