"""Authentication: the bearer token of every request, checked in one place."""

from __future__ import annotations

from flask import current_app, g, request

from application.principals import Principal, UnauthorizedError
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from interface.request_context import client_ip, request_id

PEOPLE = (ActorKind.SELLER, ActorKind.SUB_ACCOUNT, ActorKind.STAFF)


class ForbiddenError(SellerGuardError):
    """The principal may not do this."""

    code = "forbidden"


def current_principal(*kinds: ActorKind) -> Principal:
    """The signed-in principal, if it is of one of the given kinds (default: a person).

    401 without a live session; 403 for a principal of another kind.
    """
    principal: Principal | None = g.get("principal")
    if principal is None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("no bearer token")
        sign_in = current_app.extensions["sellerguard"].sign_in
        principal = sign_in.authenticate(token.strip(), request_id(), client_ip())
        g.principal = principal
    if principal.kind not in (kinds or PEOPLE):
        raise ForbiddenError(str(principal.id))
    return principal


def acting(principal: Principal) -> Actor:
    """The principal as the actor of this request's events."""
    return principal.actor(request_id(), client_ip())
