"""The composition root: the one place where the object graph is wired."""

from __future__ import annotations

from dataclasses import dataclass

from application.credentials import Credentials
from application.ledger import Ledger
from application.ports import Clock
from application.sellers import Sellers
from domain.password_policy import PasswordPolicy
from infrastructure.argon2_hasher import Argon2Hasher
from infrastructure.clock import SystemClock
from infrastructure.event_store import ledger_env
from infrastructure.keys import cipher_key, ensure_keys, username_namespace
from infrastructure.settings import Settings


@dataclass
class Services:
    """Everything the interface calls, built once per process."""

    settings: Settings
    clock: Clock
    ledger: Ledger
    sellers: Sellers

    def close(self) -> None:
        """Release the store's connections."""
        self.ledger.close()


def initialise(settings: Settings) -> list[str]:
    """Create the data directory, the missing keys and the tables; idempotent."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = [str(path) for path in ensure_keys(settings)]
    build_services(settings, create_tables=True).close()
    return created


def build_services(
    settings: Settings, clock: Clock | None = None, *, create_tables: bool = False
) -> Services:
    """Wire the application and its adapters for these settings."""
    key = cipher_key(settings)
    ledger = Ledger(env=ledger_env(settings, key, create_tables=create_tables))
    hasher = Argon2Hasher(settings.argon2_parameters(), settings.argon2_profile)
    credentials = Credentials(
        PasswordPolicy(min_length=settings.password_min_length), hasher
    )
    clock = clock or SystemClock()
    return Services(
        settings=settings,
        clock=clock,
        ledger=ledger,
        sellers=Sellers(ledger, credentials, clock, username_namespace(key)),
    )
