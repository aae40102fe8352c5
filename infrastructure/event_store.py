"""The event store's configuration: encrypted, compressed, SQLite or PostgreSQL."""

from __future__ import annotations

import getpass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from infrastructure.settings import Settings, SettingsError
from infrastructure.sqlite_file import private_file

ENCRYPTED_AND_COMPRESSED = {
    # AES-256-GCM from `cryptography` with each record bound to its place
    # (infrastructure.sealed_records), around the library's zlib compressor.
    "MAPPER_TOPIC": "infrastructure.sealed_records:SealedMapper",
    "CIPHER_TOPIC": "infrastructure.sealed_records:SealingCipher",
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
}

# What the bare library does on its own (its AES-GCM cipher, no place bound):
# the baseline of the benchmarks, and the format of stores before v1.1.
LIBRARY_AES = {
    "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
}


def ledger_env(
    settings: Settings, cipher_keys: list[str], *, create_tables: bool
) -> dict[str, str]:
    """The eventsourcing environment for the ledger on the configured store."""
    env = {
        **ENCRYPTED_AND_COMPRESSED,
        "CIPHER_KEY": ",".join(cipher_keys),
        "CREATE_TABLE": "y" if create_tables else "n",
        # Hot aggregates (service keys, busy shops) stay decoded in memory;
        # each read still fetches any newer events first (fast-forward).
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    if settings.database_url is None:
        private_file(settings.sqlite_path)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(settings.sqlite_path),
            SQLITE_LOCK_TIMEOUT="10",
        )
    else:
        env.update(postgres_env(settings.database_url))
    return env


def postgres_env(url: str) -> dict[str, str]:
    """The library's PostgreSQL variables from a ``postgresql://`` URL.

    A ``schema`` query parameter puts the tables in that schema.
    """
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    schema = query.pop("schema", "")
    try:
        params = conninfo_to_dict(urlunsplit(parts._replace(query=urlencode(query))))
    except Exception as error:  # psycopg raises its ProgrammingError here
        msg = f"SELLERGUARD_DATABASE_URL is not a valid PostgreSQL URL: {error}"
        raise SettingsError(msg) from None
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        # Settles a commit that a lost connection left unknown by reading it
        # back, instead of the library's blind retry (a false conflict).
        "APPLICATION_RECORDER_TOPIC": (
            "infrastructure.postgres_recorder:SettlingApplicationRecorder"
        ),
        "POSTGRES_DBNAME": str(params.get("dbname") or "postgres"),
        "POSTGRES_HOST": str(params.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(params.get("port") or "5432"),
        "POSTGRES_USER": str(params.get("user") or getpass.getuser()),
        "POSTGRES_PASSWORD": str(params.get("password") or ""),
        "POSTGRES_SCHEMA": schema,
        # Ours, not the library's: names the connections in pg_stat_activity.
        "POSTGRES_APPLICATION_NAME": str(params.get("application_name") or ""),
        "POSTGRES_POOL_SIZE": "5",
        "POSTGRES_MAX_OVERFLOW": "10",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_PRE_PING": "y",
    }


def postgres_conninfo(url: str) -> tuple[str, str]:
    """A psycopg connection string and the schema, for our own tables."""
    env = postgres_env(url)
    params = {
        "host": env["POSTGRES_HOST"],
        "port": env["POSTGRES_PORT"],
        "dbname": env["POSTGRES_DBNAME"],
        "user": env["POSTGRES_USER"],
        "connect_timeout": env["POSTGRES_CONNECT_TIMEOUT"],
    }
    if env["POSTGRES_PASSWORD"]:
        params["password"] = env["POSTGRES_PASSWORD"]
    return make_conninfo(**params), env["POSTGRES_SCHEMA"] or "public"
