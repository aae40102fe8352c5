"""The ``sellerguard`` command line."""

from __future__ import annotations

import atexit
import getpass
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from application.audit_index import AuditIndexer
from application.read_models import UnknownProjectionError
from domain.actor import Actor, ActorKind
from domain.errors import SellerGuardError
from domain.roles import SERVICE_SCOPES, StaffRole
from infrastructure.keys import KeyFileError, random_key, rotate, signing_key
from infrastructure.prometheus_metrics import MULTIPROC_DIR, use_multiprocess_dir
from infrastructure.settings import Settings, SettingsError
from infrastructure.store_format import StoreFormatError
from interface import logs
from interface.cli_audit import export as export_audit
from interface.cli_audit import replay as replay_audit
from interface.cli_demo import demo
from interface.cli_health import inspection, sweep
from interface.cli_integrity import verify as verify_integrity
from interface.cli_integrity import verify_export
from interface.composition import Services, build_services, initialise
from interface.request_buffering import READ_TIMEOUT, buffering_worker

logger = logging.getLogger("sellerguard.serve")


@click.group()
def cli() -> None:
    """SellerGuard: account security and audit for a marketplace's sellers."""


@cli.command()
def init() -> None:
    """Create the data directory, the keys (mode 0600) and the tables; idempotent."""
    settings = _settings()
    created = initialise(settings, _migration_progress)
    for path in created:
        click.echo(f"created key {path}")
    where = "PostgreSQL" if settings.uses_postgres else settings.sqlite_path
    click.echo(f"ready: events in {where}")


def _migration_progress(done: int, total: int) -> None:
    """An earlier version's store being re-sealed: say how far it is."""
    click.echo(f"migrating records: {done}/{total} re-sealed in place", err=True)


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
@click.option(
    "--read-timeout",
    default=READ_TIMEOUT,
    show_default=True,
    type=click.FloatRange(1, 300),
    help="Seconds a client has to send a whole request (plus 1 s per 64 KiB "
    "of body); later it gets 408 and the connection is closed.",
)
def serve(
    host: str, port: int, workers: int, threads: int, read_timeout: float
) -> None:
    """Serve the API with gunicorn (runs init first if needed).

    Requests are read whole, without a thread, before a thread serves them:
    slow clients cannot hold the threads (see interface/request_buffering.py).
    """
    settings = _settings()
    logs.configure(settings.log_level)
    _check_address_free(host, port)
    if workers > 1 and not settings.uses_postgres:
        logger.warning(
            "%d workers share one SQLite file: writes queue behind one another "
            "and may time out under load; set SELLERGUARD_DATABASE_URL to "
            "PostgreSQL for more than one worker",
            workers,
        )
    # Every worker counts into files of one directory; a scrape adds them up.
    use_multiprocess_dir(_metrics_dir())
    initialise(settings)
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": buffering_worker(read_timeout),
            # The longest request line gunicorn allows: our own check refuses
            # query strings over 4 KiB first, with problem details.
            "limit_request_line": 8190,
            "timeout": 60,
            "graceful_timeout": 20,
            # The application writes the access line (with the request id);
            # gunicorn's own lines are JSON like the rest.
            "accesslog": None,
            "logger_class": logs.GunicornLogger,
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
@click.option(
    "--heartbeat",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds between heartbeat log lines (positions, head, failures).",
)
def run_projections(poll: float, heartbeat: float) -> None:
    """Follow the log until interrupted: read models, audit index, tree, outbox.

    It is the same follower every serving process runs; whichever process
    holds the leader lock does the work, the others stand by.
    """
    settings = _settings()
    logs.configure(settings.log_level)  # before anything logs: one format
    services = build_services(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services.follower.poll_interval = poll
    services.follower.heartbeat_every = heartbeat
    try:
        services.follower.run_forever(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        services.close()


@cli.group()
def keys() -> None:
    """The key files: add new keys, keeping the old ones read-only."""


@keys.command("rotate")
@click.argument("which", type=click.Choice(["cipher", "documents", "signing"]))
def rotate_key(which: str) -> None:
    """Add a new key for new data; everything stored stays readable and verifiable.

    Restart the servers afterwards so that they seal or sign with the new key.
    """
    settings = _settings()
    path, make = {
        "cipher": (settings.secret_key_file, random_key),
        "documents": (settings.document_key_file, random_key),
        "signing": (settings.signing_key_file, signing_key),
    }[which]
    rotate(path, make)
    click.echo(f"added a new {which} key to {path}; older keys stay read-only")


@cli.group()
def audit() -> None:
    """The audit history: verify its integrity, export it, replay it."""


audit.add_command(verify_integrity)
audit.add_command(verify_export)
audit.add_command(export_audit)
audit.add_command(replay_audit)
cli.add_command(demo)
cli.add_command(sweep)
cli.add_command(inspection)


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

        app = create_app(self.settings)
        # Every serving process follows the log; the leader lock lets one work.
        app.extensions["sellerguard"].follower.start()
        return app


def _check_address_free(host: str, port: int) -> None:
    """Refuse at once, saying why, when the address is taken (not after retries)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        )[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = error.strerror or str(error)
        msg = (
            f"cannot listen on {host}:{port}: {reason}; choose another address "
            "with --host/--port (make run HOST=... PORT=9000)"
        )
        raise click.ClickException(msg) from None


def _metrics_dir() -> Path:
    """The operator's PROMETHEUS_MULTIPROC_DIR emptied, or a fresh one of ours."""
    given = os.environ.get(MULTIPROC_DIR)
    if given:
        for stale in Path(given).glob("*.db"):  # counts of an earlier run
            stale.unlink()
        return Path(given)
    path = Path(tempfile.mkdtemp(prefix="sellerguard-metrics-"))
    owner = os.getpid()  # workers inherit atexit handlers: only we remove it

    def remove() -> None:
        if os.getpid() == owner:
            shutil.rmtree(path, ignore_errors=True)

    atexit.register(remove)
    return path


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
    except (KeyFileError, StoreFormatError) as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
