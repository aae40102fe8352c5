"""Signing in and out."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, json, request
from flask_smorest import Blueprint

from application.passkeys import CeremonyOptions
from application.sign_in import ChallengeView, SessionGrant
from domain.actor import ActorKind
from domain.roles import OWN_ACCOUNT
from domain.sign_in import Attempt
from interface.auth import acting, current_principal, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.rate_limits import limited
from interface.request_context import anonymous, client_ip
from interface.schemas.passkeys import (
    CeremonyOptionsSchema,
    PasskeySignInOptionsSchema,
    PasskeySignInSchema,
)
from interface.schemas.sessions import (
    AuthTimeSchema,
    ChallengeAnswerSchema,
    ChallengeSchema,
    LoginSchema,
    ReauthenticateSchema,
    SessionGrantSchema,
)

blp = Blueprint(
    "sessions", __name__, url_prefix="/api/v1", description="Signing in and out"
)


def attempt_from_request(device_id: str | None) -> Attempt:
    """Where this attempt comes from; without a device id, the browser stands in."""
    user_agent = request.headers.get("User-Agent", "")[:256]
    if not device_id:
        device_id = "ua-" + hashlib.sha256(user_agent.encode()).hexdigest()[:16]
    return Attempt(client_ip() or "unknown", user_agent, device_id)


@blp.post("/sessions")
@limited(blp, "login_rate_limit")
@blp.arguments(LoginSchema)
@blp.response(201, SessionGrantSchema, description="Signed in")
@blp.alt_response(
    202,
    schema=ChallengeSchema,
    description="Password right; a second-step code is needed",
)
@problems(blp, 400, 401, 403, 422)
def create_session(body: dict[str, Any]) -> SessionGrant | Response:
    """Sign in with username and password."""
    outcome = services().sign_in.login(
        body["username"],
        body["password"],
        attempt_from_request(body["device_id"]),
        anonymous(),
        body["device_token"],
    )
    if isinstance(outcome, ChallengeView):
        return Response(
            json.dumps(ChallengeSchema().dump(outcome)),
            status=202,
            mimetype="application/json",
        )
    return _signed_in(outcome)


@blp.post("/sessions/challenge")
@limited(blp, "login_rate_limit")
@blp.arguments(ChallengeAnswerSchema)
@blp.response(201, SessionGrantSchema, description="Signed in")
@problems(blp, 400, 401, 403, 422)
def answer_challenge(body: dict[str, Any]) -> SessionGrant:
    """Finish signing in with a code from the authenticator app, a recovery
    code, or a passkey (``credential``, signed for ``passkey_options``)."""
    sign_in = services().sign_in
    if body["credential"] is not None:
        return _signed_in(
            sign_in.complete_challenge_with_passkey(
                body["challenge_id"], body["credential"], anonymous()
            )
        )
    return _signed_in(
        sign_in.complete_challenge(body["challenge_id"], body["code"], anonymous())
    )


@blp.post("/sessions/passkey/options")
@limited(blp, "login_rate_limit")
@blp.arguments(PasskeySignInOptionsSchema, required=False)
@blp.response(200, CeremonyOptionsSchema)
@problems(blp, 400, 422)
def passkey_sign_in_options(body: dict[str, Any]) -> CeremonyOptions:
    """Start signing in with a passkey alone: options valid 5 minutes, once."""
    return services().sign_in.passwordless_options(body["username"], anonymous())


@blp.post("/sessions/passkey")
@limited(blp, "login_rate_limit")
@blp.arguments(PasskeySignInSchema)
@blp.response(201, SessionGrantSchema, description="Signed in")
@problems(blp, 400, 401, 403, 422)
def sign_in_with_passkey(body: dict[str, Any]) -> SessionGrant:
    """Sign in with a passkey: it is both factors (no password, no code)."""
    return _signed_in(
        services().sign_in.sign_in_with_passkey(
            body["challenge_id"],
            body["credential"],
            attempt_from_request(body["device_id"]),
            anonymous(),
            body["device_token"],
        )
    )


@blp.delete("/sessions/current")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.response(204)
def delete_current_session() -> None:
    """Sign out: the session of this request ends."""
    principal = current_principal()
    services().sign_in.logout(principal, acting(principal))


def _signed_in(grant: SessionGrant) -> SessionGrant:
    """A shop owner's sign-in also runs the shop's review of its sub-accounts.

    Sub-accounts nobody signed in to for 30 days are flagged here (a POST),
    so that reading the alerts writes nothing.
    """
    principal = grant.principal
    if principal.kind is ActorKind.SELLER:
        services().sub_accounts.flag_dormant(principal.id, acting(principal))
    return grant


@blp.post("/sessions/current/reauthenticate/options")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.response(200, CeremonyOptionsSchema)
def reauthentication_options() -> CeremonyOptions:
    """Request options to answer a reauthentication with a passkey (5 minutes,
    once)."""
    principal = current_principal()
    return services().passkeys.reauthentication_options(principal, acting(principal))


@blp.post("/sessions/current/reauthenticate")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.arguments(ReauthenticateSchema)
@blp.response(200, AuthTimeSchema)
@problems(blp, 400, 422)
def reauthenticate(body: dict[str, Any]) -> dict[str, Any]:
    """Prove the password (and the second step, when there is one) again,
    for sensitive operations: a code, or a passkey (required when a passkey
    is the account's only second step).

    Each wrong password, code or passkey counts as a guess; the fifth in a
    row ends this session.
    """
    principal = current_principal()
    auth_time = services().account_security.reauthenticate(
        principal,
        body["password"],
        body["code"],
        acting(principal),
        (body["challenge_id"], body["credential"]),
    )
    return {"auth_time": auth_time}
