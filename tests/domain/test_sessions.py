"""Sessions: idle and absolute limits, revocation, new devices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.devices import DEVICE_TOKEN_LIFETIME, MAX_DEVICE_TOKENS
from domain.sign_in import (
    SESSION_IDLE_LIMIT,
    SESSION_LIFETIME,
    SESSION_TOUCH_INTERVAL,
    NewSession,
    SessionNotFoundError,
)
from tests.domain.builders import CAFE, HOME, NOON, OWNER, recorded


def test_a_session_left_idle_for_thirty_minutes_ends(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)

    assert seller.session_expiry("s1", NOON) == NOON + SESSION_IDLE_LIMIT
    assert seller.session_expiry("s1", NOON + SESSION_IDLE_LIMIT) is None


def test_using_a_session_keeps_it_alive_but_not_past_twelve_hours(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    at = NOON
    while at < NOON + SESSION_LIFETIME - SESSION_IDLE_LIMIT:
        at += SESSION_TOUCH_INTERVAL
        seller.touch_session("s1", OWNER, at)

    assert seller.session_expiry("s1", at) == NOON + SESSION_LIFETIME
    assert seller.session_expiry("s1", NOON + SESSION_LIFETIME) is None


def test_a_session_used_again_within_minutes_is_not_touched_again(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    seller.collect_events()

    seller.touch_session("s1", OWNER, NOON + SESSION_TOUCH_INTERVAL / 2)
    seller.touch_session("s1", OWNER, NOON + SESSION_TOUCH_INTERVAL)

    assert recorded(seller) == ["SessionTouched"]


def test_a_revoked_session_cannot_be_revoked_again(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    seller.revoke_session("s1", "logout", OWNER, NOON)

    with pytest.raises(SessionNotFoundError):
        seller.revoke_session("s1", "logout", OWNER, NOON)


def test_ending_every_session_but_this_one_keeps_this_one(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    seller.start_session(NewSession("s2", "t2"), CAFE, OWNER, NOON)

    seller.revoke_all_sessions("password_changed", OWNER, NOON, keep="s2")

    assert list(seller.live_sessions(NOON)) == ["s2"]


def test_signing_in_sweeps_out_expired_sessions(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    seller.collect_events()

    seller.start_session(NewSession("s2", "t2"), HOME, OWNER, NOON + timedelta(hours=1))

    assert list(seller.sessions) == ["s2"]
    assert recorded(seller) == ["LoginSucceeded", "SessionsRevoked"]


def test_only_a_valid_device_token_makes_a_device_known(seller):
    assert not seller.is_new_device(None, NOON)  # the very first sign-in
    seller.start_session(
        NewSession("s1", "t1", minted_device_hash="d1"), HOME, OWNER, NOON
    )

    assert not seller.is_new_device("d1", NOON)
    assert seller.is_new_device(None, NOON)
    assert seller.is_new_device("forged", NOON)
    assert seller.is_new_device("d1", NOON + DEVICE_TOKEN_LIFETIME)


def test_a_new_device_token_beyond_fifty_pushes_out_the_oldest(seller):
    for n in range(MAX_DEVICE_TOKENS):
        new = NewSession(f"s{n}", f"t{n}", minted_device_hash=f"d{n}")
        seller.start_session(new, HOME, OWNER, NOON + timedelta(seconds=n))
    seller.collect_events()

    later = NOON + timedelta(minutes=5)
    seller.start_session(
        NewSession("s", "t", minted_device_hash="new"), HOME, OWNER, later
    )

    signed_in = seller.collect_events()[0]
    assert signed_in.dropped_device_token_hashes == ["d0"]
    assert not seller.knows_device("d0", later)
    assert seller.knows_device("d1", later)
    assert seller.knows_device("new", later)


def test_an_expired_device_token_is_dropped_when_another_is_issued(seller):
    first = NewSession("s1", "t1", minted_device_hash="d1")
    seller.start_session(first, HOME, OWNER, NOON)
    later = NOON + DEVICE_TOKEN_LIFETIME

    seller.start_session(
        NewSession("s2", "t2", minted_device_hash="d2"), CAFE, OWNER, later
    )

    assert list(seller.device_tokens) == ["d2"]
