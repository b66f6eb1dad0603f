"""``earwitness transcribe``: speech to text, offline."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from earwitness.cli.options import (
    case_option,
    force_option,
    format_option,
    model_option,
    output_option,
    speech_options,
    write_output,
)
from earwitness.cli.targets import Target, named_as, resolve_target
from earwitness.cli.terminal import echo
from earwitness.formats.transcript_formats import TRANSCRIPT_FORMATS
from earwitness.speech.confidence import UNSURE_BELOW
from earwitness.speech.options import TranscribeOptions

if TYPE_CHECKING:
    from earwitness.jobs.transcribe import TranscribeOutcome
    from earwitness.speech.transcribe import Progress
    from earwitness.vault.case import Case

# faster-whisper, CTranslate2 and ONNX Runtime load when transcribe runs, not at CLI start-up.

_FORMATS_HELP = "; ".join(f"{f.name}: {f.description}" for f in TRANSCRIPT_FORMATS.values())


@click.command()
@click.argument("exhibit")
@speech_options
@format_option(list(TRANSCRIPT_FORMATS), "txt", _FORMATS_HELP)
@output_option("Write here (default: standard output; for docx, NAME.transcript.docx).")
@model_option
@click.option(
    "--bilingual/--no-bilingual",
    default=True,
    show_default=True,
    help="Subtitles and documents show the English line under the original.",
)
@click.option(
    "--mark-unsure/--no-mark-unsure",
    default=None,
    help=f"Mark the words the recogniser was unsure of (probability below {UNSURE_BELOW:g}): "
    "[?word] in txt and srt, highlighted in docx, a class in vtt. Default: marked in txt and "
    "docx, not in subtitles.",
)
@force_option
@case_option
def transcribe(
    exhibit: str,
    speech: TranscribeOptions,
    output_format: str,
    output: Path | None,
    model_spec: str | None,
    bilingual: bool,
    mark_unsure: bool | None,
    force: bool,
    case_dir: Path | None,
) -> None:
    """Transcribe EXHIBIT (hash prefix, name or path): words with times and speakers.

    Runs offline on the packaged Whisper model unless --model names another. Inside a case the
    transcript is stored as a derived artefact of the exhibit (with the model's hash) and logged
    in custody; asking again returns the stored transcript. A file outside any case is
    transcribed directly and nothing is recorded. --force transcribes again even so.
    """
    from earwitness.cli.progress import SPEECH_STAGES, stage_progress

    with named_as(exhibit), stage_progress(SPEECH_STAGES) as progress:
        outcome, target = _transcribe(
            exhibit,
            speech,
            model_spec,
            case_dir,
            progress,
            output_format,
            bilingual,
            force,
            mark_unsure,
        )
    if outcome.reused:
        echo(
            "earwitness: note: transcript taken from the case (same exhibit, model, version "
            "and parameters)",
            err=True,
        )
    if target.case is not None and target.sha256 is not None and outcome.asr_sha256:
        _note_earlier_review(target.case, target.sha256, outcome.asr_sha256, exhibit)
    body = outcome.body
    chosen = TRANSCRIPT_FORMATS[output_format]
    if chosen.binary and output is None:
        output = Path(f"{Path(outcome.name).stem}.transcript{chosen.suffix}")
    if output is not None:
        write_output(output, body)
        echo(f"Transcript: {output.resolve()}", err=True)
    else:
        sys.stdout.write(body.decode("utf-8"))


def _transcribe(
    reference: str,
    options: TranscribeOptions,
    model_spec: str | None,
    case_dir: Path | None,
    progress: Progress,
    output_format: str,
    bilingual: bool,
    force: bool,
    mark_unsure: bool | None = None,
) -> tuple[TranscribeOutcome, Target]:
    """The transcript and the asked-for rendering (stored and logged inside a case)."""
    from earwitness.jobs.transcribe import transcribe_exhibit, transcribe_file

    target = resolve_target(reference, case_dir, "transcribed")
    if target.case is None or target.sha256 is None:
        path = target.path or Path(reference)
        made = transcribe_file(
            path,
            options,
            model_spec,
            progress,
            output_format=output_format,
            bilingual=bilingual,
            mark_unsure=mark_unsure,
        )
        return made, target
    made = transcribe_exhibit(
        target.case,
        target.sha256,
        options,
        model_spec,
        progress,
        output_format=output_format,
        bilingual=bilingual,
        force=force,
        mark_unsure=mark_unsure,
    )
    return made, target


def _note_earlier_review(case: Case, sha256: str, asr_sha256: str, reference: str) -> None:
    """Say so when the review of an earlier transcript is not on this one: made again, the
    transcript starts a review of its own until someone carries the old one to it."""
    from earwitness.jobs.review import earlier_edits
    from earwitness.text import shell_word

    earlier = earlier_edits(case, sha256, asr_sha256)
    if earlier.edits and earlier.carried_by is None:
        count = "1 review edit was" if earlier.edits == 1 else f"{earlier.edits} review edits were"
        where = "an earlier transcript" if earlier.transcripts == 1 else "earlier transcripts"
        echo(
            f"earwitness: note: {count} made on {where} of this recording; this "
            f"one shows them once carried: earwitness carry-review {shell_word(reference)} "
            "--by NAME (--dry-run first to see what would go)",
            err=True,
        )
