"""``earwitness examine``: authenticity examination of an exhibit or of any file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from earwitness.cli.targets import resolve_target
from earwitness.cli.vault_commands import case_option
from earwitness.errors import InputFileError

if TYPE_CHECKING:
    from earwitness.forensics.examine import ExamOptions
    from earwitness.jobs.examine import ExamOutcome

# The analysis stack (NumPy, SciPy, matplotlib) is imported when examine runs, not when the CLI
# starts: it is most of start-up time and ingest, log, verify and export never need it.


def _options(enf_nominal: str) -> ExamOptions:
    from earwitness.forensics.examine import ExamOptions

    return ExamOptions(enf_nominal=None if enf_nominal == "auto" else float(enf_nominal))


def _text(report: dict) -> str:
    from earwitness.forensics.examine import INDICATION, timecode

    lines = [report["summary"]["text"], ""]
    for check in report["checks"]:
        lines.append(f"[{check['status']}] {check['name']}: {check['summary']}")
    lines.append("")
    for finding in report["findings"]:
        mark = "!" if finding["score"] >= INDICATION else " "
        lines.append(
            f"{mark} {timecode(finding['start_s'])}  {finding['score']:.2f}  "
            f"{finding['kind']:<22} {finding['description']}"
        )
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("exhibit")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "html", "text"]),
    default="text",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: standard output; for html, NAME.examination.html).",
)
@click.option(
    "--enf-nominal",
    type=click.Choice(["auto", "50", "60"]),
    default="auto",
    show_default=True,
    help="Mains frequency to look for.",
)
@case_option
def examine(
    exhibit: str, output_format: str, output: Path | None, enf_nominal: str, case_dir: Path | None
) -> None:
    """Examine EXHIBIT (hash prefix, name or path) for signs of editing and re-encoding.

    Inside a case the report is stored as a derived artefact of the exhibit and logged in
    custody; asking again returns the stored report. A file outside any case is examined
    directly and nothing is recorded.
    """
    from earwitness.media.decode import DecodeError

    options = _options(enf_nominal)
    want_html = output_format == "html"
    try:
        outcome = _examine(exhibit, options, want_html, case_dir)
    except DecodeError as exc:
        raise InputFileError(exhibit, str(exc)) from None
    if outcome.reused:
        click.echo(
            "earwitness: note: report taken from the case (same exhibit, version and parameters)",
            err=True,
        )
    if want_html:
        target = output or Path(
            f"{Path(outcome.report['exhibit']['filename']).stem}.examination.html"
        )
        target.write_text(outcome.html or "", encoding="utf-8")
        click.echo(f"Examination report: {target.resolve()}")
        return
    body = (
        json.dumps(outcome.report, indent=2, ensure_ascii=False) + "\n"
        if output_format == "json"
        else _text(outcome.report)
    )
    if output:
        output.write_text(body, encoding="utf-8")
        click.echo(f"Examination report: {output.resolve()}", err=True)
    else:
        sys.stdout.write(body)


def _examine(
    reference: str, options: ExamOptions, want_html: bool, case_dir: Path | None
) -> ExamOutcome:
    from earwitness.jobs.examine import examine_exhibit, examine_file

    target = resolve_target(reference, case_dir, "examined")
    if target.case is None or target.sha256 is None:
        return examine_file(target.path or Path(reference), options, want_html)
    return examine_exhibit(target.case, target.sha256, options, want_html)
