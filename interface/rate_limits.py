"""Per-client-address request limits, counted by the `limits` library.

Counts live in the configured storage (memory by default; Redis to share
them between workers and hosts). Only the views marked with :func:`limited`
pay for counting; every other request passes untouched.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_smorest import Blueprint
from limits import parse, storage, strategies

from domain.errors import SellerGuardError
from infrastructure.settings import Settings
from interface.blueprints.documenting import problems
from interface.request_context import client_ip

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "sellerguard.rate_limits"


class RateLimitedError(SellerGuardError):
    """Too many requests from this address; try again later."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(str(retry_after))
        self.retry_after = retry_after


class RateLimits:
    """A moving-window limiter over the configured storage."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.limiter = strategies.MovingWindowRateLimiter(
            storage.storage_from_string(settings.rate_limit_storage)
        )

    def hit(self, setting: str, endpoint: str, key: str) -> None:
        """Count one request; RateLimitedError when over the limit."""
        limit = parse(getattr(self.settings, setting))
        if not self.limiter.hit(limit, "sellerguard", endpoint, key):
            reset_at, _ = self.limiter.get_window_stats(
                limit, "sellerguard", endpoint, key
            )
            raise RateLimitedError(max(1, math.ceil(reset_at - time.time())))


def install(app: Flask, settings: Settings) -> None:
    """Give the app its limiter."""
    app.extensions[EXTENSION] = RateLimits(settings)


def limited(blp: Blueprint, setting: str) -> Callable[[F], F]:
    """Limit a view per client address, by the named setting (e.g. 30/minute)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def counted(*args: Any, **kwargs: Any) -> Any:
            current_app.extensions[EXTENSION].hit(
                setting, request.endpoint or view.__name__, client_ip() or "unknown"
            )
            return view(*args, **kwargs)

        return problems(blp, 429)(counted)  # type: ignore[return-value]

    return decorate
