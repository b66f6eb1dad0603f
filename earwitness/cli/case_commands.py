"""Case commands: init, ingest, exhibits, log."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from earwitness.cli.lock_commands import encrypt_case
from earwitness.cli.options import case_option
from earwitness.cli.progress import byte_progress
from earwitness.cli.terminal import echo
from earwitness.text import shown
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.intake import Outcome, Status, expand_inputs, ingest_paths
from earwitness.vault.keys import grouped, new_protection_passphrase
from earwitness.vault.private_fields import shown_value
from earwitness.vault.refs import resolve_exhibit
from earwitness.vault.verified_log import verified_projection

EXIT_FAILED = 1
EXIT_WARNINGS = 3


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--actor",
    help="The pseudonym this case's events are signed with (default: 'examiner-' and the "
    "start of the case key's fingerprint; never your user or machine name). "
    "$EARWITNESS_ACTOR overrides it.",
)
@click.option(
    "--protect-key",
    is_flag=True,
    help="Protect the case's signing key with a passphrase ($EARWITNESS_PASSPHRASE, or asked).",
)
@click.option(
    "--encrypt",
    is_flag=True,
    help="Give the case a passphrase that 'earwitness lock' seals all of it under (and protect "
    "its signing key with the same passphrase).",
)
def init(directory: Path | None, actor: str | None, protect_key: bool, encrypt: bool) -> None:
    """Create a case in DIRECTORY (default: the current folder), like 'git init'.

    The case gets its own signing key, kept outside the case (in your config folder); its
    fingerprint is printed, to publish with what you release from the case.
    """
    target = directory or Path.cwd()
    passphrase = new_protection_passphrase(target) if protect_key or encrypt else None
    case, created = Case.init(target, actor=actor, passphrase=passphrase)
    verb = "Created" if created else "Already a case:"
    echo(f"{verb} {case.paths.meta}")
    if created:
        echo(f"case key: {grouped(case.signer.fingerprint)} (actor {case.signer.actor})")
    if encrypt and passphrase is not None:
        encrypt_case(case.paths.root, passphrase.decode("utf-8"))
        echo("Encrypted: 'earwitness lock' seals the case, 'earwitness unlock' opens it")


@click.command()
# readable=False: an unreadable file is reported by intake, one line, and the batch goes on
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@click.option("--source", help="Where the files came from (a person, a drop, a URL).")
@click.option("--note", help="Anything the record should say about this intake.")
@case_option
def ingest(paths: tuple[Path, ...], source: str | None, note: str | None, case_dir: Path | None):
    """Preserve files (or whole folders, recursively) as exhibits of the case.

    Each file is hashed (SHA-256, MD5) and copied into the case's store in one pass, probed as
    media, and its intake is signed into the custody log. Files that cannot be decoded are
    preserved all the same, with the reason recorded.
    """
    case = Case.open(case_dir)
    files, _ = expand_inputs(paths)
    total = sum(_size(path) for path in files)
    counts = dict.fromkeys(Status, 0)

    def report(outcome: Outcome) -> None:
        counts[outcome.status] += 1
        if outcome.status is Status.INGESTED:
            echo(shown(outcome.message))  # one line each, whatever the file is named
        else:
            echo(shown(f"earwitness: {outcome.status.value}: {outcome.message}"), err=True)

    with byte_progress("ingesting", total) as advance:
        ingest_paths(case, list(paths), source, note, on_bytes=advance, on_outcome=report)
    preserved = counts[Status.INGESTED] + counts[Status.WARNING]
    echo(
        f"{preserved} file(s) preserved in {case.paths.root}"
        + (f", {counts[Status.WARNING]} with warnings" if counts[Status.WARNING] else "")
        + (f", {counts[Status.SKIPPED]} skipped" if counts[Status.SKIPPED] else "")
        + (f", {counts[Status.ERROR]} failed" if counts[Status.ERROR] else ""),
        err=True,
    )
    if counts[Status.ERROR]:
        sys.exit(EXIT_FAILED)
    if counts[Status.WARNING] or counts[Status.SKIPPED]:
        sys.exit(EXIT_WARNINGS)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per exhibit.")
@case_option
def exhibits(as_json: bool, case_dir: Path | None) -> None:
    """List the exhibits of the case, as the verified custody log records them."""
    case = Case.open(case_dir)
    # Not the catalog: an edited cell there must not rename or hide an exhibit.
    logged = verified_projection(case)
    rows = sorted(logged.exhibits.values(), key=lambda exhibit: exhibit.first_seq)
    names: dict[str, str] = {}
    for intake in sorted(logged.intakes.values(), key=lambda intake: intake.seq):
        names.setdefault(intake.exhibit_sha256, intake.original_name)  # the first receipt's
    for row in rows:
        if as_json:
            record = {
                "sha256": row.sha256,
                "md5": row.md5,
                "size_bytes": row.size_bytes,
                "name": names.get(row.sha256),
                "media": row.media,
                "probe_error": row.probe_error,
            }
            # JSON as stored: its escapes already keep controls off the terminal
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            media = row.media or {}
            facts = row.probe_error or ", ".join(
                str(x)
                for x in (media.get("codec"), media.get("sample_rate"), media.get("duration_s"))
                if x
            )
            echo(
                shown(f"{row.sha256[:12]}  {row.size_bytes:>12,}  {names.get(row.sha256)}  {facts}")
            )


@click.command()
@click.argument("exhibit", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print events as JSON lines, as stored.")
@case_option
def log(exhibit: str | None, as_json: bool, case_dir: Path | None) -> None:
    """Show the custody log of the case, or of one EXHIBIT (hash prefix, name or path)."""
    case = Case.open(case_dir)
    wanted = resolve_exhibit(case, exhibit) if exhibit else None
    for event in custody.iter_events(case.paths.custody):
        if wanted and not _concerns(event, wanted):
            continue
        if as_json:
            # JSON as stored: its escapes already keep controls off the terminal
            click.echo(event.to_line().decode("utf-8"), nl=False)
        else:
            echo(shown(_describe_event(event, case)))


def _concerns(event: custody.Event, sha256: str) -> bool:
    return event.exhibit == sha256 or sha256 in event.details.get("exhibits", [])


def _describe_event(event: custody.Event, case: Case) -> str:
    details = event.details
    subject = f" {event.exhibit[:12]}" if event.exhibit else ""
    if event.action == "ingest":
        # Private fields: their value where this machine holds the case's side table.
        where = shown_value(case, details.get("original_path"))
        extra = f"'{details.get('original_name')}' from {where}"
        if details.get("source"):
            extra += f", source: {shown_value(case, details['source'])}"
    elif "artefact" in details:
        artefact = details["artefact"]
        extra = f"{artefact['stage']} → {artefact['filename']} ({artefact['object_sha256'][:12]})"
    elif event.action == "verify":
        extra = "intact" if details.get("ok") else f"{len(details.get('problems', []))} problem(s)"
    elif event.action == "reindex":
        extra = f"catalog rebuilt, {details.get('differences_repaired')} difference(s) repaired"
    elif event.action == custody.LOG_REPAIR:
        extra = (
            "the last event's lost newline was restored"
            if details.get("restored")
            else f"a torn last line ({details.get('torn_tail_bytes')} bytes) was moved to "
            f"quarantine/{details.get('quarantine_file')}"
        )
    elif event.action == "key_change":
        new_key = str(details.get("fingerprint", ""))[:16]
        extra = f"signing key handed over to {new_key}… ({details.get('reason')})"
    elif event.action == "anchor":
        extra = f"anchor issued for event {details.get('events')}"
    elif event.action == "export":
        extra = f"{len(details.get('exhibits', []))} exhibit(s) → {details.get('destination')}"
    else:
        extra = ""
    return f"{event.seq:>5}  {event.time}  {event.actor:<20}  {event.action:<11}{subject}  {extra}"


COMMANDS = [init, ingest, exhibits, log]
