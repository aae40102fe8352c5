"""Unit tests for the marketplace's password policy."""

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.password_policy import PasswordContext, PasswordPolicy, Violation

KNOWN_CODES = {
    "too_short",
    "too_long",
    "missing_uppercase",
    "missing_lowercase",
    "missing_digit",
    "missing_symbol",
    "sequential_characters",
    "keyboard_sequence",
    "contains_birth_date",
    "contains_username",
    "contains_email",
    "password_reused",
    "common_password",
}
STRONG = "Tangerine-Moth-71!"
BIRTH_DATE = date(1988, 7, 14)
POLICY = PasswordPolicy()
CONTEXT = PasswordContext(username="maria_shop", email="maria.lopez@example.com")
SENTINEL = "\U0001f511"  # a character no message uses


def codes(
    password: str,
    context: PasswordContext = CONTEXT,
    policy: PasswordPolicy = POLICY,
) -> list[str]:
    return [violation.code for violation in policy.violations(password, context)]


def with_birth_date() -> PasswordContext:
    return PasswordContext(CONTEXT.username, CONTEXT.email, birth_date=BIRTH_DATE)


def with_history(matches_recent: Callable[[str], bool]) -> PasswordContext:
    return PasswordContext(CONTEXT.username, CONTEXT.email, None, matches_recent)


def test_abcd1234_is_refused_with_every_violation_listed() -> None:
    assert codes("abcd1234") == [
        "missing_uppercase",
        "missing_symbol",
        "sequential_characters",
        "keyboard_sequence",
        "common_password",
    ]


def test_strong_password_has_no_violations() -> None:
    assert POLICY.violations(STRONG, CONTEXT) == []


def test_200_character_strong_password_is_accepted() -> None:
    password = (STRONG * 12)[:200]
    assert len(password) == 200
    assert codes(password) == []


def test_password_of_exactly_max_length_is_accepted() -> None:
    password = (STRONG * 100)[: POLICY.max_length]
    assert codes(password) == []


def test_password_over_max_length_is_too_long() -> None:
    password = (STRONG * 100)[: POLICY.max_length + 1]
    assert codes(password) == ["too_long"]


def test_password_under_min_length_is_too_short_and_message_names_minimum() -> None:
    violations = POLICY.violations("Ta-7!x", CONTEXT)
    assert violations == [Violation("too_short", violations[0].message)]
    assert "8" in violations[0].message


def test_password_of_exactly_min_length_is_not_too_short() -> None:
    assert codes("Tan-Mo7!") == []


def test_length_counts_characters_not_bytes() -> None:
    assert "too_short" not in codes("Ñañé-7!é")


def test_min_length_is_configurable() -> None:
    policy = PasswordPolicy(min_length=20)
    assert codes(STRONG, policy=policy) == ["too_short"]
    assert "20" in policy.violations(STRONG, CONTEXT)[0].message


def test_min_length_of_one_is_allowed() -> None:
    assert PasswordPolicy(min_length=1, max_length=1).min_length == 1


@pytest.mark.parametrize(
    ("min_length", "max_length"), [(0, 1024), (-3, 1024), (65, 64), (8, 0)]
)
def test_impossible_length_configuration_raises_value_error(
    min_length: int, max_length: int
) -> None:
    with pytest.raises(ValueError, match="min_length"):
        PasswordPolicy(min_length=min_length, max_length=max_length)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("tangerine-moth-71!", "missing_uppercase"),
        ("TANGERINE-MOTH-71!", "missing_lowercase"),
        ("Tangerine-Moth-xy!", "missing_digit"),
        ("TangerineMoth71x", "missing_symbol"),
    ],
)
def test_missing_character_class_is_reported(password: str, code: str) -> None:
    assert codes(password) == [code]


@pytest.mark.parametrize("symbol", [" ", "\N{EN DASH}", "«", "€", "_"])
def test_spaces_and_non_ascii_punctuation_count_as_symbols(symbol: str) -> None:
    assert codes(f"TangerineMoth71{symbol}") == []


def test_non_ascii_letters_satisfy_the_case_rules() -> None:
    assert codes("ÉLAN-ñandú-71") == []


@pytest.mark.parametrize("run", ["abcd", "ABCD", "aBcD", "3456", "dcba", "9876"])
def test_run_of_four_consecutive_letters_or_digits_is_sequential(run: str) -> None:
    assert "sequential_characters" in codes(f"Moth!{run}")


def test_run_of_three_consecutive_characters_is_not_sequential() -> None:
    assert "sequential_characters" not in codes("Mabc-x123-Ycba!")


def test_run_that_jumps_between_letters_and_digits_is_not_sequential() -> None:
    assert "sequential_characters" not in codes("Moth!xyz0-9ab")


@pytest.mark.parametrize("run", ["qwer", "QWER", "jhgf", "7890", "0987", "zxcv"])
def test_run_of_four_adjacent_keys_on_one_row_is_keyboard_sequence(run: str) -> None:
    assert "keyboard_sequence" in codes(f"Moth!{run}")


def test_adjacent_keys_across_rows_are_not_a_keyboard_sequence() -> None:
    assert "keyboard_sequence" not in codes("Moth!qwas-7")


