"""An employee's invitation: one live link at a time, for 72 hours, used once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.roles import Role
from domain.sign_in import AccountStatus
from domain.sub_account import (
    InvitationRefusedError,
    NotInvitedError,
    SubAccount,
    SubAccountInactiveError,
)
from domain.username import Username
from tests.domain.builders import NOON, OWNER, recorded


@pytest.fixture
def invited(seller) -> SubAccount:
    account = SubAccount.create(
        seller.id,
        Username("anna"),
        "anna@example.com",
        Role.FINANCE_SPECIALIST,
        "unusable-hash",
        OWNER,
        NOON,
    )
    account.invite("first", "hash-of-first", "created", OWNER, NOON)
    account.collect_events()
    return account


def test_an_invitation_lives_72_hours(invited):
    assert invited.live_invitation("first", NOON + timedelta(hours=71)) == (
        "hash-of-first"
    )
    with pytest.raises(InvitationRefusedError):
        invited.live_invitation("first", NOON + timedelta(hours=72))


def test_accepting_sets_the_password_and_activates(invited):
    invited.accept_invitation("first", "chosen-hash", OWNER, NOON)

    assert recorded(invited) == ["InvitationAccepted"]
    assert invited.status is AccountStatus.ACTIVE
    assert invited.password_hash == "chosen-hash"
    assert invited.pending_invitation is None


def test_an_accepted_invitation_cannot_be_accepted_again(invited):
    invited.accept_invitation("first", "chosen-hash", OWNER, NOON)

    with pytest.raises(InvitationRefusedError):
        invited.accept_invitation("first", "other-hash", OWNER, NOON)


def test_a_new_invitation_voids_the_one_before(invited):
    invited.invite("second", "hash-of-second", "resent", OWNER, NOON)

    with pytest.raises(InvitationRefusedError):
        invited.live_invitation("first", NOON)
    assert invited.live_invitation("second", NOON) == "hash-of-second"


def test_a_revoked_invitation_cannot_be_accepted(invited):
    invited.revoke_invitation(OWNER, NOON)

    with pytest.raises(InvitationRefusedError):
        invited.accept_invitation("first", "chosen-hash", OWNER, NOON)
    with pytest.raises(NotInvitedError):
        invited.revoke_invitation(OWNER, NOON)


def test_an_active_account_is_not_resent_an_invitation(invited):
    invited.accept_invitation("first", "chosen-hash", OWNER, NOON)

    with pytest.raises(NotInvitedError):
        invited.invite("again", "hash", "resent", OWNER, NOON)


def test_a_password_reset_invites_again_and_ends_every_session(invited):
    invited.accept_invitation("first", "chosen-hash", OWNER, NOON)
    invited.collect_events()

    invited.invite("reset", "hash-of-reset", "password_reset", OWNER, NOON)

    assert recorded(invited) == ["Invited"]  # no session was live to revoke
    assert invited.status is AccountStatus.INVITED


def test_a_deactivated_account_is_not_invited(invited):
    invited.deactivate("left", OWNER, NOON)

    with pytest.raises(SubAccountInactiveError):
        invited.invite("again", "hash", "password_reset", OWNER, NOON)
    with pytest.raises(InvitationRefusedError):
        invited.accept_invitation("first", "chosen-hash", OWNER, NOON)
