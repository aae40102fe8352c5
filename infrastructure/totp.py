"""Two-step verification codes (TOTP) with `cryptography`, QR codes with `segno`."""

from __future__ import annotations

import base64
import hmac
import io
import secrets
from datetime import datetime
from urllib.parse import quote, urlencode

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
PERIOD = 30  # seconds in one time step
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends
MIN_SECRET_BYTES = 16  # 128 bits, the least RFC 4226 and `cryptography` accept
QR_SCALE = 5  # pixels a module: about 250 px square for a 20-byte secret's URI


class TotpError(ValueError):
    """Base of this module's errors; never raised directly."""


class MalformedSecretError(TotpError):
    """A secret that is not base32 of at least 16 bytes."""


class LabelError(TotpError):
    """An issuer or account name that cannot go in an otpauth label."""


class NaiveMomentError(TotpError):
    """A moment without a time zone, which would be read as local time."""


class Totp:
    """TOTP (RFC 6238): 6 digits, 30 s steps, SHA-1, one step of drift either way."""

    def __init__(self, issuer: str = "SellerGuard") -> None:
        _check_label_part(issuer)
        self._issuer = issuer

    def new_secret(self) -> str:
        """A new random secret: base32 of 20 bytes, upper case, no padding."""
        return _base32(secrets.token_bytes(SECRET_BYTES))

    def provisioning_uri(self, secret: str, account_name: str) -> str:
        """The otpauth:// URI an authenticator app enrols from."""
        _check_label_part(account_name)
        label = f"{quote(self._issuer, safe='')}:{quote(account_name, safe='')}"
        query = urlencode(
            {
                "secret": _base32(_totp_key(secret)),
                "issuer": self._issuer,
                "algorithm": "SHA1",
                "digits": DIGITS,
                "period": PERIOD,
            },
            quote_via=quote,
        )
        return f"otpauth://totp/{label}?{query}"

    def qr_svg(self, uri: str) -> str:
        """A standalone SVG document of a QR code of the URI."""
        # Level M exactly, as specified; a white quiet zone so that dark
        # pages do not hide the code from a phone's camera.
        qr = segno.make_qr(uri, error="m", boost_error=False)
        out = io.BytesIO()
        qr.save(out, kind="svg", scale=QR_SCALE, light="#fff", encoding="utf-8")
        return out.getvalue().decode("utf-8")

    def matching_step(self, secret: str, code: str, at: datetime) -> int | None:
        """The step within one of ``at`` whose code is ``code``, current first."""
        totp = _totp(secret)
        now = _step(at)
        if not _well_formed(code):
            return None
        given = code.encode("ascii")
        # No step before the epoch (the counter is unsigned).
        window = tuple(step for step in (now, now - 1, now + 1) if step >= 0)
        # Compare with every step of the window, so timing tells nothing.
        matching = [
            step
            for step in window
            if hmac.compare_digest(totp.generate(step * PERIOD), given)
        ]
        return matching[0] if matching else None

    def code_at(self, secret: str, at: datetime) -> str:
        """The code of the step that contains ``at``."""
        return _totp(secret).generate(_step(at) * PERIOD).decode("ascii")


def _base32(key: bytes) -> str:
    """The key in base32, upper case, without padding."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    """The key bytes of a base32 secret (any case, padding optional)."""
    try:
        return base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        msg = "the TOTP secret is not base32"
        raise MalformedSecretError(msg) from None


def _totp_key(secret: str) -> bytes:
    """The key bytes of a secret long enough for TOTP."""
    key = _key(secret)
    if len(key) < MIN_SECRET_BYTES:
        msg = f"the TOTP secret is shorter than {MIN_SECRET_BYTES} bytes"
        raise MalformedSecretError(msg)
    return key


def _totp(secret: str) -> TOTP:
    """The `cryptography` TOTP over the secret."""
    return TOTP(_totp_key(secret), DIGITS, SHA1(), PERIOD)  # noqa: S303 (RFC 6238)


def _step(at: datetime) -> int:
    """The number of the time step that contains the moment."""
    if at.utcoffset() is None:
        raise NaiveMomentError(at.isoformat())
    return int(at.timestamp() // PERIOD)


def _well_formed(code: str) -> bool:
    """Whether the code is exactly six ASCII digits."""
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def _check_label_part(part: str) -> None:
    """Refuse an empty part, or one with the colon that separates the label."""
    if not part or ":" in part:
        raise LabelError(part)
