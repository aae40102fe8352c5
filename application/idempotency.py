"""Idempotency keys: a creating request retried with the same key is answered
once, with the first response, and its work is never done twice.

A caller sends ``Idempotency-Key`` with a POST that creates something. The
first request with a key claims it (an in-flight record); its successful
response is then kept for 24 hours and answers every retry with the same key
and the same request. The same key with another request is refused, and so
is a retry while the first is still running. Keys are scoped by the caller
(a principal, a token, or a client address) so that nobody reaches another
caller's records. A refusal changed nothing, so a retry after one runs again.

An attempt whose outcome is unknown (the database lost the answer of its
commit) keeps the claim, with no attempt running: the same request may run
again at once, and a different one is still refused. What the claim creates
gets an id derived from the claim (:attr:`Claim.resource_id`), so the retry
can read back whether the earlier attempt landed and answer that instead of
creating it again or calling its own account a conflict.

The rules of when a record may be taken over (expired, or left by an attempt
that died or ended unknown) are decided here, once; the store only reads,
inserts and replaces records as it is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import UUID

from application.ports import Clock
from domain.errors import SellerGuardError

KEY_LIFETIME = timedelta(hours=24)
# Longer than any request may run (gunicorn's --timeout kills a worker after
# 60 s): an in-flight record older than this belongs to a process that died.
IN_FLIGHT_LIMIT = timedelta(seconds=90)
# A request that creates by the claim's id (see Claim.resource_id) cannot do
# its work twice: a second attempt finds what the first created. Its retry
# runs once the attempt before it is this old (or the attempt ended unknown),
# even when the database could not be told that the attempt had ended.
REREAD_AFTER = timedelta(seconds=5)
# Attempts to take a record that others keep changing under us.
CLAIM_ATTEMPTS = 3


class IdempotencyKeyReusedError(SellerGuardError):
    """This Idempotency-Key was already used with a different request."""

    code = "idempotency_key_reused"


class IdempotencyKeyInUseError(SellerGuardError):
    """A request with this Idempotency-Key is still being processed; retry shortly."""

    code = "idempotency_key_in_use"
    retry_after = 1


@dataclass(frozen=True)
class StoredResponse:
    """A response as it is answered again: status, the headers that matter, body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    """What the store holds for a (scope, key).

    ``same_request``: claimed by the same request (fingerprint). ``created_at``:
    when this claim began (its resources' ids derive from it). ``attempt_began``:
    when the running attempt began, None when none runs (the last one ended
    without knowing its outcome). ``response``: once the request succeeded.
    """

    same_request: bool
    created_at: datetime
    attempt_began: datetime | None
    response: StoredResponse | None


class IdempotencyRecords(Protocol):
    """The shared store of keys, seen by every process and host."""

    def claim(
        self, scope: str, key: str, fingerprint: str, now: datetime
    ) -> KeyRecord | None:
        """Insert this request's in-flight record unless the key has one.

        Returns None when it was inserted (this caller holds the key), else
        the record that is there, unchanged.
        """
        ...

    def take(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        found: KeyRecord,
        *,
        renew: bool,
    ) -> bool:
        """Replace ``found`` by this request's in-flight record, only if the
        record is still as found; whether it was replaced. ``renew`` starts a
        new claim (created now); otherwise the claim keeps its ``created_at``.
        """
        ...

    def resource_id(self, scope: str, key: str, created_at: datetime) -> UUID:
        """The id of what the claim created at ``created_at`` creates: the
        same for every attempt of it, unguessable without the store's key."""
        ...

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        """Keep the response of the request that holds the key."""
        ...

    def suspend(self, scope: str, key: str) -> None:
        """Keep an in-flight record, with no attempt running (its outcome is
        unknown: the same request may run again at once)."""
        ...

    def release(self, scope: str, key: str) -> None:
        """Forget an in-flight record (its request failed and changed nothing)."""
        ...

    def purge(self, created_before: datetime) -> int:
        """Delete records created before that moment; how many went."""
        ...

    def close(self) -> None:
        """Release the store's connections."""
        ...


@dataclass(frozen=True)
class Claim:
    """The outcome of presenting a key: go ahead (creating what the request
    creates as ``resource_id``), or answer this response."""

    replay: StoredResponse | None
    resource_id: UUID | None = None


class Idempotency:
    """The use cases of idempotency keys, over the shared store."""

    def __init__(self, records: IdempotencyRecords, clock: Clock) -> None:
        self.records = records
        self.clock = clock

    def begin(
        self, scope: str, key: str, fingerprint: str, *, creates_by_id: bool = False
    ) -> Claim:
        """Claim the key for this request, or the first response to answer again.

        Raises IdempotencyKeyReusedError when the key came with another
        request, IdempotencyKeyInUseError while the first is still running.
        ``creates_by_id``: the request creates what it creates with the
        claim's ``resource_id`` and answers what an earlier attempt created,
        so a retry need wait only :data:`REREAD_AFTER` for an attempt still
        marked running (its process may have lost the database).
        """
        limit = REREAD_AFTER if creates_by_id else IN_FLIGHT_LIMIT
        now = self.clock.now()
        for _ in range(CLAIM_ATTEMPTS):
            found = self.records.claim(scope, key, fingerprint, now)
            if found is None:
                return self._go(scope, key, now)
            if self.expired(found, now):
                if self.records.take(scope, key, fingerprint, now, found, renew=True):
                    return self._go(scope, key, now)
                continue
            if not found.same_request:
                raise IdempotencyKeyReusedError(scope)
            if found.response is not None:
                return Claim(replay=found.response)
            if not self.abandoned(found, now, limit):
                raise IdempotencyKeyInUseError(scope)
            if self.records.take(scope, key, fingerprint, now, found, renew=False):
                return self._go(scope, key, found.created_at)
        raise IdempotencyKeyInUseError(scope)

    @staticmethod
    def expired(record: KeyRecord, now: datetime) -> bool:
        """Older than a key's lifetime: the key is free for any request."""
        return record.created_at < now - KEY_LIFETIME

    @staticmethod
    def abandoned(
        record: KeyRecord, now: datetime, limit: timedelta = IN_FLIGHT_LIMIT
    ) -> bool:
        """Unfinished with no live attempt: the last one ended with its outcome
        unknown, or it began longer than ``limit`` ago (its process died, or,
        for a request that creates by id, may run again regardless)."""
        began = record.attempt_began
        return record.response is None and (began is None or began < now - limit)

    def finish(self, scope: str, key: str, response: StoredResponse) -> None:
        """The request holding the key succeeded: keep its response for retries."""
        self.records.complete(scope, key, response)

    def pause(self, scope: str, key: str) -> None:
        """The request holding the key ended without knowing whether its work
        landed: keep the claim, so a retry of it reads back and settles it."""
        self.records.suspend(scope, key)

    def abandon(self, scope: str, key: str) -> None:
        """The request holding the key was refused (changed nothing): a retry
        may run again, and the key may come with another request."""
        self.records.release(scope, key)

    def purge(self) -> int:
        """Delete the records older than the keys' lifetime (run hourly)."""
        return self.records.purge(self.clock.now() - KEY_LIFETIME)

    def _go(self, scope: str, key: str, created_at: datetime) -> Claim:
        return Claim(
            replay=None, resource_id=self.records.resource_id(scope, key, created_at)
        )
