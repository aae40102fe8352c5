"""Aggregates built in memory: no store, no application, no clock but a moment."""

from __future__ import annotations

import pytest

from domain.seller_account import SellerAccount
from tests.domain.builders import new_seller


@pytest.fixture
def seller() -> SellerAccount:
    return new_seller()
