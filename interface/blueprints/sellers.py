"""Seller registration."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from application.accounts import AccountView
from interface.blueprints.documenting import problems
from interface.composition import services
from interface.etags import with_etag
from interface.idempotency import created_id, idempotent
from interface.request_context import anonymous
from interface.schemas.accounts import AccountSchema, RegisterSellerSchema

blp = Blueprint(
    "sellers", __name__, url_prefix="/api/v1", description="Seller registration"
)


@blp.post("/sellers")
@idempotent(blp, creates_by_id=True)
@blp.arguments(RegisterSellerSchema)
@blp.response(201, AccountSchema, description="The new seller account")
@problems(blp, 400, 409, 413, 422)
def register_seller(body: dict[str, Any]) -> tuple[AccountView, int, dict[str, str]]:
    """Register a seller's main account."""
    account = services().sellers.register(
        actor=anonymous(), account_id=created_id(), **body
    )
    return with_etag(account, 201)
