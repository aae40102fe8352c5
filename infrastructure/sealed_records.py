"""Stored events and snapshots sealed in their place: AES-256-GCM with associated data.

The library's cipher encrypts a record's state with no associated data, so a
ciphertext copied to another aggregate, version or topic still decrypts
there. Here the mapper seals the (compressed) state with associated data
``purpose || 0x00 || aggregate id (16 bytes) || version (8 bytes) || topic``,
where the purpose is ``event`` or ``snapshot`` and comes from the store the
mapper serves, never from the row. A record that does not open in its place
raises ``IntegrityViolationError``; it is never decoded into state.

A sealed record is ``0x01 || key id (4 bytes) || nonce (12) || ciphertext ||
tag (16)``. The key id names which key of the keyring sealed it, so a rotated
key seals new records while older keys stay readable.
"""

from __future__ import annotations

import copy
import hashlib
import os
import struct
from base64 import b64decode
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Cipher,
    Mapper,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import Environment, get_topic, resolve_topic

from application.ledger import IntegrityViolationError

FORMAT = b"\x01"
KEY_ID_BYTES = 4
NONCE_BYTES = 12
HEADER_BYTES = len(FORMAT) + KEY_ID_BYTES + NONCE_BYTES
KEYRING_SEPARATOR = ","
EVENT = b"event"
SNAPSHOT = b"snapshot"
_VERSION = struct.Struct(">q")


def key_id(key: bytes) -> bytes:
    """The 4-byte id that names an AES key in the records it sealed."""
    return hashlib.sha256(b"sellerguard/cipher-key-id/v1\x00" + key).digest()[:4]


def associated_data(
    purpose: bytes, aggregate_id: UUID, version: int, topic: str
) -> bytes:
    """What binds a record to its place: the store, aggregate, version and topic."""
    return (
        purpose + b"\x00" + aggregate_id.bytes + _VERSION.pack(version) + topic.encode()
    )


class SealingCipher(Cipher):
    """AES-256-GCM over a keyring: the newest key seals, every key opens.

    ``CIPHER_KEY`` holds the keyring, base64 keys separated by commas, oldest
    first.
    """

    def __init__(self, environment: Environment) -> None:
        encoded = [k for k in (environment.get("CIPHER_KEY") or "").split(",") if k]
        if not encoded:
            msg = "'CIPHER_KEY' not in env"
            raise OSError(msg)
        keys = [b64decode(k) for k in encoded]
        if any(len(k) != 32 for k in keys):
            msg = "every cipher key must be 256 bits"
            raise ValueError(msg)
        self._keys = {key_id(k): AESGCM(k) for k in keys}
        self.current = key_id(keys[-1])

    def seal(self, plaintext: bytes, data: bytes) -> bytes:
        """The sealed record of the plaintext, bound to ``data``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current].encrypt(nonce, plaintext, data)
        return FORMAT + self.current + nonce + sealed

    def open(self, record: bytes, data: bytes) -> bytes:
        """The plaintext, if the record was sealed with a known key for ``data``."""
        if record[:1] != FORMAT or len(record) < HEADER_BYTES + 16:
            raise InvalidTag
        aead = self._keys.get(record[1 : 1 + KEY_ID_BYTES])
        if aead is None:
            raise InvalidTag
        nonce = record[1 + KEY_ID_BYTES : HEADER_BYTES]
        return aead.decrypt(nonce, record[HEADER_BYTES:], data)

    def encrypt(self, plaintext: bytes) -> bytes:
        """Sealed with no place (the library's interface; not used for records)."""
        return self.seal(plaintext, b"")

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Opened with no place (the library's interface; not used for records)."""
        return self.open(ciphertext, b"")


class SealedMapper(Mapper[UUID]):
    """The library's mapper with records sealed in their place."""

    purpose = EVENT

    def __init__(
        self,
        transcoder: Transcoder,
        compressor: Any = None,
        cipher: Cipher | None = None,
    ) -> None:
        if not isinstance(cipher, SealingCipher):
            msg = "SealedMapper needs CIPHER_TOPIC naming SealingCipher"
            raise TypeError(msg)
        super().__init__(transcoder, compressor, cipher)
        self.sealer = cipher

    def for_snapshots(self) -> SealedMapper:
        """The same mapper for the snapshot store: records bound as snapshots."""
        mapper = copy.copy(self)
        mapper.purpose = SNAPSHOT
        return mapper

    def opens(self, aggregate_id: UUID, version: int, topic: str, state: bytes) -> bool:
        """Whether the record decrypts in this place (nothing decoded)."""
        data = associated_data(self.purpose, aggregate_id, version, topic)
        try:
            self.sealer.open(state, data)
        except InvalidTag:
            return False
        return True

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        topic = get_topic(domain_event.__class__)
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        encoded = self.transcoder.encode(state)
        if self.compressor:
            encoded = self.compressor.compress(encoded)
        data = associated_data(self.purpose, originator_id, version, topic)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=topic,
            state=self.sealer.seal(encoded, data),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        originator_id = _uuid(stored_event.originator_id)
        version = stored_event.originator_version
        data = associated_data(self.purpose, originator_id, version, stored_event.topic)
        try:
            plain = self.sealer.open(bytes(stored_event.state), data)
        except InvalidTag:
            raise IntegrityViolationError(
                originator_id, version, self.purpose.decode()
            ) from None
        if self.compressor:
            plain = self.compressor.decompress(plain)
        state: dict[str, Any] = self.transcoder.decode(plain)
        cls = _resolve(stored_event.topic)
        state["originator_id"] = originator_id
        state["originator_version"] = version
        class_version = getattr(cls, "class_version", 1)
        from_version = state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
            from_version += 1
        event: Any = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return cast(DomainEventProtocol[UUID], event)


@lru_cache(maxsize=1024)
def _resolve(topic: str) -> type:
    return cast(type, resolve_topic(topic))


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
