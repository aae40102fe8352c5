"""``sellerguard audit verify`` and ``audit verify-export``: integrity at the machine.

``verify`` is the same read-only check as ``GET /audit/integrity``: it never
writes or signs. With ``--witness FILE`` it also demands that the log still
extends the checkpoint kept in FILE (a place the auditor controls), then
keeps the newest verified checkpoint there. ``verify-export`` checks an
export made with ``--with-proofs`` with nothing but the public key.
Exit status 0 when intact, 1 when not.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import click

from application.log_check import IntegrityReport, Reason
from application.merkle import leaf_hash, verify_inclusion
from application.merkle_log import MerkleLog, witness_extends
from application.signed_note import MalformedNoteError, SignedNote, parse
from infrastructure.integrity_signer import NoteVerifier
from infrastructure.keys import KeyFileError
from infrastructure.settings import Settings, SettingsError
from interface.composition import build_services

EXPLANATIONS = {
    Reason.CHANGED: "the event stored there is not the one the tree has there",
    Reason.REMOVED: "the event the tree has there is gone",
    Reason.INSERTED: "an event is there that the tree does not have",
    Reason.REORDERED: "the event there belongs at another position",
    Reason.MOVED_OR_FORGED: "the record does not decrypt in its place",
    Reason.SNAPSHOT_FORGED: "a snapshot does not decrypt in its place",
    Reason.CHECKPOINT_MISMATCH: "the events differ from what the checkpoint signed",
    Reason.BAD_SIGNATURE: "the checkpoint's signature does not verify",
    Reason.TRUNCATED: "the log ends before what was signed or witnessed",
}


@click.command("verify")
@click.option(
    "--witness",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the newest verified checkpoint here; demand the log extends it.",
)
def verify(witness: Path | None) -> None:
    """Verify every record, snapshot, the tree and every checkpoint; read-only."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    witnessed = _witnessed(witness) if witness else None
    services = build_services(settings)
    try:
        log: MerkleLog = services.integrity
        report = log.verify(witness=witnessed)
        extends = (
            witnessed is None
            or report.newest_verified is None
            or witness_extends(log, witnessed, report.newest_verified)
        )
    finally:
        services.close()
    click.echo(summary(report))
    if witnessed is not None and (not extends or _rewound(report, witnessed)):
        click.echo(
            "truncated or rewritten since the witnessed checkpoint of size "
            f"{witnessed.size}"
        )
        raise click.exceptions.Exit(1)
    if not report.ok:
        raise click.exceptions.Exit(1)
    if witness is not None and report.newest_verified is not None:
        witness.write_text(report.newest_verified.note.text())


def _rewound(report: IntegrityReport, witnessed: SignedNote) -> bool:
    newest = report.newest_verified
    return newest is None or newest.size < witnessed.size


def _witnessed(path: Path) -> SignedNote | None:
    if not path.exists():
        return None
    try:
        return parse(path.read_text())
    except (MalformedNoteError, UnicodeDecodeError):
        raise click.ClickException(f"{path} does not hold a checkpoint note") from None


def summary(report: IntegrityReport) -> str:
    """The report in one line."""
    counts = (
        f"{report.events_verified} events, "
        f"{report.checkpoints_verified} checkpoints verified, "
        f"{report.unsealed} unsealed"
    )
    failure = report.first_failure
    if failure is not None:
        return (
            f"TAMPERED at position {failure.position}: {failure.reason} "
            f"({EXPLANATIONS[failure.reason]}); {counts}"
        )
    root = base64.b64encode(report.head.root).decode()
    return f"intact: {counts}; head size {report.head.size} root {root}"


@click.command("verify-export")
@click.argument(
    "export_file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--public-key",
    "public_key",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The PEM of /audit/public-key.",
)
def verify_export(export_file: Path, public_key: Path) -> None:
    """Check an export made with --with-proofs: no database, no cipher key."""
    try:
        verifier = NoteVerifier.from_pem(public_key.read_bytes())
    except KeyFileError as error:
        raise click.ClickException(f"{public_key}: {error}") from None
    checked, problem = check_export(export_file, verifier)
    if problem:
        click.echo(f"NOT VERIFIED: {problem}; {checked} events verified before it")
        raise click.exceptions.Exit(1)
    click.echo(f"verified: {checked} events against the signed checkpoint")


def check_export(path: Path, verifier: NoteVerifier) -> tuple[int, str | None]:
    """How many events verified, and the first problem (None when all did)."""
    note: SignedNote | None = None
    checked = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except ValueError:
                return checked, f"line {number} is not JSON"
            if "checkpoint" in record:
                try:
                    note = parse(record["checkpoint"])
                except (MalformedNoteError, TypeError):
                    return checked, f"line {number}: not a checkpoint note"
                if not any(
                    verifier.verify(note.body, s.signature, s.key_name, s.key_id)
                    for s in note.signatures
                ):
                    return checked, "the checkpoint's signature does not verify"
                continue
            if note is None:
                return checked, "no signed checkpoint before the events"
            problem = _event_problem(record, note)
            if problem:
                return (
                    checked,
                    f"line {number} (position {record.get('position')}): {problem}",
                )
            checked += 1
    return checked, None if note else "no signed checkpoint in the export"


def _event_problem(record: dict[str, Any], note: SignedNote) -> str | None:
    proof = record.get("integrity")
    if not isinstance(proof, dict):
        return "no proof"
    try:
        stored = base64.b64decode(proof["stored"], validate=True)
        path = [base64.b64decode(p, validate=True) for p in proof["proof"]]
        index = int(proof["leaf_index"])
    except (KeyError, ValueError, TypeError):
        return "malformed proof"
    # The leaf's own fields must be the event's: position, id and version.
    position = int.from_bytes(stored[:8], "big", signed=True)
    originator = stored[8:24].hex()
    version = int.from_bytes(stored[24:32], "big", signed=True)
    shown = str(record.get("aggregate_id", "")).replace("-", "")
    if (position, originator, version) != (
        record.get("position"),
        shown,
        record.get("version"),
    ):
        return "the stored record is not this event's"
    if not verify_inclusion(index, note.size, leaf_hash(stored), path, note.root):
        return "not included in the signed tree"
    return None
