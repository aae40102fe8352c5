"""Unit tests for the TOTP adapter of two-step verification."""

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infrastructure.totp import (
    LabelError,
    MalformedSecretError,
    NaiveMomentError,
    Totp,
)

TOTP = Totp()
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
NOON = datetime(2025, 3, 14, 12, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)
SVG_NAMESPACE = "http://www.w3.org/2000/svg"

secrets_20_bytes = st.binary(min_size=20, max_size=20).map(
    lambda key: base64.b32encode(key).decode("ascii")
)
moments = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
    max_value=datetime(2200, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


def step_of(at: datetime) -> int:
    return int(at.timestamp() // 30)


@pytest.mark.parametrize(
    ("unix_time", "eight_digits"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_are_the_rfc_6238_sha1_test_vectors(
    unix_time: int, eight_digits: str
) -> None:
    at = datetime.fromtimestamp(unix_time, tz=UTC)

    assert TOTP.code_at(RFC_SECRET, at) == eight_digits[-6:]


@given(secret=secrets_20_bytes, at=moments)
def test_codes_agree_with_pyotp(secret: str, at: datetime) -> None:
    assert TOTP.code_at(secret, at) == pyotp.TOTP(secret).at(at)


@given(secret=secrets_20_bytes, at=moments)
def test_a_pyotp_code_is_matched_at_its_own_step(secret: str, at: datetime) -> None:
    code = pyotp.TOTP(secret).at(at)

    assert TOTP.matching_step(secret, code, at) == step_of(at)


def test_a_code_of_the_previous_step_is_accepted() -> None:
    secret = TOTP.new_secret()
    code = TOTP.code_at(secret, NOON - STEP)

    assert TOTP.matching_step(secret, code, NOON) == step_of(NOON) - 1


def test_a_code_of_the_next_step_is_accepted() -> None:
    secret = TOTP.new_secret()
    code = TOTP.code_at(secret, NOON + STEP)

    assert TOTP.matching_step(secret, code, NOON) == step_of(NOON) + 1


@pytest.mark.parametrize("offset", [-2, 2])
def test_a_code_two_steps_away_is_refused(offset: int) -> None:
    secret = RFC_SECRET  # fixed, so no code of the window equals it by chance
    code = TOTP.code_at(secret, NOON + offset * STEP)

    assert TOTP.matching_step(secret, code, NOON) is None


def test_a_wrong_code_is_refused() -> None:
    code = TOTP.code_at(RFC_SECRET, NOON)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    assert TOTP.matching_step(RFC_SECRET, wrong, NOON) is None


# Each turns the right code into one that is not exactly six ASCII digits.
MALFORMED: dict[str, Callable[[str], str]] = {
    "empty": lambda code: "",
    "five digits": lambda code: code[:5],
    "seven digits": lambda code: code + "0",
    "a letter": lambda code: code[:5] + "a",
    "a leading space": lambda code: " " + code,
    "a trailing space": lambda code: code + " ",
    "a trailing newline": lambda code: code + "\n",
    "a sign": lambda code: "+" + code[1:],
    "full-width digits": lambda code: "".join(chr(0xFF10 + int(d)) for d in code),
    "Arabic-Indic digits": lambda code: "".join(chr(0x0660 + int(d)) for d in code),
}


@pytest.mark.parametrize("malform", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_code_that_is_not_six_ascii_digits_is_refused(
    malform: Callable[[str], str],
) -> None:
    code = malform(TOTP.code_at(RFC_SECRET, NOON))

    assert TOTP.matching_step(RFC_SECRET, code, NOON) is None


def test_a_code_is_six_digits_even_with_leading_zeros() -> None:
    at = datetime.fromtimestamp(1111111109, tz=UTC)  # RFC code 07081804

    assert TOTP.code_at(RFC_SECRET, at) == "081804"


@pytest.mark.parametrize("secret", ["not base32!", "ABC", "MFRGG===X", "ÄBCDEFGH"])
def test_a_secret_that_is_not_base32_raises(secret: str) -> None:
    with pytest.raises(MalformedSecretError):
        TOTP.matching_step(secret, "123456", NOON)


def test_a_secret_shorter_than_128_bits_raises() -> None:
    short = base64.b32encode(b"0123456789").decode("ascii")

    with pytest.raises(MalformedSecretError):
        TOTP.code_at(short, NOON)


def test_a_malformed_secret_raises_even_with_a_malformed_code() -> None:
    with pytest.raises(MalformedSecretError):
        TOTP.matching_step("", "abc", NOON)


def test_a_secret_is_read_in_lower_case_and_without_padding() -> None:
    secret = base64.b32encode(b"0123456789abcdef").decode("ascii")  # padded
    assert secret.endswith("=")

    lenient = secret.rstrip("=").lower()

    assert TOTP.code_at(lenient, NOON) == TOTP.code_at(secret, NOON)


def test_a_moment_without_time_zone_raises() -> None:
    with pytest.raises(NaiveMomentError):
        TOTP.code_at(RFC_SECRET, NOON.replace(tzinfo=None))


def test_the_provisioning_uri_carries_label_and_parameters() -> None:
    secret = TOTP.new_secret()

    uri = urlsplit(TOTP.provisioning_uri(secret, "maria.lopez@example.com"))

    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/SellerGuard:maria.lopez@example.com"
    assert parse_qs(uri.query, strict_parsing=True) == {
        "secret": [secret],
        "issuer": ["SellerGuard"],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


def test_the_provisioning_uri_quotes_spaces_and_reserved_characters() -> None:
    uri = Totp(issuer="Seller Guard & Co").provisioning_uri(RFC_SECRET, "a b?c")

    assert uri.startswith("otpauth://totp/Seller%20Guard%20%26%20Co:a%20b%3Fc?")
    assert "&issuer=Seller%20Guard%20%26%20Co&" in uri


def test_pyotp_reads_the_secret_back_from_the_provisioning_uri() -> None:
    secret = TOTP.new_secret()

    parsed = pyotp.parse_uri(TOTP.provisioning_uri(secret, "maria_shop"))

    assert isinstance(parsed, pyotp.TOTP)
    assert (parsed.secret, parsed.name, parsed.issuer) == (
        secret,
        "maria_shop",
        "SellerGuard",
    )
    assert (parsed.digits, parsed.interval) == (6, 30)


@pytest.mark.parametrize("account_name", ["", "shop:one"])
def test_an_account_name_that_cannot_be_a_label_raises(account_name: str) -> None:
    with pytest.raises(LabelError):
        TOTP.provisioning_uri(RFC_SECRET, account_name)


def test_an_issuer_with_a_colon_raises() -> None:
    with pytest.raises(LabelError):
        Totp(issuer="Seller:Guard")


def test_the_qr_code_is_a_well_formed_svg_document() -> None:
    svg = TOTP.qr_svg(TOTP.provisioning_uri(TOTP.new_secret(), "maria_shop"))

    root = ET.fromstring(svg)

    assert svg.startswith(("<?xml", "<svg"))
    assert root.tag == f"{{{SVG_NAMESPACE}}}svg"


def test_the_qr_code_references_nothing_outside_itself() -> None:
    svg = TOTP.qr_svg(TOTP.provisioning_uri(TOTP.new_secret(), "maria_shop"))

    outside = svg.replace(SVG_NAMESPACE, "")

    assert "http:" not in outside
    assert "https:" not in outside
    assert "href" not in outside


def test_a_new_secret_is_unpadded_upper_case_base32_of_20_bytes() -> None:
    secret = TOTP.new_secret()

    assert secret == secret.upper()
    assert "=" not in secret
    assert len(base64.b32decode(secret)) == 20


def test_new_secrets_differ_from_call_to_call() -> None:
    assert len({TOTP.new_secret() for _ in range(100)}) == 100
