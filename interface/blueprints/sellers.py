"""Seller registration."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from application.sellers import AccountView
from interface.blueprints.documenting import problems
from interface.request_context import anonymous
from interface.schemas.accounts import AccountSchema, RegisterSellerSchema

blp = Blueprint(
    "sellers", __name__, url_prefix="/api/v1", description="Seller registration"
)


@blp.post("/sellers")
@blp.arguments(RegisterSellerSchema)
@blp.response(201, AccountSchema, description="The new seller account")
@problems(blp, 400, 409, 413, 422)
def register_seller(body: dict[str, Any]) -> tuple[AccountView, int, dict[str, str]]:
    """Register a seller's main account."""
    account = current_app.extensions["sellerguard"].sellers.register(
        actor=anonymous(), **body
    )
    return account, 201, {"ETag": f'"{account.version}"'}
