"""Verification commands: verify, verify-package, reindex, anchor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.progress import byte_progress
from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError
from earwitness.vault import custody
from earwitness.vault.anchor import Anchor, make_anchor, problems_for_all, read_anchor
from earwitness.vault.case import Case
from earwitness.vault.keys import grouped
from earwitness.vault.package_read import package_log_lines, verify_package
from earwitness.vault.trust import TrustVerdict, describe, judge, parse_key_spec
from earwitness.vault.verified_log import verified_events
from earwitness.vault.verify import (
    KeyAuthority,
    Problem,
    VerifyReport,
    record_verification,
    total_object_bytes,
    verify_case,
)

EXIT_FAILED = 1
EXIT_UNTRUSTED = 4

anchor_option = click.option(
    "--anchor",
    "anchor_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An anchor file ('earwitness anchor'): fail if the log is shorter than it or "
    "differs from it. Repeatable.",
)


def _print_report(report: VerifyReport, what: str, verdict: TrustVerdict | None) -> int:
    """Print the findings; returns the exit code they call for."""
    for note in report.notes:
        echo(f"note: {note}", err=True)
    for problem in report.problems:
        echo(f"PROBLEM [{problem.kind}]: {problem.message}")
    summary = f"{report.objects_checked} object(s) and {report.events_checked} event(s) checked"
    if report.authority is not None and report.authority.case_id:
        echo(f"case id: {report.authority.case_id}")
    for line in describe(verdict) if verdict else ():
        echo(line)
    if not report.ok:
        echo(f"FAILED: {len(report.problems)} problem(s) in {what}; {summary}")
        return EXIT_FAILED
    if report.head:
        echo(f"custody log head: event {report.head.seq}, hash {report.head.hash}")
    if verdict is not None and not verdict.trusted:
        echo(
            f"SIGNATURES VALID, SIGNER NOT TRUSTED: {what} verifies, but it is signed by "
            "keys you have not said you trust; compare the case key's fingerprint above with "
            "the one its author published, then give it with --trust or "
            "'earwitness keys trust FINGERPRINT'"
        )
        return EXIT_UNTRUSTED
    echo(f"OK: {what} is intact; {summary}")
    return 0


@click.command()
@anchor_option
@case_option
def verify(anchor_files: tuple[Path, ...], case_dir: Path | None) -> None:
    """Re-hash every stored object and check every custody event and signature.

    Each event must be signed by the case's own key (or one it handed over to with 'keys
    rotate'); the log must still hold the last event this machine signed for the case, and
    every --anchor given. Prints the fingerprint of every key that signed. Exit code 0 only
    when everything is intact; 1 with each problem named; 4 when the log verifies but its
    signer is neither this machine's key for the case nor one you trust.
    """
    anchors = [read_anchor(path) for path in anchor_files]
    case = Case.open(case_dir)
    with byte_progress("verifying", total_object_bytes(case)) as advance:
        report = verify_case(case, on_bytes=advance, anchors=anchors)
    verdict = judge(report.authority, report.signers)
    code = _print_report(report, f"case {case.paths.root}", verdict)
    if any(problem.kind.startswith("catalog_") for problem in report.problems):
        echo(
            "note: the catalog is only an index of the custody log; "
            "'earwitness reindex' rebuilds it from the log",
            err=True,
        )
    try:
        record_verification(case, report)
    except EarwitnessError as exc:
        echo(f"note: verification not logged: {exc}", err=True)
    if code:
        sys.exit(code)


@click.command("verify-package")
@click.argument("package", type=click.Path(path_type=Path))
@click.option(
    "--trust",
    "trusted",
    multiple=True,
    metavar="FINGERPRINT|PUBKEY_FILE",
    help="Trust this key for this check (its 64-hex-digit fingerprint, or a public key "
    "file). Repeatable. Keys in your list ('earwitness keys trust') are trusted too.",
)
@anchor_option
def verify_package_command(
    package: Path, trusted: tuple[str, ...], anchor_files: tuple[Path, ...]
) -> None:
    """Check an exported evidence package (folder or .zip) without a case.

    Prints the fingerprint of every key that signed its custody log. Exit code 0 when the
    package is intact and its case key is trusted (--trust, your trusted keys, or this
    machine's own); 1 on any problem; 4 when it verifies but its signer is not trusted: a
    forger can re-sign a whole package with a key of their own, so only a fingerprint learned
    from its author says whose it is.
    """
    for spec in trusted:
        parse_key_spec(spec)  # a mistyped fingerprint is a usage error, before any work
    anchors = [read_anchor(path) for path in anchor_files]
    report = verify_package(package)
    if anchors and report.authority is not None:
        report.problems.extend(_package_anchor_problems(package, anchors, report.authority))
    verdict = judge(report.authority, report.signers, trusted)
    code = _print_report(report, f"package {package}", verdict)
    if code:
        sys.exit(code)


def _package_anchor_problems(
    package: Path, anchors: list[Anchor], authority: KeyAuthority
) -> list[Problem]:
    wanted: dict[int, str | None] = {anchor.events: None for anchor in anchors}
    last_seq = 0
    with package_log_lines(package) as lines:
        for number, line in enumerate(lines, start=1):
            try:
                event = custody.parse_line(line, number)
            except custody.MalformedLine:
                continue  # the log check has named it
            last_seq = event.seq
            if event.seq in wanted:
                wanted[event.seq] = event.hash
    found = problems_for_all(anchors, authority.case_id, last_seq, wanted, authority.authorised())
    return [Problem(kind, message) for kind, message in found]


@click.command("anchor")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the anchor to this file (default: print it).",
)
@case_option
def anchor_command(output: Path | None, case_dir: Path | None) -> None:
    """Write a signed statement of the custody log's head, to keep outside the case.

    Give it to a lawyer or an editor, or publish it: 'verify --anchor' and 'verify-package
    --anchor' then fail on any copy of the log that was cut back or rewritten since. The log
    is checked first; issuing the anchor is itself logged.
    """
    case = Case.open(case_dir)
    events = verified_events(case)
    head = events[-1]
    made = make_anchor(case.signer, events[0].hash, head.seq, head.hash)
    if output is not None:
        if output.exists():
            raise EarwitnessError(f"{output}: already exists; choose a new path")
        output.write_text(made.to_json(), encoding="utf-8")
    with case.writing():
        case.record("anchor", None, {"events": head.seq, "head_hash": head.hash})
    if output is None:
        echo(made.to_json(), nl=False)
    else:
        echo(f"Anchored event {head.seq} (hash {head.hash}) in {output}")
        echo(f"signed by key {grouped(made.signer_fingerprint)}", err=True)


@click.command()
@click.option(
    "--force",
    is_flag=True,
    help="Rebuild even when the catalog records events the custody log lacks "
    "(the catalog is then the only witness of their loss: copy the case aside first).",
)
@case_option
def reindex(force: bool, case_dir: Path | None) -> None:
    """Rebuild the catalog from the custody log, after checking the log.

    The catalog is only an index of the log; this replaces it atomically with what the log
    says, names each difference repaired, and logs the rebuild.
    """
    from earwitness.vault.reindex import reindex_catalog

    case = Case.open(case_dir)
    done = reindex_catalog(case, force=force)
    for problem in done.repaired:
        echo(f"repaired [{problem.kind}]: {problem.message}")
    echo(
        f"Rebuilt {case.paths.catalog} from {done.events_indexed} custody event(s); "
        f"{len(done.repaired)} difference(s) repaired; logged as event {done.event.seq}"
    )


COMMANDS = [verify, verify_package_command, reindex, anchor_command]
