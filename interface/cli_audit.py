"""``sellerguard audit export`` and ``audit replay``: the history at the machine.

Both read through the same ``Audit`` use cases as the API, so they show the
same redacted views, and each run is recorded as a read by the operator
(actor kind ``system``, id ``cli:<user>``).
"""

from __future__ import annotations

import base64
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

import click

from application.audit import (
    AccountNames,
    Audit,
    AuditError,
    AuditEventView,
    AuditExport,
    ExportPage,
)
from application.audit_index import AuditFilters
from application.event_catalogue import (
    UnknownFilterValueError,
    check_aggregate_type,
    check_event_type,
)
from application.merkle_log import MerkleLog
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from infrastructure.settings import Settings, SettingsError
from interface.audit_files import ExportWriter
from interface.composition import Services, build_services
from interface.schemas.audit import AggregateStateSchema

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


def _filter_options(command: Any) -> Any:
    """The filters of ``GET /audit/events``, as options."""
    options = (
        click.option("--aggregate-id", type=click.UUID, help="One aggregate."),
        click.option("--username", help="The account with this login name."),
        click.option("--aggregate-type", help="e.g. SubAccount."),
        click.option("--event-type", help="e.g. SubAccount.RoleChanged."),
        click.option("--actor-id", help="Events recorded by this principal."),
        click.option("--actor-username", help="Events recorded by this person."),
    )
    for option in reversed(options):
        command = option(command)
    return command


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
@_filter_options
@click.option("--bom", is_flag=True, help="CSV: start with a UTF-8 BOM (spreadsheets).")
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
    bom: bool,
    **by: Any,
) -> None:
    """Stream the audit view of the events that pass the filters, page by page,
    secrets redacted. A record that cannot be read is reported with its
    position and the export carries on; the exit status is then 1."""
    if since and until and since >= until:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    if with_proofs and fmt != "jsonl":
        raise click.BadParameter("needs --format jsonl", param_hint="--with-proofs")
    if bom and fmt != "csv":
        raise click.BadParameter("needs --format csv", param_hint="--bom")
    _check_types(by)
    filters = AuditFilters(
        aggregate_id=by["aggregate_id"],
        aggregate_type=by["aggregate_type"],
        event_type=by["event_type"],
        actor_id=by["actor_id"],
        since=since,
        until=until,
    )
    names = AccountNames(by["username"], by["actor_username"])
    try:
        count, writer = _export(fmt, filters, names, output, with_proofs, bom, by)
    except SellerGuardError as error:
        # Nothing at all could be read (the index itself stopped): say so, and
        # what to run, rather than a trace.
        doc = (type(error).__doc__ or "").strip()
        raise click.ClickException(
            f"{error.code}: {doc} ({error}); run 'sellerguard audit verify'"
        ) from None
    for unread in writer.unread:
        click.echo(
            f"position {unread.position} (line {unread.line} of the output) "
            f"could not be read: {unread.reason}; the export carried on",
            err=True,
        )
    click.echo(f"exported {count - len(writer.unread)} events", err=True)
    if writer.unread:
        click.echo(
            f"{len(writer.unread)} record(s) could not be read: run "
            "'sellerguard audit verify' to see what changed",
            err=True,
        )
        sys.exit(1)


def _export(
    fmt: str,
    filters: AuditFilters,
    names: AccountNames,
    output: str,
    with_proofs: bool,
    bom: bool,
    by: dict[str, Any],
) -> tuple[int, ExportWriter]:
    """Write the export; how many records, and the writer (with what it missed)."""
    count = 0
    with _services() as services:
        run = _started(services.audit, filters, names)
        with _opened(output) as out:
            writer = ExportWriter.for_filters(fmt, by, bom=bom)
            if with_proofs:
                write = _proven_writer(out, services.integrity, writer)
            else:
                out.write(writer.header())
                write = _plain_writer(out, writer)
            with _progress(run.head) as advance:
                for page in run.pages:
                    write(page)
                    count += len(page.items)
                    advance(page.items[-1].position if page.items else run.head)
    return count, writer


def _check_types(by: dict[str, Any]) -> None:
    try:
        check_event_type(by["event_type"])
        check_aggregate_type(by["aggregate_type"])
    except UnknownFilterValueError as error:
        option = "--" + error.field.replace("_", "-")
        raise click.BadParameter(error.message, param_hint=option) from None
    if by["aggregate_id"] and by["username"]:
        raise click.UsageError("give --aggregate-id or --username, not both")
    if by["actor_id"] and by["actor_username"]:
        raise click.UsageError("give --actor-id or --actor-username, not both")


def _started(audit: Audit, filters: AuditFilters, names: AccountNames) -> AuditExport:
    """The export, before any file is opened (a refused filter writes nothing)."""
    try:
        return audit.export(_operator(), filters=filters, names=names)
    except UnknownFilterValueError as error:
        option = "--" + error.field.replace("_", "-")
        raise click.BadParameter(error.message, param_hint=option) from None


@click.command("replay")
@click.argument("aggregate")
@click.option("--version", type=click.IntRange(min=1), help="That version.")
@click.option("--as-of", "as_of", type=MOMENT, help="As it stood at that moment.")
def replay(aggregate: str, version: int | None, as_of: datetime | None) -> None:
    """Print an aggregate's state (AGGREGATE: an id, or an account's login name)
    as it stood then (default: now), as JSON."""
    if version is not None and as_of is not None:
        raise click.UsageError("give --version or --as-of, not both")
    with _audit() as audit:
        try:
            aggregate_id = audit.aggregate_id_of(aggregate)
            state = audit.state(_operator(), aggregate_id, version, as_of)
        except AuditError as error:
            doc = (type(error).__doc__ or "").strip()
            raise click.ClickException(f"{error.code}: {doc}") from None
    dumped = AggregateStateSchema().dump(state)
    click.echo(json.dumps(dumped, indent=2, ensure_ascii=False))


def _plain_writer(out: IO[str], writer: ExportWriter) -> Callable[[ExportPage], None]:
    def write(page: ExportPage) -> None:
        out.writelines(writer.lines(page))

    return write


def _proven_writer(
    out: IO[str], log: MerkleLog, writer: ExportWriter
) -> Callable[[ExportPage], None]:
    """Events with their stored bytes and audit paths, after the signed note."""
    checkpoint = log.checkpoint()
    if checkpoint is None:
        raise click.ClickException("no checkpoint has been signed yet; try again")
    out.write(_dumps({"checkpoint": checkpoint.note.text()}) + "\n")
    writer.line += 1

    def write(page: ExportPage) -> None:
        events = [i for i in page.items if isinstance(i, AuditEventView)]
        proven = log.proven([e.position for e in events], checkpoint.size)
        for item in page.items:
            if isinstance(item, AuditEventView) and item.position not in proven:
                continue
            [line] = writer.lines(ExportPage([item], None))
            if isinstance(item, AuditEventView):
                shown = json.loads(line)
                stored, proof = proven[item.position]
                shown["integrity"] = {
                    "stored": _b64(stored),
                    "leaf_index": proof.leaf_index,
                    "leaf_hash": _b64(proof.leaf_hash),
                    "proof": [_b64(p) for p in proof.proof],
                }
                line = _dumps(shown) + "\n"
            out.write(line)

    return write


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


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
