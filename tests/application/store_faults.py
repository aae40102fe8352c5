"""What the store-fault tests share: a seller, its principal, sub-account details."""

from __future__ import annotations

from application.principals import Principal
from domain.actor import Actor, ActorKind
from domain.roles import Role
from interface.composition import Services

STRONG = "Corr3ct-Horse!Battery"
EMPLOYEE_PASSWORD = "Bl0ssom-Tide!Harbor"
VISITOR = Actor(ActorKind.ANONYMOUS, None, "req-0001", "203.0.113.7")


def seller(services: Services, username: str = "Shop.One") -> Principal:
    """A registered seller, as the principal of its own requests."""
    view = services.sellers.register(
        username, f"{username.lower()}@example.com", STRONG, None, VISITOR
    )
    return Principal(
        kind=ActorKind.SELLER,
        id=view.id,
        role=None,
        seller_id=view.id,
        session_id=None,
        permissions=frozenset(),
    )


def owner(principal: Principal) -> Actor:
    return Actor(ActorKind.SELLER, str(principal.id), "req-0002", "203.0.113.8")


def create_employee(services: Services, shop: Principal, username: str) -> None:
    services.sub_accounts.create(
        shop,
        username,
        f"{username.lower()}@example.com",
        Role.CUSTOMER_SERVICE_AGENT,
        EMPLOYEE_PASSWORD,
        owner(shop),
    )


def usernames(services: Services, shop: Principal) -> list[str]:
    return sorted(view.username for view in services.sub_accounts.list(shop))
