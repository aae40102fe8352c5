"""Passkeys on an account, and the ceremonies whose challenges they sign."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.passkey_ceremony import (
    CEREMONY_LIFETIME,
    CeremonyNotLiveError,
    CeremonyPurpose,
    PasskeyCeremony,
)
from domain.passkeys import (
    MAX_PASSKEYS,
    NewPasskey,
    PasskeyAlreadyRegisteredError,
    PasskeyLimitReachedError,
    PasskeyNotFoundError,
)
from domain.seller_account import SellerAccount
from tests.domain.builders import NOON, OWNER, recorded


def new_passkey(credential_id: str = "cred-1", sign_count: int = 0) -> NewPasskey:
    return NewPasskey(credential_id, "cose-key", sign_count, "0" * 32, False)


def test_an_added_passkey_keeps_only_public_material(seller: SellerAccount) -> None:
    passkey = seller.add_passkey("pk-1", new_passkey(), "Laptop", OWNER, NOON)

    assert recorded(seller) == ["PasskeyAdded"]
    assert (passkey.name, passkey.public_key, passkey.created_at) == (
        "Laptop",
        "cose-key",
        NOON,
    )
    assert seller.has_passkeys


def test_the_same_credential_is_not_added_twice(seller: SellerAccount) -> None:
    seller.add_passkey("pk-1", new_passkey(), "Laptop", OWNER, NOON)

    with pytest.raises(PasskeyAlreadyRegisteredError):
        seller.add_passkey("pk-2", new_passkey(), "Again", OWNER, NOON)


def test_an_account_holds_at_most_twenty_passkeys(seller: SellerAccount) -> None:
    for n in range(MAX_PASSKEYS):
        seller.add_passkey(f"pk-{n}", new_passkey(f"c{n}"), "Key", OWNER, NOON)

    with pytest.raises(PasskeyLimitReachedError):
        seller.add_passkey("pk-x", new_passkey("cx"), "One more", OWNER, NOON)


def test_a_removed_passkey_is_gone(seller: SellerAccount) -> None:
    seller.add_passkey("pk-1", new_passkey(), "Laptop", OWNER, NOON)

    seller.remove_passkey("pk-1", "removed_by_owner", OWNER, NOON)

    assert not seller.has_passkeys
    with pytest.raises(PasskeyNotFoundError):
        seller.remove_passkey("pk-1", "removed_by_owner", OWNER, NOON)


@pytest.mark.parametrize(
    ("stored", "presented", "regressed"),
    [
        (0, 0, False),
        (0, 1, False),
        (5, 6, False),
        (5, 5, True),
        (5, 2, True),
        (5, 0, True),
    ],
)
def test_a_counter_must_move_forward_once_either_side_counts(
    seller: SellerAccount, stored: int, presented: int, regressed: bool
) -> None:
    passkey = seller.add_passkey(
        "pk-1", new_passkey(sign_count=stored), "K", OWNER, NOON
    )

    assert passkey.counter_regressed(presented) is regressed


def test_a_use_moves_the_counter_and_notes_the_time(seller: SellerAccount) -> None:
    seller.add_passkey("pk-1", new_passkey(), "Laptop", OWNER, NOON)
    later = NOON + timedelta(hours=1)

    seller.use_passkey("pk-1", 7, OWNER, later)

    assert (seller.passkey("pk-1").sign_count, seller.passkey("pk-1").last_used_at) == (
        7,
        later,
    )


def ceremony(account_id=None) -> PasskeyCeremony:
    return PasskeyCeremony.start(
        CeremonyPurpose.REGISTRATION, account_id, "challenge", OWNER, NOON
    )


def test_a_challenge_is_spent_once() -> None:
    account = uuid4()
    started = ceremony(account)

    assert (
        started.spend(CeremonyPurpose.REGISTRATION, account, OWNER, NOON) == "challenge"
    )
    with pytest.raises(CeremonyNotLiveError):
        started.spend(CeremonyPurpose.REGISTRATION, account, OWNER, NOON)


def test_a_challenge_lapses_after_five_minutes() -> None:
    account = uuid4()

    with pytest.raises(CeremonyNotLiveError):
        ceremony(account).spend(
            CeremonyPurpose.REGISTRATION, account, OWNER, NOON + CEREMONY_LIFETIME
        )


def test_a_challenge_answers_only_its_account_and_purpose() -> None:
    account = uuid4()

    with pytest.raises(CeremonyNotLiveError):
        ceremony(account).spend(CeremonyPurpose.REGISTRATION, uuid4(), OWNER, NOON)
    with pytest.raises(CeremonyNotLiveError):
        ceremony(account).spend(CeremonyPurpose.SIGN_IN, account, OWNER, NOON)


def test_a_recovery_reset_removes_every_passkey(seller: SellerAccount) -> None:
    # A thief who held the shop may have added one: it must not outlive them.
    seller.add_passkey("pk-owner", new_passkey("c1"), "Owner", OWNER, NOON)
    seller.add_passkey("pk-thief", new_passkey("c2"), "Thief", OWNER, NOON)
    seller.open_recovery(uuid4(), "takeover", OWNER, NOON)
    seller.collect_events()

    seller.reset_credentials("hash-2", OWNER, NOON)

    assert not seller.has_passkeys
    assert recorded(seller).count("PasskeyRemoved") == 2
