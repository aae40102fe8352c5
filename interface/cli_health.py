"""Store health on the command line: the inactivity sweep and the inspection."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any
from uuid import UUID

import click

from application.inactivity_sweep import SweepResult
from application.store_inspection import Inspection, StoreNotFoundError
from application.timestamps import rfc3339
from domain.checklist import Status
from interface.cli_audit import MOMENT
from interface.schemas.store_health import InspectionSchema

logger = logging.getLogger(__name__)


@click.command()
@click.option(
    "--now",
    type=MOMENT,
    default=None,
    help="Rehearse as of this moment: print what would happen, write nothing.",
)
def sweep(now: datetime | None) -> None:
    """Run the inactivity policy once: alert at 30 days, warn at 50, close at 60."""
    from interface.cli import _services  # the CLI's one composition root

    services = _services()
    try:
        result = services.sweep.run(now)
    finally:
        services.close()
    for line in describe(result):
        click.echo(line)


def describe(result: SweepResult) -> list[str]:
    """The sweep's report, one line per store it acted on, then a summary."""
    verb = "would " if result.rehearsal else ""
    lines = [
        f"{verb}{action.action}\t{action.store_id}\tlast active "
        f"{rfc3339(action.last_activity_at)}\tcloses {rfc3339(action.closes_at)}"
        for action in result.actions
    ]
    what = "rehearsal, nothing written" if result.rehearsal else "done"
    lines.append(
        f"{len(result.actions)} of {result.stores} stores {verb}changed as of "
        f"{rfc3339(result.at)} ({what})"
    )
    return lines


@click.command()
@click.option("--seller", "seller_id", type=click.UUID, default=None, help="One store.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
)
def inspection(seller_id: UUID | None, fmt: str) -> None:
    """The daily checklist of one store or of every store, worst first."""
    from interface.cli import _services  # the CLI's one composition root

    services = _services()
    try:
        store_ids = [seller_id] if seller_id else services.inspection.every_store()
        found = _inspect_all(services, store_ids)
    finally:
        services.close()
    if seller_id and not found:
        raise click.ClickException(f"not_found: no store has the id {seller_id}")
    found.sort(key=Inspection.sort_key)
    if fmt == "csv":
        _write_csv(found)
    else:
        json.dump(_document(found), sys.stdout, indent=2)
        sys.stdout.write("\n")


def _inspect_all(services: Any, store_ids: list[UUID]) -> list[Inspection]:
    """Each store's checklist, with a progress bar when stderr is a terminal."""
    inspect = services.inspection.inspect
    services.read_models.ensure_current()
    with _progress(len(store_ids)) as advance:
        found = []
        for store_id in store_ids:
            with suppress(StoreNotFoundError):  # an id of no store: nothing to show
                found.append(inspect(store_id, current=False))
            advance()
    return found


def _document(found: list[Inspection]) -> dict[str, Any]:
    summary = dict.fromkeys((s.value for s in Status), 0)
    for one in found:
        summary[list(Status)[one.worst].value] += 1
    stores = InspectionSchema(many=True).dump(found)
    return {"stores": stores, "summary": summary}


CSV_COLUMNS = (
    "store_id",
    "username",
    "store_status",
    "inactive_days",
    "item",
    "status",
    "detail",
)


def _write_csv(found: list[Inspection]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for one in found:
        store = one.store
        for check in one.checks:
            writer.writerow(
                [
                    store.id,
                    store.username,
                    store.status,
                    store.inactive_days,
                    check.item,
                    check.status.value,
                    check.detail,
                ]
            )


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console  # only for people at a terminal
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("inspecting stores", total=max(total, 1))
        yield lambda: progress.advance(task)
