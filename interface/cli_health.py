"""Store health on the command line: the inactivity sweep and the inspection."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import click

from application.inactivity_sweep import SweepResult
from application.security_views import rfc3339

logger = logging.getLogger(__name__)


class MomentType(click.ParamType):
    """An RFC 3339 moment; one without a zone is taken as UTC."""

    name = "moment"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not a moment such as 2026-12-01T09:00:00Z")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@click.command()
@click.option(
    "--now",
    type=MomentType(),
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
