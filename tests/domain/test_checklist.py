"""The daily checklist: every item driven to ok, warn and fail from plain facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.checklist import (
    Employee,
    Facts,
    SignInCounts,
    Status,
    checklist,
    severity,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def employee(name="emp.one", role="finance_specialist", two_step=True, idle_days=1):
    return Employee(name, role, two_step, NOW - timedelta(days=idle_days))


HEALTHY = Facts(
    now=NOW,
    status="active",
    last_activity_at=NOW - timedelta(hours=3),
    owner_two_step=True,
    recovery_codes_left=10,
    employees=[employee()],
    sign_ins=SignInCounts(),
    open_recovery_case=False,
    recovered_at=None,
    blocking_access=True,
    active_blocks=3,
    blocks_remaining_today=8,
)

CASES = {
    "store_status": {
        "warn": {"last_activity_at": NOW - timedelta(days=51)},
        "fail": {"status": "frozen"},
    },
    "inactivity": {
        "warn": {"last_activity_at": NOW - timedelta(days=21)},
        "fail": {"last_activity_at": NOW - timedelta(days=30)},
    },
    "owner_two_step": {
        "warn": {"recovery_codes_left": 2},
        "fail": {"owner_two_step": False},
    },
    "sub_accounts_two_step": {
        "warn": {"employees": [employee(two_step=False)]},
        "fail": {"employees": [employee(role="main_administrator", two_step=False)]},
    },
    "dormant_sub_accounts": {
        "warn": {"employees": [employee(idle_days=31)]},
        "fail": {"employees": [employee(idle_days=90)]},
    },
    "sign_in_risk": {
        "warn": {"sign_ins": SignInCounts(new_devices=1)},
        "fail": {"sign_ins": SignInCounts(second_step_failed=1)},
    },
    "recovery": {
        "warn": {"recovered_at": NOW - timedelta(days=3)},
        "fail": {"open_recovery_case": True},
    },
    "payout_account": {
        "warn": {"payout_pending": "A new payout account waits until Friday."},
        "fail": {
            "payout_pending": "A new payout account waits until Friday.",
            "payout_pending_suspicious": True,
        },
    },
    "security_center": {
        "warn": {"risk_items_open": [NOW - timedelta(hours=2)]},
        "fail": {"risk_items_open": [NOW - timedelta(days=4)]},
    },
    "block_list": {
        "warn": {"blocks_remaining_today": 0},
        "fail": {"blocking_access": False},
    },
}


def verdict(facts, item):
    (check,) = [c for c in checklist(facts) if c.item == item]
    return check


def test_a_healthy_store_is_ok_on_every_item_of_the_contract():
    checks = checklist(HEALTHY)

    assert [c.item for c in checks] == list(CASES)
    assert {c.status for c in checks} == {Status.OK}


@pytest.mark.parametrize("item", list(CASES))
@pytest.mark.parametrize("status", ["warn", "fail"])
def test_each_item_reaches_warn_and_fail(item, status):
    check = verdict(replace(HEALTHY, **CASES[item][status]), item)

    assert check.status == Status(status)
    assert check.detail.endswith(".")


@pytest.mark.parametrize("item", list(CASES))
def test_only_the_item_concerned_changes(item):
    changed = replace(HEALTHY, **CASES[item]["warn"])
    others = [c for c in checklist(changed) if c.item != item]

    # A store closing soon is also long inactive: the two go together.
    linked = {"store_status": {"inactivity"}}.get(item, set())
    assert {c.item for c in others if c.status is not Status.OK} <= linked


def test_a_closed_store_fails_its_status_and_its_inactivity():
    closed = replace(HEALTHY, status="closed", last_activity_at=NOW - timedelta(61))

    assert verdict(closed, "store_status").status is Status.FAIL
    assert verdict(closed, "inactivity").status is Status.FAIL


def test_severity_orders_ok_warn_fail():
    assert [severity(s) for s in (Status.OK, Status.WARN, Status.FAIL)] == [0, 1, 2]


def test_the_detail_names_the_employees_to_review():
    facts = replace(HEALTHY, employees=[employee("left.in.may", idle_days=95)])

    assert "left.in.may" in verdict(facts, "dormant_sub_accounts").detail
