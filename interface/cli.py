"""The ``sellerguard`` command line."""

from __future__ import annotations

import getpass
import logging
import os
import signal
import sys
import threading
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from application.audit_index import AuditIndexer
from application.read_models import UnknownProjectionError
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from domain.roles import SERVICE_SCOPES, StaffRole
from infrastructure.keys import KeyFileError
from infrastructure.settings import Settings, SettingsError
from interface import logs
from interface.cli_audit import export as export_audit
from interface.cli_audit import replay as replay_audit
from interface.cli_demo import demo
from interface.cli_integrity import verify as verify_integrity
from interface.composition import Services, build_services, initialise


@click.group()
def cli() -> None:
    """SellerGuard: account security and audit for a marketplace's sellers."""


@cli.command()
def init() -> None:
    """Create the data directory, the keys (mode 0600) and the tables; idempotent."""
    settings = _settings()
    created = initialise(settings)
    for path in created:
        click.echo(f"created key {path}")
    where = "PostgreSQL" if settings.uses_postgres else settings.sqlite_path
    click.echo(f"ready: events in {where}")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes; more than one wants PostgreSQL.",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the API with gunicorn (runs init first if needed)."""
    settings = _settings()
    logs.configure(settings.log_level)
    initialise(settings)
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # The longest request line gunicorn allows: our own check refuses
            # query strings over 4 KiB first, with problem details.
            "limit_request_line": 8190,
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": None,
            # No shared control socket: several servers may run on one machine.
            "control_socket_disable": True,
        },
    ).run()


AUDIT_INDEX = AuditIndexer.name


@cli.group()
def staff() -> None:
    """The platform's own people."""


@staff.command("create")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in StaffRole]))
def create_staff(username: str, email: str, role: str) -> None:
    """Create a staff account; the password comes from SELLERGUARD_PASSWORD or a
    prompt. Prints the new account's id."""
    password = os.environ.get("SELLERGUARD_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    services = _services()
    try:
        account_id = services.platform_people.create_staff(
            username, email, StaffRole(role), password, _operator()
        )
    except SellerGuardError as error:
        raise click.ClickException(_explain(error)) from None
    finally:
        services.close()
    click.echo(str(account_id))


@cli.group("service-keys")
def service_keys() -> None:
    """Keys with which other platform services call SellerGuard."""


@service_keys.command("create")
@click.option("--name", required=True)
@click.option(
    "--scope",
    "scopes",
    required=True,
    multiple=True,
    type=click.Choice(list(SERVICE_SCOPES)),
)
def create_service_key(name: str, scopes: tuple[str, ...]) -> None:
    """Create a service key and print it, this once."""
    services = _services()
    try:
        key = services.platform_people.create_service_key(
            name, list(scopes), _operator()
        )
    finally:
        services.close()
    click.echo(key.value)


@cli.group()
def projections() -> None:
    """Read models: rebuild them, or follow the log in a process of their own."""


@projections.command("rebuild")
@click.argument("names", nargs=-1)
def rebuild(names: tuple[str, ...]) -> None:
    """Rebuild read models (default: all) from position zero."""
    services = _services()
    wanted = [name for name in names if name != AUDIT_INDEX]
    try:
        applied = 0
        if wanted or not names:  # unknown names fail before anything is reset
            applied = services.read_models.rebuild(wanted or None)
        if not names or AUDIT_INDEX in names:
            applied += services.audit.indexer.rebuild()
    except UnknownProjectionError as error:
        known = [p.name for p in services.read_models.projections] + [AUDIT_INDEX]
        msg = f"unknown read model {error}; known: {', '.join(known)}"
        raise click.ClickException(msg) from None
    finally:
        services.close()
    click.echo(f"rebuilt: {applied} events applied")


@projections.command("run")
@click.option("--poll", default=0.2, show_default=True, type=click.FloatRange(0.01))
def run_projections(poll: float) -> None:
    """Follow the log and keep every read model current, until interrupted."""
    services = _services()
    logs.configure(services.settings.log_level)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # The integrity chain and the owners' outbox follow the log beside them.
    helpers = [
        threading.Thread(target=services.integrity.follow, args=(stop,), daemon=True),
        threading.Thread(
            target=services.audit.indexer.follow, args=(stop, poll), daemon=True
        ),
        threading.Thread(
            target=_dispatch_outbox, args=(services, stop, poll), daemon=True
        ),
    ]
    for helper in helpers:
        helper.start()
    try:
        services.read_models.run_forever(stop, poll)
    except KeyboardInterrupt:
        stop.set()
    finally:
        for helper in helpers:
            helper.join(timeout=10)
        services.close()


def _dispatch_outbox(services: Services, stop: threading.Event, poll: float) -> None:
    while not stop.is_set():
        try:
            services.outbox.dispatch()
        except Exception:  # a relay down: log, wait, try again
            logging.getLogger(__name__).exception("outbox: dispatch failed")
        stop.wait(max(poll, 1.0))


@cli.group()
def audit() -> None:
    """The audit history: verify its integrity, export it, replay it."""


audit.add_command(verify_integrity)
audit.add_command(export_audit)
audit.add_command(replay_audit)
cli.add_command(demo)


class _Gunicorn(BaseApplication):
    """gunicorn embedded, so that `serve` needs no separate configuration."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from interface.app import create_app  # each worker builds its own app

        return create_app(self.settings)


def _operator() -> Actor:
    """Commands run by an operator at the machine."""
    return Actor(ActorKind.SYSTEM, f"cli:{getpass.getuser()}")


def _explain(error: SellerGuardError) -> str:
    violations = getattr(error, "violations", None)
    if violations:
        return "password refused: " + "; ".join(v.message for v in violations)
    return f"{error.code}: {(type(error).__doc__ or '').strip()}"


def _services() -> Services:
    return build_services(_settings())


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


def main() -> None:
    """Entry point of the console script."""
    try:
        cli()
    except KeyFileError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
