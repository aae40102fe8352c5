"""Shop owners and their sub-accounts: freezing, recovery, roles, dormancy."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.recovery_case import CaseAlreadyOpenError
from domain.roles import Role
from domain.seller_account import AccountNotFrozenError
from domain.sign_in import AccountStatus, NewSession
from domain.sub_account import (
    DORMANT_AFTER,
    SubAccount,
    SubAccountActiveError,
    SubAccountInactiveError,
)
from domain.username import Username
from tests.domain.builders import HOME, NOON, OWNER, recorded


@pytest.fixture
def clerk(seller) -> SubAccount:
    account = SubAccount.create(
        seller.id,
        Username("Maria.Clerk"),
        "clerk@example.com",
        Role.CUSTOMER_SERVICE_AGENT,
        "hash-2",
        OWNER,
        NOON,
    )
    account.collect_events()
    return account


def test_freezing_ends_every_session_at_once(seller):
    seller.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)
    seller.collect_events()

    seller.freeze("suspicious", OWNER, NOON)

    assert seller.status is AccountStatus.FROZEN
    assert seller.live_sessions(NOON) == {}
    assert recorded(seller) == ["Frozen", "SessionsRevoked"]


def test_only_a_frozen_account_can_be_unfrozen(seller):
    with pytest.raises(AccountNotFrozenError):
        seller.unfreeze("fine", OWNER, NOON)


def test_a_shop_has_one_open_recovery_case_at_a_time(seller):
    seller.open_recovery(uuid4(), "takeover", OWNER, NOON)

    with pytest.raises(CaseAlreadyOpenError):
        seller.open_recovery(uuid4(), "again", OWNER, NOON)
    assert seller.status is AccountStatus.FROZEN


def test_a_reset_after_recovery_clears_two_step_sessions_and_the_freeze(seller):
    seller.start_two_step("SECRET", OWNER, NOON)
    seller.enable_two_step(1, ["rc"], OWNER, NOON)
    seller.open_recovery(uuid4(), "takeover", OWNER, NOON)

    seller.reset_credentials("hash-new", OWNER, NOON)

    assert seller.status is AccountStatus.ACTIVE
    assert not seller.two_step_enabled
    assert seller.open_case_id is None
    assert seller.password_hash == "hash-new"


def test_a_shop_owner_has_no_role_and_works_for_no_other_shop(seller):
    assert seller.role is None
    assert seller.employer_id is None


def test_a_sub_account_works_for_its_shop_in_its_role(seller, clerk):
    assert clerk.employer_id == seller.id
    assert clerk.role is Role.CUSTOMER_SERVICE_AGENT


def test_giving_a_sub_account_the_role_it_has_records_nothing(clerk):
    clerk.change_role(Role.CUSTOMER_SERVICE_AGENT, OWNER, NOON)

    assert recorded(clerk) == []


def test_deactivating_ends_the_sub_accounts_sessions(clerk):
    clerk.start_session(NewSession("s1", "t1"), HOME, OWNER, NOON)

    clerk.deactivate("left", OWNER, NOON)

    assert clerk.status is AccountStatus.DEACTIVATED
    assert clerk.live_sessions(NOON) == {}
    with pytest.raises(SubAccountInactiveError):
        clerk.deactivate("again", OWNER, NOON)


def test_only_a_deactivated_sub_account_can_be_reactivated(clerk):
    with pytest.raises(SubAccountActiveError):
        clerk.reactivate(OWNER, NOON)


def test_a_dormant_sub_account_is_flagged_once_per_dormancy(clerk):
    dormant = NOON + DORMANT_AFTER
    assert not clerk.is_dormant(dormant - timedelta(seconds=1))

    clerk.flag_dormancy(OWNER, dormant)
    clerk.flag_dormancy(OWNER, dormant + timedelta(days=1))

    assert recorded(clerk) == ["DormancyFlagged"]


def test_signing_in_again_starts_a_new_dormancy(clerk):
    clerk.flag_dormancy(OWNER, NOON + DORMANT_AFTER)
    back = NOON + DORMANT_AFTER + timedelta(days=1)
    clerk.start_session(NewSession("s1", "t1"), HOME, OWNER, back)

    assert clerk.is_dormant(back + DORMANT_AFTER)
