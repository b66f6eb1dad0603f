"""Verification commands: verify, verify-package, reindex."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.progress import byte_progress
from earwitness.errors import EarwitnessError
from earwitness.vault.case import Case
from earwitness.vault.package import verify_package
from earwitness.vault.verify import (
    VerifyReport,
    record_verification,
    total_object_bytes,
    verify_case,
)

EXIT_FAILED = 1


def _print_report(report: VerifyReport, what: str) -> None:
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    for problem in report.problems:
        click.echo(f"PROBLEM [{problem.kind}]: {problem.message}")
    summary = f"{report.objects_checked} object(s) and {report.events_checked} event(s) checked"
    if report.ok:
        click.echo(f"OK: {what} is intact; {summary}")
        if report.head:
            click.echo(f"custody log head: event {report.head.seq}, hash {report.head.hash}")
    else:
        click.echo(f"FAILED: {len(report.problems)} problem(s) in {what}; {summary}")


@click.command()
@case_option
def verify(case_dir: Path | None) -> None:
    """Re-hash every stored object and check every custody event and signature.

    Exit code 0 only when everything is intact; each problem is named on its own line.
    """
    case = Case.open(case_dir)
    with byte_progress("verifying", total_object_bytes(case)) as advance:
        report = verify_case(case, on_bytes=advance)
    _print_report(report, f"case {case.paths.root}")
    if any(problem.kind.startswith("catalog_") for problem in report.problems):
        click.echo(
            "note: the catalog is only an index of the custody log; "
            "'earwitness reindex' rebuilds it from the log",
            err=True,
        )
    try:
        record_verification(case, report)
    except EarwitnessError as exc:
        click.echo(f"note: verification not logged: {exc}", err=True)
    if not report.ok:
        sys.exit(EXIT_FAILED)


@click.command("verify-package")
@click.argument("package", type=click.Path(path_type=Path))
def verify_package_command(package: Path) -> None:
    """Check an exported evidence package (folder or .zip) without a case."""
    report = verify_package(package)
    _print_report(report, f"package {package}")
    if not report.ok:
        sys.exit(EXIT_FAILED)


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
        click.echo(f"repaired [{problem.kind}]: {problem.message}")
    click.echo(
        f"Rebuilt {case.paths.catalog} from {done.events_indexed} custody event(s); "
        f"{len(done.repaired)} difference(s) repaired; logged as event {done.event.seq}"
    )


COMMANDS = [verify, verify_package_command, reindex]
