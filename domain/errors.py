"""The root of every refusal the product explains to its caller."""

from __future__ import annotations

from typing import ClassVar


class SellerGuardError(Exception):
    """Base of every explained refusal; never raised directly.

    ``code`` is the stable, machine-readable name the REST contract promises.
    """

    code: ClassVar[str] = "error"
