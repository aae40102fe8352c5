"""A password hashed with yesterday's Argon2 parameters is upgraded at sign-in."""

from __future__ import annotations

import dataclasses

import argon2

from application.sign_in import SignIn
from domain.actor import Actor, ActorKind
from domain.sign_in import Attempt
from domain.sign_in_events import PasswordRehashed
from infrastructure.argon2_hasher import Argon2Hasher
from infrastructure.totp import Totp

PASSWORD = "Corr3ct-Horse!Battery"
VISITOR = Actor(ActorKind.ANONYMOUS)
ATTEMPT = Attempt("198.51.100.10", "test-agent", "laptop-1")


def test_signing_in_after_a_profile_change_rehashes_and_says_so(services, clock):
    account = services.sellers.register(
        "Shop.One", "o@example.com", PASSWORD, None, VISITOR
    )
    stronger = Argon2Hasher(dataclasses.replace(argon2.profiles.CHEAPEST, time_cost=2))
    sign_in = SignIn(services.sellers.names, stronger, Totp(), clock)

    sign_in.login("Shop.One", PASSWORD, ATTEMPT, VISITOR)

    events = list(services.ledger.events.get(account.id))
    rehashed = [e for e in events if isinstance(e, PasswordRehashed)]
    assert len(rehashed) == 1
    assert "t=2" in rehashed[0].password_hash
    assert stronger.verify(rehashed[0].password_hash, PASSWORD)
    sign_in.login("Shop.One", PASSWORD, ATTEMPT, VISITOR)  # no second rehash
    events = list(services.ledger.events.get(account.id))
    assert len([e for e in events if isinstance(e, PasswordRehashed)]) == 1
