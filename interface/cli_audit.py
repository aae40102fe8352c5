"""``sellerguard audit export`` and ``audit replay``: the history at the machine.

Both read through the same ``Audit`` use cases as the API, so they show the
same redacted views, and each run is recorded as a read by the operator
(actor kind ``system``, id ``cli:<user>``).
"""

from __future__ import annotations

import base64
import csv
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any
from uuid import UUID

import click

from application.audit import Audit, AuditError, AuditPage
from application.merkle_log import MerkleLog
from domain.actor import Actor, ActorKind
from infrastructure.settings import Settings, SettingsError
from interface.composition import Services, build_services
from interface.schemas.audit import AggregateStateSchema, AuditEventSchema

CSV_COLUMNS = (
    "position",
    "aggregate_id",
    "aggregate_type",
    "version",
    "event_type",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "request_id",
    "ip",
    "data",
)
EVENTS = AuditEventSchema(many=True)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Moment(click.ParamType[datetime]):
    """An RFC 3339 moment with its time zone, e.g. ``2026-11-22T15:04:05Z``."""

    name = "moment"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an RFC 3339 moment", param, ctx)
        if moment.tzinfo is None:
            self.fail(f"{value!r} has no time zone (add Z for UTC)", param, ctx)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            self.fail(f"{value!r} is out of range", param, ctx)


MOMENT = Moment()


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv"]),
    default="jsonl",
    show_default=True,
)
@click.option("--since", type=MOMENT, help="Events at or after this moment.")
@click.option("--until", type=MOMENT, help="Events before this moment.")
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The file to write (default: standard output).",
)
@click.option(
    "--with-proofs",
    is_flag=True,
    help="Add each event's stored bytes and inclusion proof against the newest "
    "checkpoint (jsonl; events after it are left out). Check it with "
    "'audit verify-export'.",
)
def export(
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    output: str,
    with_proofs: bool,
) -> None:
    """Stream the audit view of every event, page by page, secrets redacted."""
    if since and until and since >= until:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    if with_proofs and fmt != "jsonl":
        raise click.BadParameter("needs --format jsonl", param_hint="--with-proofs")
    count = 0
    with _services() as services, _opened(output) as out:
        audit = services.audit
        run = audit.export(_operator(), since, until)
        if with_proofs:
            write = _proven_writer(out, services.integrity)
        else:
            write = _csv_writer(out) if fmt == "csv" else _jsonl_writer(out)
        with _progress(run.head) as advance:
            for page in run.pages:
                write(page)
                count += len(page.items)
                advance(page.next or run.head)
    click.echo(f"exported {count} events", err=True)


@click.command("replay")
@click.argument("aggregate_id", type=click.UUID)
@click.option("--version", type=click.IntRange(min=1), help="That version.")
@click.option("--as-of", "as_of", type=MOMENT, help="As it stood at that moment.")
def replay(aggregate_id: UUID, version: int | None, as_of: datetime | None) -> None:
    """Print an aggregate's state as it stood then (default: now), as JSON."""
    if version is not None and as_of is not None:
        raise click.UsageError("give --version or --as-of, not both")
    with _audit() as audit:
        try:
            state = audit.state(_operator(), aggregate_id, version, as_of)
        except AuditError as error:
            doc = (type(error).__doc__ or "").strip()
            raise click.ClickException(f"{error.code}: {doc}") from None
    dumped = AggregateStateSchema().dump(state)
    click.echo(json.dumps(dumped, indent=2, ensure_ascii=False))


def _jsonl_writer(out: IO[str]) -> Callable[[AuditPage], None]:
    def write(page: AuditPage) -> None:
        out.writelines(_dumps(item) + "\n" for item in EVENTS.dump(page.items))

    return write


def _proven_writer(out: IO[str], log: MerkleLog) -> Callable[[AuditPage], None]:
    """Events with their stored bytes and audit paths, after the signed note."""
    checkpoint = log.checkpoint()
    if checkpoint is None:
        raise click.ClickException("no checkpoint has been signed yet; try again")
    out.write(_dumps({"checkpoint": checkpoint.note.text()}) + "\n")

    def write(page: AuditPage) -> None:
        items = EVENTS.dump(page.items)
        proven = log.proven([item["position"] for item in items], checkpoint.size)
        for item in items:
            if item["position"] not in proven:
                continue
            stored, proof = proven[item["position"]]
            item["integrity"] = {
                "stored": _b64(stored),
                "leaf_index": proof.leaf_index,
                "leaf_hash": _b64(proof.leaf_hash),
                "proof": [_b64(p) for p in proof.proof],
            }
            out.write(_dumps(item) + "\n")

    return write


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _csv_writer(out: IO[str]) -> Callable[[AuditPage], None]:
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def write(page: AuditPage) -> None:
        writer.writerows(
            (
                item["position"],
                item["aggregate_id"],
                item["aggregate_type"],
                item["version"],
                item["event_type"],
                item["occurred_at"],
                item["actor"]["kind"],
                item["actor"]["id"],
                item["request_id"],
                item["ip"],
                _dumps(item["data"]),
            )
            for item in EVENTS.dump(page.items)
        )

    return write


@contextmanager
def _opened(output: str) -> Iterator[IO[str]]:
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    # The history holds personal data: the file is the operator's alone.
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        yield out


@contextmanager
def _progress(head: int) -> Iterator[Callable[[int], None]]:
    """Advance to a log position; a progress bar only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield lambda _: None
        return
    from rich.console import Console  # only for people at a terminal
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("exporting", total=max(head, 1))
        yield lambda position: progress.update(task, completed=position)


@contextmanager
def _services() -> Iterator[Services]:
    services = build_services(_settings())
    try:
        yield services
    finally:
        services.close()


@contextmanager
def _audit() -> Iterator[Audit]:
    with _services() as services:
        yield services.audit


def _operator() -> Actor:
    """Commands run by an operator at the machine."""
    return Actor(ActorKind.SYSTEM, f"cli:{getpass.getuser()}")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
