"""``earwitness examine``: authenticity examination of an exhibit or of any file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from earwitness.cli.options import (
    case_option,
    exam_options,
    force_option,
    format_option,
    output_option,
    write_output,
)
from earwitness.cli.progress import check_progress
from earwitness.cli.targets import named_as, resolve_target
from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError
from earwitness.forensics.options import ExamOptions
from earwitness.text import shown

if TYPE_CHECKING:
    from earwitness.jobs.examine import ExamOutcome

# The analysis stack (NumPy, SciPy, matplotlib) is imported when examine runs, not when the CLI
# starts: it is most of start-up time and ingest, log, verify and export never need it.


def _text(report: dict) -> str:
    from earwitness.forensics.findings import INDICATION
    from earwitness.text import timecode

    summary = report["summary"]
    lines = [summary["text"], ""]
    if summary.get("conclusion"):
        lines += ["Conclusion: " + summary["conclusion"], ""]
    for check in report["checks"]:
        lines.append(f"[{check['status']}] {check['name']}: {check['summary']}")
    lines.append("")
    for finding in report["findings"]:
        mark = "!" if finding["kind"] == "edit_point" and finding["score"] >= INDICATION else " "
        strength = (
            f"  log10 LR {finding['log10_lr']:+.1f} ({finding['verbal']})"
            if "log10_lr" in finding
            else ""
        )
        lines.append(
            f"{mark} {timecode(finding['start_s'])}  {finding['score']:.2f}  "
            f"{finding['kind']:<22} {finding['description']}{strength}"
        )
    if summary.get("limitations"):
        lines += ["", "Limitations:"] + [f"- {item}" for item in summary["limitations"]]
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("exhibit")
@format_option(["json", "html", "text"], "text")
@output_option("Write here (default: standard output; for html, NAME.examination.html).")
@exam_options
@force_option
@case_option
def examine(
    exhibit: str,
    output_format: str,
    output: Path | None,
    exam: ExamOptions,
    force: bool,
    case_dir: Path | None,
) -> None:
    """Examine EXHIBIT (hash prefix, name or path) for signs of editing and re-encoding.

    Inside a case the report is stored as a derived artefact of the exhibit and logged in
    custody; asking again returns the stored report. A file outside any case is examined
    directly and nothing is recorded. --force examines again even so.
    """
    want_html = output_format == "html"
    with named_as(exhibit):
        outcome = _examine(exhibit, exam, want_html, case_dir, force)
    if outcome.reused:
        echo(
            "earwitness: note: report taken from the case (same exhibit, version and parameters)",
            err=True,
        )
    if want_html:
        target = output or Path(
            f"{Path(outcome.report['exhibit']['filename']).stem}.examination.html"
        )
        write_output(target, outcome.html or "")
        echo(f"Examination report: {target.resolve()}")
        _refuse_if_failed(exhibit, outcome)
        return
    body = (
        json.dumps(outcome.report, indent=2, ensure_ascii=False) + "\n"
        if output_format == "json"
        else shown(_text(outcome.report), keep_lines=True)  # tags and names from the file
    )
    if output:
        write_output(output, body)
        echo(f"Examination report: {output.resolve()}", err=True)
    else:
        sys.stdout.write(body)
    _refuse_if_failed(exhibit, outcome)


def _refuse_if_failed(exhibit: str, outcome: ExamOutcome) -> None:
    if outcome.failed:
        raise EarwitnessError(
            f"{exhibit}: the examination is incomplete ({outcome.failed}); it was shown but "
            "not stored"
        )


def _examine(
    reference: str, options: ExamOptions, want_html: bool, case_dir: Path | None, force: bool
) -> ExamOutcome:
    from earwitness.jobs.examine import examine_exhibit, examine_file

    target = resolve_target(reference, case_dir, "examined")
    with check_progress("Examining") as progress:
        if target.case is None or target.sha256 is None:
            return examine_file(target.path or Path(reference), options, want_html, progress)
        return examine_exhibit(
            target.case, target.sha256, options, want_html, progress, force=force
        )
