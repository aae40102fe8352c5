"""The document vault: envelope encryption (AES-256-GCM) on a filesystem or in
PostgreSQL. Each document has its own key, wrapped by the master key."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import aes_key_unwrap, aes_key_wrap
from psycopg import sql

from infrastructure.database import Database, open_database
from infrastructure.settings import Settings

MAGIC = b"SGV1"  # format tag: MAGIC | wrapped key (40) | nonce (12) | ciphertext
# From v1.1: MAGIC_KEYED | master key id (4) | wrapped key (40) | nonce | ciphertext
MAGIC_KEYED = b"SGV2"
DOCUMENT_ID = re.compile(r"[0-9a-f]{32}")


class VaultError(RuntimeError):
    """The vault cannot store or give back a document."""


def master_key_id(key: bytes) -> bytes:
    """The 4-byte id that names a master key in the documents it wrapped."""
    return hashlib.sha256(b"sellerguard/document-key-id/v1\x00" + key).digest()[:4]


class EnvelopeCipher:
    """A fresh AES-256-GCM key per document, wrapped (RFC 3394) by a master key.

    The newest master key wraps; every older one (after ``keys rotate
    documents``) still unwraps the documents it wrapped.
    """

    def __init__(self, *master_keys: bytes) -> None:
        if not master_keys or any(len(k) != 32 for k in master_keys):
            msg = "the document master key must be 256 bits"
            raise VaultError(msg)
        self._first = master_keys[0]
        self._masters = {master_key_id(k): k for k in master_keys}
        self._current = master_key_id(master_keys[-1])

    @classmethod
    def from_key_file(cls, path: Path) -> EnvelopeCipher:
        """The cipher of the key file (one base64 key a line, oldest first)."""
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
        return cls(*(base64.b64decode(line.strip()) for line in lines))

    def seal(self, document_id: str, data: bytes) -> bytes:
        """Encrypt; the document id is bound in as associated data."""
        key = AESGCM.generate_key(256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(key).encrypt(nonce, data, document_id.encode())
        wrapped = aes_key_wrap(self._masters[self._current], key)
        return MAGIC_KEYED + self._current + wrapped + nonce + ciphertext

    def open(self, document_id: str, blob: bytes) -> bytes:
        """Decrypt and authenticate."""
        if blob.startswith(MAGIC_KEYED):
            master = self._masters.get(blob[4:8])
            blob = MAGIC + blob[8:]
        elif blob.startswith(MAGIC):
            master = self._first  # written before keys had ids: the first key
        else:
            master = None
        if master is None:
            msg = f"document {document_id} is not a vault blob of a known key"
            raise VaultError(msg)
        wrapped, nonce, ciphertext = blob[4:44], blob[44:56], blob[56:]
        key = aes_key_unwrap(master, wrapped)
        return AESGCM(key).decrypt(nonce, ciphertext, document_id.encode())


class FilesystemVault:
    """Documents as files under the data directory; ids are ours, never names."""

    def __init__(self, directory: Path, cipher: EnvelopeCipher) -> None:
        self.directory = directory
        self.cipher = cipher
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(self, document_id: str, data: bytes) -> None:
        path = self._path(document_id)
        partial = path.with_suffix(".part")
        partial.write_bytes(self.cipher.seal(document_id, data))
        os.chmod(partial, 0o600)
        partial.replace(path)  # appears whole or not at all

    def get(self, document_id: str) -> bytes:
        return self.cipher.open(document_id, self._path(document_id).read_bytes())

    def delete(self, document_id: str) -> None:
        self._path(document_id).unlink(missing_ok=True)

    def close(self) -> None:
        """Nothing to release."""

    def _path(self, document_id: str) -> Path:
        if not DOCUMENT_ID.fullmatch(document_id):
            msg = f"not a document id: {document_id!r}"
            raise VaultError(msg)
        return self.directory / f"{document_id}.sgv"


class PostgresVault:
    """Documents in a PostgreSQL table, for several hosts."""

    TABLE = "sellerguard_documents"

    def __init__(
        self, database: Database, cipher: EnvelopeCipher, *, owned: bool = False
    ) -> None:
        self.database = database
        self.conninfo = database.conninfo  # for inspecting the raw table
        self._owned = owned
        self.cipher = cipher
        self.table = sql.Identifier(database.schema, self.TABLE)

    def create_tables(self) -> None:
        """Create the table once (`sellerguard init`)."""
        self._execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (id TEXT PRIMARY KEY, "
                "blob BYTEA NOT NULL)"
            ).format(self.table)
        )

    def put(self, document_id: str, data: bytes) -> None:
        blob = self.cipher.seal(document_id, data)
        self._execute(
            sql.SQL("INSERT INTO {} (id, blob) VALUES (%s, %s)").format(self.table),
            (document_id, blob),
        )

    def get(self, document_id: str) -> bytes:
        with self.database.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT blob FROM {} WHERE id = %s").format(self.table),
                (document_id,),
            ).fetchone()
        if row is None:
            msg = f"no document {document_id}"
            raise VaultError(msg)
        return self.cipher.open(document_id, bytes(row[0]))

    def delete(self, document_id: str) -> None:
        self._execute(
            sql.SQL("DELETE FROM {} WHERE id = %s").format(self.table), (document_id,)
        )

    def close(self) -> None:
        """Close the connection pool, if it is this vault's own."""
        if self._owned:
            self.database.close()

    def _execute(
        self, statement: sql.Composed, params: tuple[object, ...] = ()
    ) -> None:
        with self.database.connection() as conn:
            conn.execute(statement, params)


def open_vault(
    settings: Settings, database: Database | None = None
) -> FilesystemVault | PostgresVault:
    """The vault beside the configured store: files, or a PostgreSQL table
    (on the process's pool when given one, else on a pool of its own)."""
    cipher = EnvelopeCipher.from_key_file(settings.document_key_file)
    if settings.database_url is None:
        return FilesystemVault(settings.data_dir / "documents", cipher)
    if database is None:
        return PostgresVault(open_database(settings), cipher, owned=True)
    return PostgresVault(database, cipher)
