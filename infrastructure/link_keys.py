"""The secrets of mailed links: HMAC-SHA256 under a key kept outside the database."""

from __future__ import annotations

import base64
import hashlib
import hmac


class HmacLinkKeys:
    """The ``LinkKeys`` port: one key, a different secret per purpose and subject."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def derive(self, purpose: str, subject: str) -> str:
        mac = hmac.new(self._key, f"{purpose}\x00{subject}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")