def test_1234_is_both_sequential_and_a_keyboard_sequence() -> None:
    found = codes("Moth!1234")
    assert "sequential_characters" in found
    assert "keyboard_sequence" in found


def test_7890_is_a_keyboard_sequence_but_not_sequential() -> None:
    found = codes("Moth!7890")
    assert "keyboard_sequence" in found
    assert "sequential_characters" not in found


@pytest.mark.parametrize(
    "fragment", ["1988", "0714", "1407", "07-14", "14.07", "07/14", "14/07"]
)
def test_birth_year_month_day_or_day_month_is_refused(fragment: str) -> None:
    assert codes(f"Moth!{fragment}", with_birth_date()) == ["contains_birth_date"]


def test_other_dates_are_not_the_birth_date() -> None:
    assert codes("Moth!1987-0815", with_birth_date()) == []


def test_birth_date_is_not_checked_when_unknown() -> None:
    assert codes("Moth!1988-0714") == []


@pytest.mark.parametrize("spelling", ["maria_shop", "MARIA_SHOP", "Maria_Shop"])
def test_username_is_refused_case_insensitively(spelling: str) -> None:
    assert codes(f"7!{spelling}Xy") == ["contains_username"]


def test_username_shorter_than_three_characters_is_not_checked() -> None:
    context = PasswordContext(username="ox", email="maria.lopez@example.com")
    assert codes("Ox-Moth-71!", context) == []


@pytest.mark.parametrize("spelling", ["maria.lopez", "MARIA.LOPEZ", "Maria.Lopez"])
def test_email_local_part_is_refused_case_insensitively(spelling: str) -> None:
    assert codes(f"7!{spelling}Xy") == ["contains_email"]


def test_email_local_part_is_taken_before_the_last_at_sign() -> None:
    context = PasswordContext(username="seller", email='"kim@home"@example.com')
    assert codes('Moth-71!"Kim@Home"', context) == ["contains_email"]


def test_email_domain_is_not_checked() -> None:
    assert codes("Example.com-71!") == []


def test_email_local_part_shorter_than_three_characters_is_not_checked() -> None:
    context = PasswordContext(username="seller", email="jo@example.com")
    assert codes("Jo-Moth-71!", context) == []


def test_password_matching_a_recent_one_is_reused() -> None:
    assert codes(STRONG, with_history(lambda _: True)) == ["password_reused"]


def test_password_not_matching_a_recent_one_is_not_reused() -> None:
    assert codes(STRONG, with_history(lambda _: False)) == []


class RecordingHistory:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.seen: list[str] = []

    def __call__(self, candidate: str) -> bool:
        self.seen.append(candidate)
        return self.answer


def test_reuse_check_receives_the_exact_password() -> None:
    history = RecordingHistory(answer=False)
    password = "Ta-7!" * 40
    codes(password, with_history(history))
    assert history.seen == [password]


def test_reuse_check_is_skipped_for_a_password_over_max_length() -> None:
    history = RecordingHistory(answer=True)
    password = "x" * (POLICY.max_length + 1)
    assert "password_reused" not in codes(password, with_history(history))
    assert history.seen == []


@pytest.mark.parametrize(
    "password", ["password", "PASSWORD", "Password1!", "Qwerty123!", "Monkey!!2024"]
)
def test_common_password_is_refused_even_with_case_and_trailing_digits(
    password: str,
) -> None:
    assert "common_password" in codes(password)


def test_common_word_followed_by_letters_is_not_common() -> None:
    assert "common_password" not in codes("Monkey7!Tangerine")


@st.composite
def passwords_with_context(draw: st.DrawFn) -> tuple[str, PasswordContext]:
    username = draw(st.text(max_size=12))
    local_part = draw(st.text(max_size=12))
    birth_date = draw(st.none() | st.dates())
    reused = draw(st.booleans())
    birth_year = f"{birth_date.year:04d}" if birth_date else ""
    piece = st.text() | st.sampled_from([username, local_part, birth_year, "abcd"])
    password = "".join(draw(st.lists(piece, max_size=6)))
    email = f"{local_part}@example.com"
    context = PasswordContext(username, email, birth_date, lambda _: reused)
    return password, context


@given(passwords_with_context())
def test_violations_are_known_codes_each_reported_once(
    case: tuple[str, PasswordContext],
) -> None:
    found = codes(*case)
    assert set(found) <= KNOWN_CODES
    assert len(found) == len(set(found))


@given(passwords_with_context())
def test_no_message_contains_the_password(case: tuple[str, PasswordContext]) -> None:
    password = case[0] + SENTINEL
    for violation in POLICY.violations(password, case[1]):
        assert password not in violation.message


@given(passwords_with_context(), passwords_with_context())
def test_messages_depend_only_on_the_rule_broken(
    first: tuple[str, PasswordContext], second: tuple[str, PasswordContext]
) -> None:
    messages = {v.code: v.message for v in POLICY.violations(*first)}
    for violation in POLICY.violations(*second):
        assert messages.get(violation.code, violation.message) == violation.message
