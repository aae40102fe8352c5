"""The marketplace's password policy, as pure domain logic.

``PasswordPolicy.violations`` checks a candidate password against every rule
and returns all the rules it breaks, each with a stable machine-readable code
and a short message a seller can understand. Messages never repeat the
password. The only I/O is reading the shipped list of common passwords
(``common_passwords.txt`` in this package), loaded lazily once and cached.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Final

_RUN_LENGTH: Final = 4
_MIN_USERNAME_LENGTH: Final = 3
_MIN_EMAIL_LOCAL_LENGTH: Final = 3
_MIN_STRIPPED_COMMON_LENGTH: Final = 4
_BIRTH_DATE_SEPARATORS: Final = "-./"
_COMMON_PASSWORDS_FILE: Final = "common_passwords.txt"

_MESSAGES: Final = {
    "too_short": "Use at least {min_length} characters.",
    "too_long": "Use no more than {max_length} characters.",
    "missing_uppercase": "Add at least one capital letter.",
    "missing_lowercase": "Add at least one lower-case letter.",
    "missing_digit": "Add at least one number.",
    "missing_symbol": "Add at least one symbol or space, such as ! or #.",
    "sequential_characters": "Avoid letters or numbers in a row, like abcd or 4321.",
    "keyboard_sequence": "Avoid keys next to each other, like qwer or 7890.",
    "contains_birth_date": "Don't use your birth date or birth year.",
    "contains_username": "Don't include your username.",
    "contains_email": "Don't include your e-mail address.",
    "password_reused": "Choose a password you haven't used recently.",
    "common_password": "This password is too common and easy to guess.",
}


@dataclass(frozen=True)
class Violation:
    """One rule a password breaks."""

    code: str
    message: str


@dataclass(frozen=True)
class PasswordContext:
    """What the policy knows about the account the password is for."""

    username: str
    email: str
    birth_date: date | None = None
    # True if the password equals one of the account's last 10 passwords;
    # the application implements it by checking the stored hashes.
    matches_recent: Callable[[str], bool] | None = None


@dataclass(frozen=True)
class PasswordPolicy:
    """The marketplace's password rules; every violation is reported at once."""

    min_length: int = 8
    max_length: int = 1024  # a sane maximum that guards the hasher

    def __post_init__(self) -> None:
        """Reject a configuration no password could satisfy."""
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(
                "PasswordPolicy needs 1 <= min_length <= max_length, got "
                f"min_length={self.min_length}, max_length={self.max_length}"
            )

    def violations(self, password: str, context: PasswordContext) -> list[Violation]:
        """Return every rule the password breaks, in a stable order, each once."""
        too_long = len(password) > self.max_length
        length_codes = [
            code
            for code, broken in (
                ("too_short", len(password) < self.min_length),
                ("too_long", too_long),
            )
            if broken
        ]
        other_codes = [
            code
            for code, rule in _RULES
            if not (too_long and code == "password_reused") and rule(password, context)
        ]
        return [
            Violation(code, self._message(code)) for code in length_codes + other_codes
        ]

    def _message(self, code: str) -> str:
        """Return the seller-facing message for a violation code."""
        return _MESSAGES[code].format(
            min_length=self.min_length, max_length=self.max_length
        )


def _runs(sequences: Iterable[str]) -> frozenset[str]:
    """Return every run of _RUN_LENGTH neighbours in the sequences, both ways."""
    return frozenset(
        run[start : start + _RUN_LENGTH]
        for sequence in sequences
        for run in (sequence, sequence[::-1])
        for start in range(len(run) - _RUN_LENGTH + 1)
    )


_ALPHABET_RUNS: Final = _runs(("abcdefghijklmnopqrstuvwxyz", "0123456789"))
_KEYBOARD_RUNS: Final = _runs(("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm"))


def _ascii_lower(text: str) -> str:
    """Lower-case ASCII letters only, keeping one character per character."""
    return "".join(char.lower() if char.isascii() else char for char in text)


