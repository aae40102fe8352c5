"""The ports the application needs; infrastructure implements them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent

from application.log_check import Checkpoint, Leaf, Row
from application.merkle import Node
from domain.passkeys import NewPasskey


class Clock(Protocol):
    """Tells the time; tests use one they can move."""

    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...


class PasswordHasher(Protocol):
    """Hashes and verifies passwords (Argon2id in production)."""

    def hash(self, password: str) -> str:
        """A new salted hash of the password."""
        ...

    def verify(self, password_hash: str, password: str) -> bool:
        """Whether the password matches the hash."""
        ...

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than today's."""
        ...


class Authenticator(Protocol):
    """Time-based one-time codes from authenticator apps (RFC 6238)."""

    def new_secret(self) -> str:
        """A fresh random secret, base32."""
        ...

    def provisioning_uri(self, secret: str, account_name: str) -> str:
        """The ``otpauth://`` URI an app scans to learn the secret."""
        ...

    def qr_svg(self, uri: str) -> str:
        """A QR code of the URI, as an SVG document."""
        ...

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The time step whose code this is (one step of drift), or None."""
        ...


class DocumentVault(Protocol):
    """Keeps recovery documents' bytes, encrypted, out of the events."""

    def put(self, document_id: str, data: bytes) -> None:
        """Store a document under a new id."""
        ...

    def get(self, document_id: str) -> bytes:
        """The document's original bytes."""
        ...

    def delete(self, document_id: str) -> None:
        """Forget a document (a refused or failed upload leaves nothing)."""
        ...


class DocumentInspector(Protocol):
    """Judges an upload by decoding all of it, never by its name or first bytes."""

    def content_type_of(self, data: bytes) -> str:
        """The type of a whole, well-formed PDF, PNG or JPEG; refuses anything else."""
        ...


class Notifier(Protocol):
    """Tells an account's owner what happens to it (e-mail in production)."""

    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one message."""
        ...


class IntegritySigner(Protocol):
    """Signs checkpoints (C2SP signed notes) with a key kept outside the database."""

    @property
    def origin(self) -> str:
        """The log's name, ``sellerguard/<deployment id>``; also the key's name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The signed-note key id (4 bytes) of the newest key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The newest key's signature of the message."""
        ...

    def verify(
        self, message: bytes, signature: bytes, key_name: str, key_id: bytes
    ) -> bool:
        """Whether a key of this name and id (any, old ones too) signed the message."""
        ...

    def public_key_pem(self) -> str:
        """The public keys, PEM (SubjectPublicKeyInfo), the newest last."""
        ...


class TreeStore(Protocol):
    """The Merkle tree's leaves, complete nodes and checkpoints; raw stored records.

    Inserts are idempotent: processes extending at once compute the same rows.
    """

    def size(self) -> int:
        """How many leaves the stored tree has."""
        ...

    def last_leaf(self) -> Leaf | None:
        """The leaf with the highest index, if any."""
        ...

    def leaf_at(self, position: int) -> Leaf | None:
        """The leaf of the event at that log position, if any."""
        ...

    def leaves(self, after: int, upto: int) -> Sequence[Leaf]:
        """The leaves of positions in ``(after, upto]``, in order."""
        ...

    def nodes(self, keys: Iterable[Node]) -> Mapping[Node, bytes]:
        """The stored complete subtrees' hashes (level 0: the leaves)."""
        ...

    def add(
        self,
        leaves: Sequence[Leaf],
        nodes: Sequence[tuple[int, int, bytes]],
        checkpoints: Sequence[Checkpoint],
    ) -> None:
        """Store them in one transaction, skipping what is stored."""
        ...

    def last_checkpoint(self) -> Checkpoint | None:
        """The checkpoint of the largest tree, if any."""
        ...

    def checkpoints(self, after: int = 0, limit: int | None = None) -> list[Checkpoint]:
        """Checkpoints of trees larger than ``after``, smallest first."""
        ...

    def rows(self, after: int, upto: int, limit: int) -> Sequence[Row]:
        """At most ``limit`` stored events at positions in ``(after, upto]``, raw."""
        ...

    def snapshot_rows(self, after: tuple[str, int], limit: int) -> Sequence[Row]:
        """Stored snapshots after ``(originator id hex, version)``, raw, position 0."""
        ...

    def position_of(self, originator_id: str, version: int) -> int:
        """The log position of that event (0 when there is none)."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


class LeaderLock(Protocol):
    """Held by one process at a time (per store): the one that follows and signs."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free, or confirm it is still held; never waits."""
        ...

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        ...


class LinkKeys(Protocol):
    """Derives the secrets of mailed links from a key outside the database.

    A link's token is never stored anywhere: the system computes it again
    when it mails the link, and the store keeps at most its hash.
    """

    def derive(self, purpose: str, subject: str) -> str:
        """A URL-safe secret that only the key's holder can compute."""
        ...


@dataclass(frozen=True)
class Assertion:
    """What a passkey's sign-in answer claims before it is verified."""

    credential_id: str  # base64url
    user_handle: bytes | None


class PasskeyCeremonies(Protocol):
    """WebAuthn options and verification, for one relying party (id, origin).

    Every verification requires user verification; a failure raises
    ``PasskeyRejectedError`` with a short reason.
    """

    def new_challenge(self) -> str:
        """A fresh random challenge, base64url."""
        ...

    def creation_options(
        self, challenge: str, user_id: bytes, user_name: str, exclude: list[str]
    ) -> dict[str, Any]:
        """Options for ``navigator.credentials.create()``, as JSON."""
        ...

    def request_options(self, challenge: str, allow: list[str]) -> dict[str, Any]:
        """Options for ``navigator.credentials.get()``, as JSON."""
        ...

    def verify_registration(
        self, credential: Mapping[str, Any], challenge: str
    ) -> NewPasskey:
        """The new passkey, if the browser's answer verifies."""
        ...

    def read_assertion(self, credential: Mapping[str, Any]) -> Assertion:
        """Which credential (and user handle) an assertion claims, unverified."""
        ...

    def verify_assertion(
        self, credential: Mapping[str, Any], challenge: str, public_key: str
    ) -> int:
        """The authenticator's signature counter, if the assertion verifies."""
        ...


class EventHistories(Protocol):
    """The stored events of several aggregates, read from the store at once."""

    def select(
        self,
        recorder: AggregateRecorder,
        originator_ids: Sequence[UUID],
        up_to_version: int | None = None,
    ) -> Sequence[StoredEvent]:
        """Every stored event of those aggregates (up to that version, if
        given), each one's in version order."""
        ...


class SecurityMetrics(Protocol):
    """Counts what an on-call engineer watches (Prometheus in production)."""

    def sign_in(self, outcome: str) -> None:
        """One sign-in step ended so (``succeeded``, ``failed``, ...)."""
        ...

    def lockout(self, kind: str) -> None:
        """An address (``address``) or a challenge (``second_step``) was locked."""
        ...

    def throttle(self, kind: str) -> None:
        """Requests were slowed or refused (``password_guessing``, ``rate_limit``)."""
        ...

    def alert(self, kind: str, severity: str) -> None:
        """An owner was alerted."""
        ...
