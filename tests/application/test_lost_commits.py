"""A commit whose connection breaks on the way is settled by reading it back
(PostgreSQL, through a TCP proxy that cuts the connection at the COMMIT)."""

from __future__ import annotations

import pytest

from domain.seller_account import SellerAccount
from interface.composition import Services
from scripts.tcp_proxy import TcpProxy
from tests import proxied_store
from tests.application.store_faults import (
    STRONG,
    VISITOR,
    create_employee,
    seller,
    usernames,
)

proxy = proxied_store.proxy
proxied_services = proxied_store.proxied_services


@pytest.fixture
def services(proxied_services: Services) -> Services:
    return proxied_services


def registrations(services: Services) -> list[str]:
    notifications = services.ledger.recorder.select_notifications(start=1, limit=1000)
    return [n.topic for n in notifications if n.topic.endswith("UsernameIndex.Claimed")]


def test_a_sub_account_whose_commit_landed_unheard_is_answered_as_created(
    services: Services, proxy: TcpProxy
):
    shop = seller(services)
    cut = proxy.break_next_commit("after_commit")

    create_employee(services, shop, "Emp.Lost")

    assert cut.is_set()
    assert usernames(services, shop) == ["Emp.Lost"]
    assert len(services.ledger.load(shop.id, SellerAccount).sub_account_ids) == 1


def test_a_sub_account_whose_commit_never_arrived_is_committed_once(
    services: Services, proxy: TcpProxy
):
    shop = seller(services)
    cut = proxy.break_next_commit("instead_of_commit")

    create_employee(services, shop, "Emp.Again")

    assert cut.is_set()
    assert usernames(services, shop) == ["Emp.Again"]
    assert len(services.ledger.load(shop.id, SellerAccount).sub_account_ids) == 1


def test_a_registration_whose_commit_landed_unheard_is_not_answered_taken(
    services: Services, proxy: TcpProxy
):
    cut = proxy.break_next_commit("after_commit")

    view = services.sellers.register(
        "Shop.Lost", "owner@example.com", STRONG, None, VISITOR
    )

    assert cut.is_set()
    assert services.ledger.load(view.id, SellerAccount).username == "Shop.Lost"
    assert len(registrations(services)) == 1
