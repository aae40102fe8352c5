"""Passkeys (WebAuthn): registering, listing, naming and removing them."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask_smorest import Blueprint

from application.passkeys import CeremonyOptions, PasskeyView
from domain.roles import OWN_ACCOUNT
from interface.auth import acting, current_principal, recent_sign_in, requires
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.idempotency import idempotent
from interface.pages import page_of_list
from interface.schemas.lists import PageArgsSchema, page_of
from interface.schemas.passkeys import (
    CeremonyOptionsSchema,
    PasskeyRegistrationSchema,
    PasskeyRenameSchema,
    PasskeySchema,
)

blp = Blueprint(
    "passkeys",
    __name__,
    url_prefix="/api/v1",
    description="Passkeys: the phishing-proof way in",
)

# Staff may add a passkey before anything else: it is their second step.


@blp.post("/me/passkeys/options")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@recent_sign_in(blp)
@blp.response(200, CeremonyOptionsSchema)
def registration_options() -> CeremonyOptions:
    """Start registering a passkey: creation options, valid 5 minutes, once."""
    principal = current_principal()
    return services().passkeys.registration_options(principal, acting(principal))


@blp.post("/me/passkeys")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@recent_sign_in(blp)
@idempotent(blp)
@blp.arguments(PasskeyRegistrationSchema)
@blp.response(201, PasskeySchema)
@problems(blp, 400, 409, 422)
def register_passkey(body: dict[str, Any]) -> PasskeyView:
    """Keep the passkey the browser created (the owner is alerted and mailed)."""
    principal = current_principal()
    return services().passkeys.register(
        principal,
        body["challenge_id"],
        body["name"],
        body["credential"],
        acting(principal),
    )


@blp.get("/me/passkeys")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(PasskeySchema))
@problems(blp, 422)
def list_passkeys(args: dict[str, Any]) -> dict[str, Any]:
    """The caller's passkeys, newest first."""
    views = services().passkeys.list(current_principal())
    return page_of_list(views, args["limit"], args["cursor"])


@blp.patch("/me/passkeys/<uuid:passkey_id>")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@blp.arguments(PasskeyRenameSchema)
@blp.response(200, PasskeySchema)
@problems(blp, 400, 404, 422)
def rename_passkey(body: dict[str, Any], passkey_id: UUID) -> PasskeyView:
    """Give a passkey another name."""
    principal = current_principal()
    return services().passkeys.rename(
        principal, str(passkey_id), body["name"], acting(principal)
    )


@blp.delete("/me/passkeys/<uuid:passkey_id>")
@requires(blp, OWN_ACCOUNT, before_two_step=True)
@recent_sign_in(blp)
@blp.response(204)
@problems(blp, 404)
def remove_passkey(passkey_id: UUID) -> None:
    """Remove a passkey; every other session of the caller ends."""
    principal = current_principal()
    services().passkeys.remove(principal, str(passkey_id), acting(principal))
