"""Idempotency keys: a creating request retried with the same key is answered
once, with the first response, and its work is never done twice.

A caller sends ``Idempotency-Key`` with a POST that creates something. The
first request with a key claims it (an in-flight record); its successful
response is then kept for 24 hours and answers every retry with the same key
and the same request. The same key with another request is refused, and so
is a retry while the first is still running. Keys are scoped by the caller
(a principal, a token, or a client address) so that nobody reaches another
caller's records. Only successful responses are kept: a refusal changed
nothing, so a retry after one runs again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from application.ports import Clock
from domain.errors import SellerGuardError

KEY_LIFETIME = timedelta(hours=24)
# Longer than any request may run (gunicorn's --timeout kills a worker after
# 60 s): an in-flight record older than this belongs to a process that died.
IN_FLIGHT_LIMIT = timedelta(seconds=90)


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
    """What the store holds for a (scope, key): whether it was claimed by the
    same request (fingerprint), and the response once the first request has
    finished (None while it is in flight)."""

    same_request: bool
    response: StoredResponse | None


class IdempotencyRecords(Protocol):
    """The shared store of keys, seen by every process and host."""

    def claim(
        self,
        scope: str,
        key: str,
        fingerprint: str,
        now: datetime,
        *,
        free_before: datetime,
        stale_before: datetime,
    ) -> KeyRecord | None:
        """Atomically take the key for a new request, or say who holds it.

        Returns None when this caller now holds the key: there was no record,
        or only one created before ``free_before`` (expired), or one of the
        same request still in flight since before ``stale_before`` (its
        process died). Otherwise returns the record that is there, unchanged.
        """
        ...

    def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        """Keep the response of the request that holds the key."""
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
    """The outcome of presenting a key: go ahead, or answer this response."""

    replay: StoredResponse | None


class Idempotency:
    """The use cases of idempotency keys, over the shared store."""

    def __init__(self, records: IdempotencyRecords, clock: Clock) -> None:
        self.records = records
        self.clock = clock

    def begin(self, scope: str, key: str, fingerprint: str) -> Claim:
        """Claim the key for this request, or the first response to answer again.

        Raises IdempotencyKeyReusedError when the key came with another
        request, IdempotencyKeyInUseError while the first is still running.
        """
        now = self.clock.now()
        found = self.records.claim(
            scope,
            key,
            fingerprint,
            now,
            free_before=now - KEY_LIFETIME,
            stale_before=now - IN_FLIGHT_LIMIT,
        )
        if found is None:
            return Claim(replay=None)
        if not found.same_request:
            raise IdempotencyKeyReusedError(scope)
        if found.response is None:
            raise IdempotencyKeyInUseError(scope)
        return Claim(replay=found.response)

    def finish(self, scope: str, key: str, response: StoredResponse) -> None:
        """The request holding the key succeeded: keep its response for retries."""
        self.records.complete(scope, key, response)

    def abandon(self, scope: str, key: str) -> None:
        """The request holding the key failed: a retry may run again."""
        self.records.release(scope, key)

    def purge(self) -> int:
        """Delete the records older than the keys' lifetime (run hourly)."""
        return self.records.purge(self.clock.now() - KEY_LIFETIME)
