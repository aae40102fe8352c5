"""``audit export`` and ``audit replay`` run as an operator runs them."""

from __future__ import annotations

import csv
import getpass
import io
import json
import subprocess

import pytest

from domain.audit_trail import AuditTrail
from tests.application.test_audit import make_history
from tests.e2e_helpers import SELLERGUARD, settings_env
from tests.integrity.raw_store import RawStore


def run(settings, command, *args):
    return subprocess.run(
        [SELLERGUARD, "audit", command, *args],
        env=settings_env(settings.data_dir, settings.database_url),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture
def history(services, clock):
    return make_history(services, clock)


def test_export_writes_every_event_as_json_lines(settings, services, history, tmp_path):
    head = services.ledger.last_position()
    out = tmp_path / "audit.jsonl"

    result = run(settings, "export", "--format", "jsonl", "-o", str(out))

    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    # The export's own read is recorded first, and exported too.
    assert [e["position"] for e in events] == list(range(1, head + 3))
    assert events[0]["event_type"] == "SellerAccount.Registered"
    assert events[0]["data"]["password_hash"] == "[redacted]"
    assert events[-1]["event_type"] == "AuditTrail.Read"
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"exported {len(events)} events"
    leaked = [s for s in history.secrets if s in out.read_text(encoding="utf-8")]
    assert leaked == []


def test_export_writes_csv_to_standard_output(settings, history):
    result = run(settings, "export", "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0])[:13] == [
        "position",
        "aggregate_id",
        "aggregate_username",
        "aggregate_type",
        "version",
        "event_type",
        "occurred_at",
        "actor_kind",
        "actor_id",
        "actor_username",
        "request_id",
        "ip",
        "unreadable",
    ]
    assert {"data.username", "data.role", "data.query"} <= set(rows[0])
    assert rows[0]["event_type"] == "SellerAccount.Registered"
    assert rows[0]["occurred_at"].endswith("Z")
    assert rows[0]["data.username"] == "Shop.One"
    assert rows[0]["aggregate_username"] == "Shop.One"
    sellers = [r for r in rows if r["actor_kind"] == "seller"]
    assert sellers
    assert all(r["actor_username"] for r in sellers)
    assert rows[0]["data.password_hash"] == "[redacted]"
    assert [r for r in rows if r["data.role"] == "finance_specialist"]
    assert [s for s in history.secrets if s in result.stdout] == []


def test_export_keeps_to_the_time_range(settings, history):
    since, until = history.role_moments[1][0], history.role_moments[2][0]

    result = run(
        settings,
        "export",
        "--since",
        since.isoformat(),
        "--until",
        until.isoformat().replace("+00:00", "Z"),
    )

    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert [e["event_type"] for e in events] == ["SubAccount.RoleChanged"]


def test_export_refuses_a_moment_without_time_zone(settings):
    result = run(settings, "export", "--since", "2026-03-03T14:00:00")

    assert result.returncode == 2
    assert "time zone" in result.stderr


def test_replay_prints_the_state_as_it_stood(settings, history):
    moment = history.role_moments[1][0].isoformat()

    by_moment = run(settings, "replay", str(history.sub_account_id), "--as-of", moment)
    by_version = run(settings, "replay", str(history.sub_account_id), "--version", "1")

    assert by_moment.returncode == by_version.returncode == 0, by_moment.stderr
    stood = json.loads(by_moment.stdout)
    first = json.loads(by_version.stdout)
    assert (stood["aggregate_type"], stood["version"]) == ("SubAccount", 2)
    assert stood["state"]["role"] == "finance_specialist"
    assert stood["state"]["password_hash"] == "[redacted]"
    assert (first["version"], first["state"]["role"]) == (1, "customer_service_agent")


def test_replay_before_the_aggregate_existed_fails(settings, history):
    before = history.created_at.replace(year=2020).isoformat()

    result = run(settings, "replay", str(history.seller_id), "--as-of", before)

    assert result.returncode == 1
    assert "not_found: The aggregate did not exist yet" in result.stderr


def test_replay_takes_a_version_or_a_moment_not_both(settings, history):
    result = run(
        settings,
        "replay",
        str(history.seller_id),
        "--version",
        "1",
        "--as-of",
        history.created_at.isoformat(),
    )

    assert result.returncode == 2
    assert "not both" in result.stderr


def test_the_operators_reads_are_recorded(settings, services, history):
    run(settings, "replay", str(history.seller_id), "--version", "2")
    run(settings, "export", "--format", "csv")

    reader = f"cli:{getpass.getuser()}"
    trail = services.ledger.events.get(AuditTrail.id_for(reader))
    reads = [e for e in trail if isinstance(e, AuditTrail.Read)]
    assert [(r.what, r.actor.kind.value, r.actor.id) for r in reads] == [
        ("state", "system", reader),
        ("export", "system", reader),
    ]
    assert reads[0].query == {"aggregate_id": str(history.seller_id), "version": "2"}


def test_an_export_file_is_the_operators_alone_even_if_it_existed(
    settings, history, tmp_path
):
    out = tmp_path / "audit.csv"
    out.write_text("old")
    out.chmod(0o644)

    result = run(settings, "export", "--format", "csv", "-o", str(out))

    assert result.returncode == 0, result.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    assert not out.read_text(encoding="utf-8").startswith("old")


def test_export_takes_the_filters_of_the_list_by_name_and_type(settings, history):
    result = run(
        settings,
        "export",
        "--username",
        "CLERK.one",
        "--event-type",
        "SubAccount.RoleChanged",
    )

    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0, result.stderr
    assert [e["data"]["role"] for e in events] == [
        "finance_specialist",
        "marketing_specialist",
    ]
    assert {e["aggregate_id"] for e in events} == {str(history.sub_account_id)}


def test_export_refuses_an_unknown_event_type_and_writes_no_file(
    settings, history, tmp_path
):
    out = tmp_path / "audit.csv"

    result = run(
        settings, "export", "--event-type", "subaccount.rolechanged", "-o", str(out)
    )

    assert result.returncode == 2
    assert "Did you mean SubAccount.RoleChanged?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_csv_for_spreadsheets_starts_with_a_bom(settings, history):
    result = run(settings, "export", "--format", "csv", "--bom")

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeffposition,")


def test_export_carries_on_past_a_record_it_cannot_read(
    settings, services, history, tmp_path
):
    services.audit.indexer.catch_up()  # indexed while intact, altered since
    raw = RawStore(settings)
    raw.flip_state_byte(3)
    raw.conn.close()
    out = tmp_path / "audit.csv"

    result = run(settings, "export", "--format", "csv", "-o", str(out))

    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "position 3 (line 4 of the output) could not be read" in result.stderr
    assert [r["position"] for r in rows[:5]] == ["1", "2", "3", "4", "5"]
    assert rows[2]["unreadable"].startswith("does not open in its place")
    assert rows[2]["event_type"]  # what the index knows is kept
    assert rows[3]["unreadable"] == ""
    assert rows[-1]["event_type"] == "AuditTrail.Read"


def test_replay_takes_a_login_name(settings, history):
    result = run(settings, "replay", "clerk.ONE", "--version", "1")

    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout)
    assert (state["id"], state["version"]) == (str(history.sub_account_id), 1)
