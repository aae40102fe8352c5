"""Buyer identities the platform links together."""

from __future__ import annotations

from domain.buyer_identity import BuyerIdentity, buyer_identity_id
from tests.domain.builders import NOON, SYSTEM, recorded


def test_each_buyer_username_has_one_identity_id():
    identity = BuyerIdentity.note("buyer1", SYSTEM, NOON)

    assert identity.id == buyer_identity_id("buyer1")
    assert buyer_identity_id("buyer1") != buyer_identity_id("Buyer1")


def test_linking_skips_the_buyer_itself_and_names_already_linked():
    identity = BuyerIdentity.note("buyer1", SYSTEM, NOON)
    identity.link(["alt1"], SYSTEM, NOON)
    identity.collect_events()

    identity.link(["buyer1", "alt1", "alt2", "alt2"], SYSTEM, NOON)

    assert identity.linked == ["alt1", "alt2"]
    assert [e.linked for e in identity.collect_events()] == [["alt2"]]


def test_linking_nothing_new_records_nothing():
    identity = BuyerIdentity.note("buyer1", SYSTEM, NOON)
    identity.link(["alt1"], SYSTEM, NOON)
    identity.collect_events()

    identity.link(["alt1", "buyer1"], SYSTEM, NOON)

    assert recorded(identity) == []
