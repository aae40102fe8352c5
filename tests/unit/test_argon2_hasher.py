"""The Argon2id adapter, once with the real production profile."""

from __future__ import annotations

import argon2

from infrastructure.argon2_hasher import Argon2Hasher

PASSWORD = "Corr3ct-Horse!Battery"


def test_the_default_profile_makes_argon2id_hashes_of_rfc_9106_low_memory():
    hasher = Argon2Hasher(argon2.profiles.RFC_9106_LOW_MEMORY)

    password_hash = hasher.hash(PASSWORD)

    assert password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify(password_hash, PASSWORD)
    assert not hasher.verify(password_hash, PASSWORD.lower())
    assert not hasher.needs_rehash(password_hash)


def test_a_hash_of_another_profile_needs_rehashing():
    cheap = Argon2Hasher(argon2.profiles.CHEAPEST).hash(PASSWORD)

    assert Argon2Hasher(argon2.profiles.RFC_9106_LOW_MEMORY).needs_rehash(cheap)


def test_a_damaged_hash_never_matches():
    hasher = Argon2Hasher(argon2.profiles.CHEAPEST)

    assert not hasher.verify("$argon2id$garbage", PASSWORD)
    assert not hasher.verify("", PASSWORD)
