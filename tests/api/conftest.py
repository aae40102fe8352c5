"""The Flask app over real stores, driven through its test client."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from interface.app import create_app
from interface.composition import Services


@pytest.fixture
def app(services: Services) -> Flask:
    return create_app(services=services)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
