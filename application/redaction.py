"""Which fields are secrets, and the one place they become ``"[redacted]"``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from application.timestamps import rfc3339

REDACTED = "[redacted]"

# Fields that hold a secret, or a hash or any other derivative of one, in any
# event or aggregate, at any depth. Some name fields that do not exist yet
# (recovery, uploads, documents) so that they are hidden from the day they do.
SECRET_FIELDS = frozenset(
    {
        # passwords and their hashes (SignInAccount, Registered, *.Created,
        # PasswordChanged, PasswordRehashed)
        "password",
        "current_password",
        "new_password",
        "password_hash",
        "password_history",
        # two-step: the TOTP secret (TwoStepEnrolmentStarted, the accounts)
        # and the recovery codes (TwoStepEnabled, LoginSucceeded)
        "secret",
        "two_step_secret",
        "pending_two_step_secret",
        "code",
        "recovery_code",
        "recovery_codes",
        "recovery_code_hash",
        "recovery_code_hashes",
        # bearer tokens: sessions (LoginSucceeded, accounts' ``sessions``),
        # service keys (ServiceKey), recovery's reset and upload tokens
        "token",
        "token_hash",
        "session_token",
        "key_hash",
        "api_key",
        "reset_token",
        "reset_token_hash",
        "upload_token",
        "upload_token_hash",
        # a challenge id stands in for a verified password until the second
        # step (ChallengeIssued, ChallengeCodeFailed, LoginSucceeded); the
        # accounts' ``challenges`` are keyed by them
        "challenge_id",
        "challenges",
        # device tokens name known devices (LoginSucceeded, the accounts)
        "device_token",
        "device_tokens",
        "_device_tokens",
        # document vault key material
        # where a shop's money goes: in full only in the finance service's view
        "account_number",
        "document_key",
        "wrapped_key",
        "private_key",
    }
)
# A field named like this is taken for a secret even when nobody listed it.
SECRET_SUFFIXES = ("_hash", "_hashes", "_secret", "_token", "_password", "_key")

# What every event carries and the audit view shows apart from its ``data``.
EVENT_METADATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "actor", "originator_topic"}
)
# The aggregate's bookkeeping the state view leaves out (id and version are
# shown beside the state).
HIDDEN_STATE = frozenset({"_id", "_version", "_pending_events"})


def is_secret(name: str) -> bool:
    """Whether a field of that name holds a secret or a derivative of one."""
    bare = name.lstrip("_").lower()
    return bare in SECRET_FIELDS or bare.endswith(SECRET_SUFFIXES)


def redact(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The fields as plain JSON values, every secret replaced by ``[redacted]``.

    A secret field that is None stays None: that there is no secret (no
    recovery code used, two-step off) is no secret.
    """
    return {
        str(name): REDACTED
        if value is not None and is_secret(str(name))
        else _plain(value)
        for name, value in values.items()
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, Enum):
        return _plain(value.value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted((_plain(item) for item in value), key=str)
    if isinstance(value, Iterable):
        return [_plain(item) for item in value]
    if hasattr(value, "as_dict"):
        return redact(value.as_dict())
    return str(value)


def state_of(aggregate: Any) -> dict[str, Any]:
    """An aggregate's recorded attributes, without underscores, secrets redacted."""
    return redact(
        {
            name.lstrip("_"): value
            for name, value in vars(aggregate).items()
            if name not in HIDDEN_STATE
        }
    )


def event_data(event: Any) -> dict[str, Any]:
    """An event's own fields (not who, when or which aggregate), secrets redacted."""
    return redact(
        {
            name: value
            for name, value in vars(event).items()
            if name not in EVENT_METADATA
        }
    )
