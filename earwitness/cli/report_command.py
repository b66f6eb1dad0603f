"""``earwitness report``: the main job, from received files to dossiers."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.transcribe_command import STAGE_LABELS, _speakers
from earwitness.cli.vault_commands import case_option
from earwitness.errors import CaseNotFound, EarwitnessError
from earwitness.vault.case import Case


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("earwitness-report"),
    show_default=True,
    help="Folder for the dossiers; a new case is made here when none is found.",
)
@click.option("--language", default="auto", show_default=True, help="Spoken language, or auto.")
@click.option("--translate", type=click.Choice(["en"]), help="Also translate into English.")
@click.option("--speakers", default="auto", show_default=True, help="auto, none, or a number.")
@click.option("--model", "model_spec", help="Speech model: packaged name, directory or hub name.")
@click.option(
    "--enf-nominal", type=click.Choice(["auto", "50", "60"]), default="auto", show_default=True
)
@click.option("--source", help="Where the files came from (recorded in custody).")
@case_option
def report(
    paths: tuple[Path, ...],
    out_dir: Path,
    language: str,
    translate: str | None,
    speakers: str,
    model_spec: str | None,
    enf_nominal: str,
    source: str | None,
    case_dir: Path | None,
) -> None:
    """Preserve, examine, transcribe and translate PATHS; write a dossier for each recording.

    Each dossier is a folder with index.html (one self-contained page: player, transcript,
    findings, custody, how to verify), dossier.pdf, examination.json, transcript.json, .srt,
    .vtt and .docx. Every stage result is kept in the case, so running it again after an
    interruption only does what is missing.
    """
    from earwitness.cli.progress import stage_progress
    from earwitness.forensics.examine import ExamOptions
    from earwitness.jobs.report import ReportOptions, report_paths
    from earwitness.media.decode import DecodeError
    from earwitness.speech.asr import DecodeOptions
    from earwitness.speech.transcribe import TranscribeOptions
    from earwitness.vault.intake import Status

    missing = [p for p in paths if not p.exists()]
    if missing:
        raise EarwitnessError(f"{missing[0]}: no such file or folder")
    diarize, count = _speakers(speakers)
    options = ReportOptions(
        exam=ExamOptions(enf_nominal=None if enf_nominal == "auto" else float(enf_nominal)),
        speech=TranscribeOptions(
            DecodeOptions(language=None if language == "auto" else language),
            translate_to=translate,
            diarize=diarize,
            num_speakers=count,
        ),
        model_spec=model_spec,
    )
    case = _case(case_dir, out_dir)

    def told(outcome) -> None:
        if outcome.status is not Status.INGESTED:
            click.echo(f"earwitness: {outcome.status.value}: {outcome.message}", err=True)

    try:
        with stage_progress(STAGE_LABELS) as progress:
            results = report_paths(
                case,
                list(paths),
                out_dir,
                options,
                progress=progress,
                on_outcome=told,
                source=source,
            )
    except DecodeError as exc:
        raise EarwitnessError(str(exc)) from None
    if not results:
        raise EarwitnessError("no recording among the given files could be reported on")
    for item in results:
        reused = f" (from the case: {', '.join(item.reused)})" if item.reused else ""
        click.echo(
            f"{item.name}: {item.duration_s:.1f} s, edit score {item.edit_score:.2f}, "
            f"language {item.language}, {item.speakers} speaker(s){reused} -> {item.dossier}"
        )
    if len(results) > 1:
        from earwitness.formats.report_index import write_index

        index = write_index(out_dir, results)
        click.echo(f"Index of all dossiers: {index}")


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
        click.echo(f"earwitness: note: new case in {out_dir.resolve()}", err=True)
        return created
