"""``earwitness report``: the main job, from received files to dossiers."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import (
    case_option,
    exam_options,
    force_option,
    model_option,
    output_option,
    speech_options,
)
from earwitness.cli.terminal import echo
from earwitness.errors import CaseNotFound, EarwitnessError
from earwitness.forensics.options import ExamOptions
from earwitness.speech.options import TranscribeOptions
from earwitness.text import shown
from earwitness.vault.case import Case


@click.command()
# readable=False: an unreadable file is reported by intake, one line, and the batch goes on
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, readable=False))
@output_option(
    "Folder for the dossiers; a new case is made here when none is found.",
    kind="folder",
    name="out_dir",
    default=Path("earwitness-report"),
)
@speech_options
@model_option
@exam_options
@click.option("--source", help="Where the files came from (recorded in custody).")
@force_option
@case_option
def report(
    paths: tuple[Path, ...],
    out_dir: Path,
    speech: TranscribeOptions,
    model_spec: str | None,
    exam: ExamOptions,
    source: str | None,
    force: bool,
    case_dir: Path | None,
) -> None:
    """Preserve, examine, transcribe and translate PATHS; write a dossier for each recording.

    Each dossier is a folder with index.html (one self-contained page: player, transcript,
    findings, custody, how to verify), dossier.pdf, examination.json, transcript.json, .srt,
    .vtt and .docx. Every stage result is kept in the case, so running it again after an
    interruption only does what is missing; --force computes every stage again.
    """
    from earwitness.cli.progress import REPORT_STAGES, stage_progress
    from earwitness.forensics.evaluation.verbal import support_phrase
    from earwitness.jobs.options import ReportOptions
    from earwitness.jobs.report import report_paths
    from earwitness.vault.intake import Status

    missing = [p for p in paths if not p.exists()]
    if missing:
        raise EarwitnessError(f"{missing[0]}: no such file or folder")
    options = ReportOptions(exam=exam, speech=speech, model_spec=model_spec, force=force)
    case = _case(case_dir, out_dir)

    def told(outcome) -> None:
        if outcome.status is not Status.INGESTED:
            echo(shown(f"earwitness: {outcome.status.value}: {outcome.message}"), err=True)

    with stage_progress(REPORT_STAGES) as progress:
        results = report_paths(
            case, list(paths), out_dir, options, progress=progress, on_outcome=told, source=source
        )
    if not results:
        raise EarwitnessError("no recording among the given files could be reported on")
    for item in results:
        reused = f" (from the case: {', '.join(item.reused)})" if item.reused else ""
        echo(
            f"{shown(item.name)}: {item.length()}, {support_phrase(item.log10_lr)}, highest "
            f"edit-point score {item.edit_score:.2f}, "
            f"language {item.language}, {item.speakers} speaker(s){reused} -> {item.dossier}"
        )
    if len(results) > 1:
        from earwitness.reports.report_index import write_index

        index = write_index(out_dir, results)
        echo(f"Index of all dossiers: {index}")


def _case(case_dir: Path | None, out_dir: Path) -> Case:
    """The case found as every command finds it; else a new one in the output folder."""
    try:
        return Case.open(case_dir)
    except CaseNotFound:
        if case_dir is not None:
            raise
    try:
        return Case.open(out_dir)
    except CaseNotFound:
        created, _ = Case.init(out_dir)
        echo(f"earwitness: note: new case in {out_dir.resolve()}", err=True)
        return created
