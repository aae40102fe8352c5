"""Lockout per (account, address): five wrong passwords, then a doubling wait."""

from __future__ import annotations

from datetime import timedelta

from domain.seller_account import SellerAccount
from domain.sign_in import (
    FAILURES_BEFORE_LOCKOUT,
    FIRST_LOCKOUT,
    LONGEST_LOCKOUT,
    NewSession,
)
from domain.username import Username
from tests.domain.builders import CAFE, HOME, NOON, OWNER, recorded


def fail(account: SellerAccount, times: int, attempt=HOME, at=NOON) -> None:
    for _ in range(times):
        account.fail_password(attempt, OWNER, at)


def test_four_wrong_passwords_lock_nobody_out(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT - 1)

    assert seller.locked_until(HOME.ip, NOON) is None
    assert recorded(seller) == ["LoginFailed"] * 4


def test_the_fifth_wrong_password_locks_the_address_out_for_fifteen_minutes(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)

    assert seller.locked_until(HOME.ip, NOON) == NOON + FIRST_LOCKOUT
    assert seller.collect_events()[-1].locked_until == NOON + FIRST_LOCKOUT


def test_a_lockout_ends_when_its_time_is_up(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)

    assert seller.locked_until(HOME.ip, NOON + FIRST_LOCKOUT) is None


def test_a_lockout_shuts_out_only_the_address_that_earned_it(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)

    assert seller.locked_until(CAFE.ip, NOON) is None


def test_each_further_lockout_of_an_address_doubles(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)
    later = NOON + FIRST_LOCKOUT
    fail(seller, FAILURES_BEFORE_LOCKOUT, at=later)

    assert seller.locked_until(HOME.ip, later) == later + 2 * FIRST_LOCKOUT


def test_lockouts_double_up_to_a_day_and_no_further(seller):
    at, lengths = NOON, []
    for _ in range(9):
        fail(seller, FAILURES_BEFORE_LOCKOUT, at=at)
        until = seller.locked_until(HOME.ip, at)
        assert until is not None
        lengths.append(until - at)
        at = until

    assert lengths[:3] == [FIRST_LOCKOUT, 2 * FIRST_LOCKOUT, 4 * FIRST_LOCKOUT]
    assert lengths[-2:] == [LONGEST_LOCKOUT, LONGEST_LOCKOUT]


def test_an_attempt_while_locked_out_is_recorded_and_changes_nothing(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)
    seller.collect_events()

    seller.refuse_locked_out(HOME, OWNER, NOON + timedelta(minutes=1))

    assert recorded(seller) == ["LoginLockedOut"]
    assert seller.locked_until(HOME.ip, NOON) == NOON + FIRST_LOCKOUT


def test_signing_in_forgets_the_address_failures_and_its_lockout_level(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT)
    later = NOON + FIRST_LOCKOUT
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, later)
    fail(seller, FAILURES_BEFORE_LOCKOUT - 1, at=later)

    assert seller.locked_until(HOME.ip, later) is None
    fail(seller, 1, at=later)
    assert seller.locked_until(HOME.ip, later) == later + FIRST_LOCKOUT


def test_a_wrong_password_records_the_counts_it_decided(seller):
    fail(seller, FAILURES_BEFORE_LOCKOUT - 1)
    seller.collect_events()

    fail(seller, 1)

    [event] = seller.collect_events()
    assert (event.failures_in_a_row, event.lockouts_in_a_row) == (0, 1)


def test_replaying_a_lockout_gives_the_same_lockout():
    seller = SellerAccount.register(
        Username("Maria.Shop"), "maria@example.com", "hash-1", None, OWNER, NOON
    )
    fail(seller, FAILURES_BEFORE_LOCKOUT)
    later = NOON + FIRST_LOCKOUT
    fail(seller, FAILURES_BEFORE_LOCKOUT + 2, at=later)
    events = seller.collect_events()

    replayed = None
    for event in events:
        replayed = event.mutate(replayed)

    assert replayed is not None
    assert replayed.address_lockouts == seller.address_lockouts
    assert replayed.locked_until(HOME.ip, later) == later + 2 * FIRST_LOCKOUT
