"""Authentication and authorisation of every request, in one place.

A view declares the one permission it needs with :func:`requires`; the
permission matrix of ``domain.roles`` decides who has it. The check runs
before the request body is read: a stranger learns nothing from validation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, request
from flask_smorest import Blueprint

from application.principals import Principal, UnauthorizedError
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from interface import query_params
from interface.blueprints.documenting import BEARER, problems
from interface.composition import services
from interface.request_context import client_ip, request_id

F = TypeVar("F", bound=Callable[..., Any])


class ForbiddenError(SellerGuardError):
    """The principal may not do this."""

    code = "forbidden"

    def __init__(self, principal_id: str, permission: str) -> None:
        super().__init__(principal_id)
        self.permission = permission


class ReauthenticationRequiredError(SellerGuardError):
    """This needs a recent sign-in: reauthenticate, then try again."""

    code = "reauthentication_required"

    def __init__(self, principal_id: str, max_age: int) -> None:
        super().__init__(principal_id)
        self.max_age = max_age


class TwoStepRequiredError(SellerGuardError):
    """Turn on two-step verification first: it is required before anything else."""

    code = "two_step_required"


def requires(
    blp: Blueprint, permission: str, *, before_two_step: bool = False
) -> Callable[[F], F]:
    """Admit only principals the matrix grants ``permission`` (401, then 403).

    Staff without two-step verification, and employees of a shop that
    requires it, get ``403 two_step_required`` except on the views that enrol
    it (``before_two_step``).
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            principal = _authenticated()
            if (
                principal.kind is ActorKind.STAFF
                and not principal.two_step_enabled
                and not before_two_step
            ):
                raise TwoStepRequiredError(str(principal.id))
            if not before_two_step and services().sub_accounts.two_step_missing(
                principal
            ):
                raise TwoStepRequiredError(str(principal.id))
            if not principal.may(permission):
                raise ForbiddenError(str(principal.id), permission)
            query_params.refuse_unknown()
            return view(*args, **kwargs)

        guarded.checks_query = True  # type: ignore[attr-defined]

        documented = blp.doc(security=BEARER)(guarded)
        return problems(blp, 401, 403)(documented)  # type: ignore[return-value]

    return decorate


def require_recent_sign_in() -> None:
    """Refuse (401 reauthentication_required, RFC 9470) unless the caller's
    session proved the password within SELLERGUARD_STEP_UP_MAX_AGE.

    Call it in a view, after :func:`requires` admitted the caller, when only
    some requests are sensitive (e.g. a role change granting
    ``main_administrator``); otherwise decorate the view with
    :func:`recent_sign_in`.
    """
    found = services()
    max_age = found.settings.step_up_max_age
    principal = current_principal()
    if not principal.signed_in_within(max_age, found.clock.now()):
        raise ReauthenticationRequiredError(
            str(principal.id), int(max_age.total_seconds())
        )


def recent_sign_in(blp: Blueprint) -> Callable[[F], F]:
    """A sensitive operation: place it right below ``@requires(...)``.

    @blp.put("/me/payout-account")
    @requires(blp, PERMISSION)
    @recent_sign_in(blp)
    @blp.arguments(...)
    def ...
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def stepped_up(*args: Any, **kwargs: Any) -> Any:
            require_recent_sign_in()
            return view(*args, **kwargs)

        return problems(blp, 401)(stepped_up)  # type: ignore[return-value]

    return decorate


def current_principal() -> Principal:
    """The principal that :func:`requires` admitted for this request."""
    principal: Principal = g.principal
    return principal


def acting(principal: Principal) -> Actor:
    """The principal as the actor of this request's events."""
    return principal.actor(request_id(), client_ip())


def bearer_token() -> str:
    """The token of an ``Authorization: Bearer`` header; UnauthorizedError if none."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("no bearer token")
    return token.strip()


def _authenticated() -> Principal:
    principal = services().sign_in.authenticate(
        bearer_token(), request_id(), client_ip()
    )
    g.principal = principal
    return principal