def _contains_run(password: str, runs: frozenset[str]) -> bool:
    """Tell whether any window of the password, ignoring case, is one of the runs."""
    folded = _ascii_lower(password)
    return any(
        folded[start : start + _RUN_LENGTH] in runs
        for start in range(len(folded) - _RUN_LENGTH + 1)
    )


def _is_symbol(char: str) -> bool:
    """Tell whether a character is neither a letter nor a digit."""
    return not (char.isalpha() or char.isdigit())


def _missing_uppercase(password: str, _: PasswordContext) -> bool:
    return not any(char.isupper() for char in password)


def _missing_lowercase(password: str, _: PasswordContext) -> bool:
    return not any(char.islower() for char in password)


def _missing_digit(password: str, _: PasswordContext) -> bool:
    return not any(char.isdigit() for char in password)


def _missing_symbol(password: str, _: PasswordContext) -> bool:
    return not any(_is_symbol(char) for char in password)


def _sequential_characters(password: str, _: PasswordContext) -> bool:
    return _contains_run(password, _ALPHABET_RUNS)


def _keyboard_sequence(password: str, _: PasswordContext) -> bool:
    return _contains_run(password, _KEYBOARD_RUNS)


def _birth_date_forms(birth_date: date) -> list[str]:
    """Return the year, MMDD, DDMM and their separated forms for a birth date."""
    month, day = f"{birth_date.month:02d}", f"{birth_date.day:02d}"
    pairs = ((month, day), (day, month))
    joined = [
        first + sep + second
        for sep in ("", *_BIRTH_DATE_SEPARATORS)
        for first, second in pairs
    ]
    return [f"{birth_date.year:04d}", *joined]


def _contains_birth_date(password: str, context: PasswordContext) -> bool:
    if context.birth_date is None:
        return False
    return any(form in password for form in _birth_date_forms(context.birth_date))


def _contains_folded(password: str, part: str, min_length: int) -> bool:
    """Tell whether a long enough part occurs in the password, ignoring case."""
    return len(part) >= min_length and part.casefold() in password.casefold()


def _contains_username(password: str, context: PasswordContext) -> bool:
    return _contains_folded(password, context.username, _MIN_USERNAME_LENGTH)


def _contains_email(password: str, context: PasswordContext) -> bool:
    local_part = (
        context.email.rpartition("@")[0] if "@" in context.email else context.email
    )
    return _contains_folded(password, local_part, _MIN_EMAIL_LOCAL_LENGTH)


def _password_reused(password: str, context: PasswordContext) -> bool:
    return context.matches_recent is not None and context.matches_recent(password)


@cache
def _common_passwords() -> frozenset[str]:
    """Load the shipped list of common passwords once, lower-cased."""
    text = (
        resources.files("domain")
        .joinpath(_COMMON_PASSWORDS_FILE)
        .read_text(encoding="utf-8")
    )
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _strip_trailing_non_letters(text: str) -> str:
    """Drop the digits and symbols at the end of the text."""
    end = len(text)
    while end and not text[end - 1].isalpha():
        end -= 1
    return text[:end]


def _common_password(password: str, _: PasswordContext) -> bool:
    folded = password.casefold()
    stripped = _strip_trailing_non_letters(folded)
    candidates = [folded]
    if len(stripped) >= _MIN_STRIPPED_COMMON_LENGTH:
        candidates.append(stripped)
    common = _common_passwords()
    return any(candidate in common for candidate in candidates)


_Rule = Callable[[str, PasswordContext], bool]

_RULES: Final[tuple[tuple[str, _Rule], ...]] = (
    ("missing_uppercase", _missing_uppercase),
    ("missing_lowercase", _missing_lowercase),
    ("missing_digit", _missing_digit),
    ("missing_symbol", _missing_symbol),
    ("sequential_characters", _sequential_characters),
    ("keyboard_sequence", _keyboard_sequence),
    ("contains_birth_date", _contains_birth_date),
    ("contains_username", _contains_username),
    ("contains_email", _contains_email),
    ("password_reused", _password_reused),
    ("common_password", _common_password),
)
