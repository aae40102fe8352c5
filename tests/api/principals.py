"""Every kind of principal, signed in for real, for authorisation tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.actor import Actor, ActorKind
from domain.roles import Role, StaffRole
from tests.api.helpers import (
    EMPLOYEE_PASSWORD,
    bearer,
    enrol_two_step,
    register,
    token_of,
)

STAFF_PASSWORD = "Qu1et-Orchard!Signal"
OPERATOR = Actor(ActorKind.SYSTEM, "cli:test")


@dataclass
class Cast:
    """Tokens of every principal, and the ids the requests need."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


def enable_staff_two_step(client: Any, token: str, clock: Any) -> None:
    enrol_two_step(client, token, clock)


def staff_token(
    client: Any, services: Any, clock: Any, role: StaffRole, *, two_step: bool = True
) -> str:
    username = f"staff.{role.value.replace('_', '-')}{'' if two_step else '.new'}"
    services.platform_people.create_staff(
        username, f"{username}@example.com", role, STAFF_PASSWORD, OPERATOR
    )
    token = token_of(client, username=username, password=STAFF_PASSWORD)
    if two_step:
        enable_staff_two_step(client, token, clock)
    return token


def cast_of_principals(client: Any, services: Any, clock: Any) -> Cast:
    cast = Cast()
    cast.ids["seller"] = register(client, "Shop.One")["id"]
    seller = token_of(client, username="Shop.One")
    cast.headers["seller"] = bearer(seller)
    register(client, "Other.Shop")
    cast.headers["other_seller"] = bearer(token_of(client, username="Other.Shop"))
    for role in Role:
        username = f"e.{role.value}"
        created = client.post(
            "/api/v1/sub-accounts",
            headers=bearer(seller),
            json={
                "username": username,
                "email": f"{username}@example.com",
                "role": role.value,
                "password": EMPLOYEE_PASSWORD,
            },
        )
        cast.ids[role.value] = created.get_json()["id"]
        cast.headers[role.value] = bearer(
            token_of(client, username=username, password=EMPLOYEE_PASSWORD)
        )
    for staff_role in StaffRole:
        cast.headers[staff_role.value] = bearer(
            staff_token(client, services, clock, staff_role)
        )
    people = services.platform_people
    cast.headers["service"] = bearer(
        people.create_service_key(
            "orders", ["authz:check", "blocklist:check", "payout:read"], OPERATOR
        ).value
    )
    cast.headers["service_without_scope"] = bearer(
        people.create_service_key("reviews", ["blocklist:check"], OPERATOR).value
    )
    cast.headers["risk_service"] = bearer(
        people.create_service_key(
            "risk-engine", ["risk:write", "risk:read"], OPERATOR
        ).value
    )
    cast.headers["anonymous"] = {}
    return cast
