"""The app over real stores, for the integrity tests that go through the API."""

from __future__ import annotations

from tests.api.conftest import app, client

__all__ = ["app", "client"]
