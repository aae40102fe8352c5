"""The support and audit console: server-rendered pages for platform staff."""

from interface.console import audit, passkeys, platform, sign_in, support
from interface.console.base import blp

__all__ = ["audit", "blp", "passkeys", "platform", "sign_in", "support"]
