"""The Flask app over real stores, driven through its test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interface.app import create_app
from interface.composition import Services
from tests.api.helpers import register, token_of


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def seller(client: FlaskClient) -> dict[str, Any]:
    """A seller registered as Shop.One (a module may define its own)."""
    return register(client)


@pytest.fixture
def token(client: FlaskClient, seller: dict[str, Any]) -> str:
    """The seller's session token, from the usual laptop."""
    return token_of(client)
