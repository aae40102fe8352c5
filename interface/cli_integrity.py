"""``sellerguard audit verify``: the integrity chain checked at the command line.

The same code as ``GET /audit/integrity``: link the newest events, then
recompute the chain from the stored events and check every checkpoint.
Exit status 0 when intact, 1 when not (with the first failing position).
"""

from __future__ import annotations

import click

from application.integrity_check import IntegrityReport, Reason
from infrastructure.settings import Settings, SettingsError
from interface.composition import build_services

EXPLANATIONS = {
    Reason.CHANGED: "the event stored there is not the one that was linked there",
    Reason.REMOVED: "the event linked there is gone",
    Reason.INSERTED: "an event is there that was not when the chain was linked",
    Reason.REORDERED: "the event there was linked at another position",
    Reason.LINK_MISMATCH: "the link was altered; the events match a signed checkpoint",
    Reason.CHECKPOINT_MISMATCH: "the events differ from what the checkpoint signed",
    Reason.BAD_SIGNATURE: "the checkpoint's signature does not verify",
}


@click.command("verify")
def verify() -> None:
    """Verify the integrity chain and its signed checkpoints (exit 1 if tampered)."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    services = build_services(settings)
    try:
        chain = services.integrity
        chain.extend()
        report = chain.verify()
    finally:
        services.close()
    click.echo(summary(report))
    if not report.ok:
        raise click.exceptions.Exit(1)


def summary(report: IntegrityReport) -> str:
    """The report in one line."""
    counts = (
        f"{report.events_verified} events, "
        f"{report.checkpoints_verified} checkpoints verified"
    )
    failure = report.first_failure
    if failure is not None:
        return (
            f"TAMPERED at position {failure.position}: {failure.reason} "
            f"({EXPLANATIONS[failure.reason]}); {counts}"
        )
    head = f"; head {report.head.position} {report.head.hash}" if report.head else ""
    return f"intact: {counts}{head}"
