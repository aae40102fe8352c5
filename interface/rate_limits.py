"""Per-client-address request limits (flask-limiter), shared through its storage."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter

from infrastructure.settings import Settings
from interface.request_context import client_ip

# The endpoints an attacker would hammer, and the setting that limits each.
LIMITED_ENDPOINTS = {"sessions.create_session": "login_rate_limit"}


def install(app: Flask, settings: Settings) -> Limiter:
    """Limit the guessable endpoints per client address."""
    limiter = Limiter(
        key_func=lambda: client_ip() or "unknown",
        app=app,
        storage_uri=settings.rate_limit_storage,
        headers_enabled=True,
        key_prefix="sellerguard",
        strategy="moving-window",
    )
    for endpoint, setting in LIMITED_ENDPOINTS.items():
        view = app.view_functions[endpoint]
        app.view_functions[endpoint] = limiter.limit(getattr(settings, setting))(view)
    return limiter
