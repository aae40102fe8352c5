"""The links recovery mails: upload, reset and objection, each with its token.

No person at the platform learns a reset or objection token: each is derived
from a key outside the database when the link is mailed, and the events keep
at most its hash. The same derivation mints the upload token that the opening
agent may also read out by phone.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlencode
from uuid import UUID

from application.ports import LinkKeys
from application.principals import BearerToken, digest

UPLOAD_TOKEN = "sgu1"  # noqa: S105 - version tags, not secrets
RESET_TOKEN = "sgr1"  # noqa: S105
OBJECTION_TOKEN = "sgo1"  # noqa: S105
DEFAULT_RESET_URL = "http://127.0.0.1:8080/recover"


class RecoveryLinks:
    """Tokens and links of one deployment (its key and its base URL)."""

    def __init__(self, keys: LinkKeys, base_url: str = DEFAULT_RESET_URL) -> None:
        self.keys = keys
        self.base_url = base_url.rstrip("/")

    def upload_token(self, case_id: UUID) -> BearerToken:
        """The case's upload token (the same every time it is asked for)."""
        return self._token(UPLOAD_TOKEN, case_id, "upload", str(case_id))

    def reset_token(self, case_id: UUID, decision_version: int) -> BearerToken:
        """The reset token of the approval recorded at that version of the case."""
        subject = f"{case_id}:{decision_version}"
        return self._token(RESET_TOKEN, case_id, "reset", subject)

    def objection_token(self, case_id: UUID) -> BearerToken:
        """The token with which the registered owner objects to the case."""
        return self._token(OBJECTION_TOKEN, case_id, "object", str(case_id))

    def is_objection_token(self, case_id: UUID, token: str) -> bool:
        """Whether this is the case's objection token (compared in constant time)."""
        expected = self.objection_token(case_id).value
        return hmac.compare_digest(digest(expected), digest(token))

    def upload_link(self, case_id: UUID) -> str:
        """Where the contact address uploads documents."""
        return self._link("/upload", case_id, self.upload_token(case_id))

    def reset_link(self, case_id: UUID, decision_version: int) -> str:
        """Where the contact address sets a new password."""
        return self._link("", case_id, self.reset_token(case_id, decision_version))

    def objection_link(self, case_id: UUID) -> str:
        """Where the registered address objects to the case."""
        return self._link("/object", case_id, self.objection_token(case_id))

    def _token(
        self, prefix: str, case_id: UUID, kind: str, subject: str
    ) -> BearerToken:
        secret = self.keys.derive(kind, subject)
        value = f"{prefix}.{case_id.hex}.{kind}.{secret}"
        return BearerToken(prefix, case_id, kind, value)

    def _link(self, path: str, case_id: UUID, token: BearerToken) -> str:
        query = urlencode({"case": str(case_id), "token": token.value})
        return f"{self.base_url}{path}?{query}"
