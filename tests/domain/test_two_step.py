"""The second step: challenges, codes that work once, recovery codes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.guessing import CODE_GUESSES_BEFORE_LOCK, FIRST_LOCKOUT
from domain.seller_account import SellerAccount
from domain.sign_in import (
    CHALLENGE_LIFETIME,
    CODE_FAILURES_BEFORE_VOID,
    InvalidCodeError,
    NewSession,
    TwoStepAlreadyEnabledError,
    TwoStepNotEnabledError,
    TwoStepNotStartedError,
)
from tests.domain.builders import HOME, NOON, OWNER, recorded

STEP = 59_000_000


@pytest.fixture
def guarded(seller: SellerAccount) -> SellerAccount:
    """A shop owner with two-step on and two recovery codes."""
    seller.start_two_step("SECRET", OWNER, NOON)
    seller.enable_two_step(STEP, ["rc-1", "rc-2"], OWNER, NOON)
    seller.issue_challenge("ch-1", HOME, OWNER, NOON)
    seller.collect_events()
    return seller


def test_two_step_is_on_only_once_a_code_confirms_the_secret(seller):
    seller.start_two_step("SECRET", OWNER, NOON)
    assert not seller.two_step_enabled

    seller.enable_two_step(STEP, ["rc-1"], OWNER, NOON)

    assert seller.two_step_enabled
    assert recorded(seller) == ["TwoStepEnrolmentStarted", "TwoStepEnabled"]


def test_two_step_cannot_be_confirmed_before_it_was_started(seller):
    with pytest.raises(TwoStepNotStartedError):
        seller.enable_two_step(STEP, [], OWNER, NOON)


def test_two_step_cannot_be_started_twice(guarded):
    with pytest.raises(TwoStepAlreadyEnabledError):
        guarded.start_two_step("OTHER", OWNER, NOON)


def test_a_live_challenge_remembers_where_the_password_was_typed(guarded):
    assert guarded.live_challenge("ch-1", NOON) == HOME


def test_a_challenge_expires_after_five_minutes(guarded):
    with pytest.raises(InvalidCodeError):
        guarded.live_challenge("ch-1", NOON + CHALLENGE_LIFETIME)


def test_the_fifth_wrong_code_voids_the_challenge(guarded):
    for _ in range(CODE_FAILURES_BEFORE_VOID - 1):
        guarded.fail_second_step("ch-1", OWNER, NOON)
    assert guarded.live_challenge("ch-1", NOON) == HOME

    guarded.fail_second_step("ch-1", OWNER, NOON)

    with pytest.raises(InvalidCodeError):
        guarded.live_challenge("ch-1", NOON)
    assert [e.voided for e in guarded.collect_events()] == [False] * 4 + [True]


def test_the_tenth_wrong_code_across_challenges_locks_the_second_step(guarded):
    guarded.issue_challenge("ch-2", HOME, OWNER, NOON)
    for n in range(CODE_GUESSES_BEFORE_LOCK - 1):
        guarded.fail_second_step(f"ch-{1 + n // 5}", OWNER, NOON)
    assert not guarded.second_step_locked(NOON)

    guarded.fail_second_step("ch-2", OWNER, NOON)

    assert guarded.second_step_locked(NOON + FIRST_LOCKOUT - timedelta(seconds=1))
    assert not guarded.second_step_locked(NOON + FIRST_LOCKOUT)


def test_only_the_first_wrong_code_of_an_hour_alerts(guarded):
    for _ in range(3):
        guarded.fail_second_step("ch-1", OWNER, NOON)

    alerts = [e.alert for e in guarded.collect_events()]

    assert alerts == [True, False, False]


def test_a_code_signs_in_once_then_its_time_step_is_spent(guarded):
    guarded.start_session(
        NewSession("s1", "t1"),
        HOME,
        OWNER,
        NOON,
        challenge_id="ch-1",
        code_step=STEP + 1,
    )

    assert not guarded.accepts_code_step(STEP + 1)
    assert guarded.accepts_code_step(STEP + 2)
    with pytest.raises(InvalidCodeError):
        guarded.live_challenge("ch-1", NOON)


def test_a_code_of_an_earlier_step_than_one_spent_is_refused(guarded):
    assert not guarded.accepts_code_step(STEP)
    with pytest.raises(InvalidCodeError):
        guarded.spend_code_step(STEP - 1, OWNER, NOON)
    assert recorded(guarded) == []


def test_a_recovery_code_signs_in_once(guarded):
    guarded.start_session(
        NewSession("s1", "t1"), HOME, OWNER, NOON, recovery_code_hash="rc-1"
    )

    assert guarded.recovery_code_hashes == ["rc-2"]


def test_turning_two_step_off_voids_open_challenges_and_recovery_codes(guarded):
    guarded.disable_two_step("by_owner", OWNER, NOON + timedelta(minutes=1))

    assert not guarded.two_step_enabled
    assert guarded.recovery_code_hashes == []
    with pytest.raises(InvalidCodeError):
        guarded.live_challenge("ch-1", NOON)


def test_two_step_cannot_be_turned_off_twice(seller):
    with pytest.raises(TwoStepNotEnabledError):
        seller.disable_two_step("by_owner", OWNER, NOON)
