"""Configuration: read from the environment in one place, checked at start-up."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import argon2.profiles
from limits import parse_many

PROFILES = ("CHEAPEST", "PRE_21_2", "RFC_9106_HIGH_MEMORY", "RFC_9106_LOW_MEMORY")


class SettingsError(ValueError):
    """A configuration value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Settings:
    """Everything SellerGuard is configured with; no secret has a default."""

    data_dir: Path
    database_url: str | None
    argon2_profile: str
    proxy_hops: int
    password_min_length: int
    secret_key_file: Path
    document_key_file: Path
    signing_key_file: Path
    log_level: str
    login_rate_limit: str
    recovery_rate_limit: str
    smtp_url: str | None
    mail_from: str
    reset_url: str
    rate_limit_storage: str
    invitation_url: str = "http://127.0.0.1:8080/invitation"
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    step_up_max_age: timedelta = field(default=timedelta(minutes=5))
    payout_hold: timedelta = field(default=timedelta(hours=72))
    # PostgreSQL: the most connections one process holds (one pool shared by
    # every store), and how long one statement may run.
    db_pool_size: int = 10
    db_statement_timeout: timedelta = field(default=timedelta(seconds=5))
    webauthn_rp_id: str = "localhost"
    webauthn_origin: str = "http://localhost:8080"
    # /readyz answers 503 when a follower of the log is more positions behind.
    ready_max_lag: int = 10_000
    console_insecure_cookies: bool = False

    @property
    def uses_postgres(self) -> bool:
        """Whether events live in PostgreSQL rather than the embedded SQLite file."""
        return self.database_url is not None

    @property
    def sqlite_path(self) -> Path:
        """The embedded event store's file."""
        return self.data_dir / "sellerguard.sqlite"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``SELLERGUARD_*`` variables, each with a safe default."""
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("SELLERGUARD_DATA_DIR") or "./var").absolute()
        keys = data_dir / "keys"
        return cls(
            data_dir=data_dir,
            database_url=_database_url(env.get("SELLERGUARD_DATABASE_URL")),
            argon2_profile=_choice(
                env, "SELLERGUARD_ARGON2_PROFILE", "RFC_9106_LOW_MEMORY", PROFILES
            ),
            proxy_hops=_integer(env, "SELLERGUARD_PROXY_HOPS", 0, 0, 10),
            password_min_length=_integer(
                env, "SELLERGUARD_PASSWORD_MIN_LENGTH", 8, 8, 128
            ),
            secret_key_file=_path(
                env, "SELLERGUARD_SECRET_KEY_FILE", keys / "cipher.key"
            ),
            document_key_file=_path(
                env, "SELLERGUARD_DOCUMENT_KEY_FILE", keys / "documents.key"
            ),
            signing_key_file=_path(
                env, "SELLERGUARD_SIGNING_KEY_FILE", keys / "signing.pem"
            ),
            login_rate_limit=_rate(env, "SELLERGUARD_LOGIN_RATE_LIMIT", "30/minute"),
            recovery_rate_limit=_rate(
                env, "SELLERGUARD_RECOVERY_RATE_LIMIT", "10/hour"
            ),
            smtp_url=_smtp_url(env.get("SELLERGUARD_SMTP_URL")),
            mail_from=env.get("SELLERGUARD_MAIL_FROM") or "sellerguard@localhost",
            payout_hold=_duration(env, "SELLERGUARD_PAYOUT_HOLD", "72h"),
            reset_url=_url(
                env, "SELLERGUARD_RESET_URL", "http://127.0.0.1:8080/recover"
            ),
            invitation_url=_url(
                env, "SELLERGUARD_INVITATION_URL", "http://127.0.0.1:8080/invitation"
            ),
            rate_limit_storage=env.get("SELLERGUARD_RATE_LIMIT_STORAGE") or "memory://",
            trusted_proxies=_networks(env, "SELLERGUARD_TRUSTED_PROXIES"),
            step_up_max_age=_duration(env, "SELLERGUARD_STEP_UP_MAX_AGE", "5m"),
            db_pool_size=_integer(env, "SELLERGUARD_DB_POOL_SIZE", 10, 2, 100),
            db_statement_timeout=_duration(
                env, "SELLERGUARD_DB_STATEMENT_TIMEOUT", "5s"
            ),
            ready_max_lag=_integer(
                env, "SELLERGUARD_READY_MAX_LAG", 10_000, 0, 1_000_000_000
            ),
            console_insecure_cookies=_flag(env, "SELLERGUARD_CONSOLE_INSECURE_COOKIES"),
            **_relying_party(env),
            log_level=_choice(
                env,
                "SELLERGUARD_LOG_LEVEL",
                "INFO",
                ("DEBUG", "INFO", "WARNING", "ERROR"),
            ),
        )

    def argon2_parameters(self) -> argon2.Parameters:
        """The Argon2 parameters of the configured profile."""
        parameters: argon2.Parameters = getattr(argon2.profiles, self.argon2_profile)
        return parameters


def _flag(env: Mapping[str, str], name: str) -> bool:
    """A yes/no setting: ``1`` (or ``true``, ``yes``) for yes; unset for no."""
    value = (env.get(name) or "0").strip().lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"{name} must be 1 or 0, not {value!r}")
    return value in ("1", "true", "yes")


def _database_url(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("postgresql://", "postgres://")):
        msg = "SELLERGUARD_DATABASE_URL must start with postgresql:// (or be unset)"
        raise SettingsError(msg)
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        msg = f"{name} must be an http(s) URL without a query; got {value!r}"
        raise SettingsError(msg)
    return value


HOSTNAME = re.compile(
    r"(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


def _relying_party(env: Mapping[str, str]) -> dict[str, str]:
    """The WebAuthn relying party: its id (a host name) and the origin passkeys
    are used on, whose host must be the id or end with ``.<id>``."""
    rp_id = (env.get("SELLERGUARD_WEBAUTHN_RP_ID") or "localhost").strip().lower()
    if HOSTNAME.fullmatch(rp_id) is None:
        msg = f"SELLERGUARD_WEBAUTHN_RP_ID must be a host name; got {rp_id!r}"
        raise SettingsError(msg)
    origin = env.get("SELLERGUARD_WEBAUTHN_ORIGIN") or "http://localhost:8080"
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    if (
        parts.scheme not in ("http", "https")
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or not (host == rp_id or host.endswith("." + rp_id))
    ):
        msg = (
            "SELLERGUARD_WEBAUTHN_ORIGIN must be scheme://host[:port] on the "
            f"relying party {rp_id!r} (or a subdomain of it); got {origin!r}"
        )
        raise SettingsError(msg)
    return {"webauthn_rp_id": rp_id, "webauthn_origin": origin.rstrip("/")}


def _smtp_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        msg = "SELLERGUARD_SMTP_URL must look like smtp://host:port (or smtps://)"
        raise SettingsError(msg)
    return value


def _choice(
    env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]
) -> str:
    value = env.get(name) or default
    if value not in allowed:
        msg = f"{name} must be one of {', '.join(allowed)}; got {value!r}"
        raise SettingsError(msg)
    return value


def _integer(
    env: Mapping[str, str], name: str, default: int, low: int, high: int
) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        msg = f"{name} must be a whole number; got {raw!r}"
        raise SettingsError(msg) from None
    if not low <= value <= high:
        msg = f"{name} must be between {low} and {high}; got {value}"
        raise SettingsError(msg)
    return value


def _rate(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    try:
        parse_many(value)
    except ValueError:
        msg = f"{name} must be a rate such as '30/minute'; got {value!r}"
        raise SettingsError(msg) from None
    return value


DURATION = re.compile(r"(\d{1,7})([smhd])")
DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(env: Mapping[str, str], name: str, default: str) -> timedelta:
    """A duration written ``90s``, ``5m``, ``72h`` or ``7d``."""
    raw = (env.get(name) or default).strip()
    match = DURATION.fullmatch(raw)
    if match is None or int(match.group(1)) == 0:
        msg = f"{name} must be a duration such as 90s, 5m, 72h or 7d; got {raw!r}"
        raise SettingsError(msg)
    return timedelta(**{DURATION_UNITS[match.group(2)]: int(match.group(1))})


def _networks(
    env: Mapping[str, str], name: str
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or CIDR ranges."""
    raw = env.get(name) or ""
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",")
            if part.strip()
        )
    except ValueError as error:
        msg = f"{name} must list addresses or CIDR ranges (a,b/24,...): {error}"
        raise SettingsError(msg) from None


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name)
    return Path(raw).absolute() if raw else default
