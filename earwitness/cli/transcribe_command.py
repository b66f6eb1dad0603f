"""``earwitness transcribe`` and ``earwitness models``: speech to text, offline."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from earwitness.cli.targets import resolve_target
from earwitness.cli.vault_commands import case_option
from earwitness.errors import EarwitnessError, InputFileError

if TYPE_CHECKING:
    from earwitness.jobs.transcribe import TranscribeOutcome
    from earwitness.speech.transcribe import Progress, TranscribeOptions
    from earwitness.vault.case import Case

# faster-whisper, CTranslate2 and ONNX Runtime load when transcribe runs, not at CLI start-up.

FORMATS = ("json", "srt", "vtt", "txt", "textgrid", "docx")
STAGE_LABELS = {
    "transcribe": "Transcribing",
    "translate": "Translating",
    "speakers": "Separating speakers",
}


def _speakers(value: str) -> tuple[bool, int | None]:
    if value == "auto":
        return True, None
    if value == "none":
        return False, None
    if value.isdigit() and int(value) >= 1:
        return True, int(value)
    raise click.BadParameter("auto, none, or a number of speakers (1 or more)")


def _options(
    language: str,
    translate: str | None,
    speakers: str,
    beam_size: int,
    batch_size: int,
    prompt: str | None = None,
) -> TranscribeOptions:
    from earwitness.speech.asr import DecodeOptions
    from earwitness.speech.transcribe import TranscribeOptions

    diarize, count = _speakers(speakers)
    decode = DecodeOptions(
        language=None if language == "auto" else language,
        beam_size=beam_size,
        batch_size=batch_size,
        initial_prompt=(prompt or "").strip() or None,
    )
    return TranscribeOptions(decode, translate_to=translate, diarize=diarize, num_speakers=count)


@click.command()
@click.argument("exhibit")
@click.option(
    "--language",
    default="auto",
    show_default=True,
    help="Spoken language as an ISO 639-1 code (ru, be, uk, en, …), or auto to detect it.",
)
@click.option(
    "--translate",
    type=click.Choice(["en"]),
    help="Also translate into English (Whisper's translate task), aligned to the segments.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="txt",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (default: standard output; for docx, NAME.transcript.docx).",
)
@click.option(
    "--model",
    "model_spec",
    help="Packaged model name (default whisper-base), a model directory, or a hub name.",
)
@click.option(
    "--speakers",
    default="auto",
    show_default=True,
    help="Speaker separation: auto, none, or the number of speakers if known.",
)
@click.option(
    "--bilingual/--no-bilingual",
    default=True,
    show_default=True,
    help="Subtitles and documents show the English line under the original.",
)
@click.option(
    "--prompt",
    metavar="TEXT",
    help="Names and terms the recording uses, spelt as the transcript should spell them "
    "(Whisper's initial prompt; only its last ~200 tokens count), e.g. "
    "--prompt 'Окрестина, ОМОН, Караев'. Recorded with the transcript's parameters.",
)
# The same defaults as DecodeOptions (a test holds them equal), written out so that the CLI
# starts without importing the speech stack.
@click.option("--beam-size", type=click.IntRange(1, 20), default=6, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 64), default=8, show_default=True)
@case_option
def transcribe(
    exhibit: str,
    language: str,
    translate: str | None,
    output_format: str,
    output: Path | None,
    model_spec: str | None,
    speakers: str,
    bilingual: bool,
    prompt: str | None,
    beam_size: int,
    batch_size: int,
    case_dir: Path | None,
) -> None:
    """Transcribe EXHIBIT (hash prefix, name or path): words with times and speakers.

    Runs offline on the packaged Whisper model unless --model names another. Inside a case the
    transcript is stored as a derived artefact of the exhibit (with the model's hash) and logged
    in custody; asking again returns the stored transcript. A file outside any case is
    transcribed directly and nothing is recorded.
    """
    from earwitness.cli.progress import stage_progress
    from earwitness.jobs.transcribe import Rendering, render
    from earwitness.media.decode import DecodeError

    options = _options(language, translate, speakers, beam_size, batch_size, prompt)
    try:
        with stage_progress(STAGE_LABELS) as progress:
            outcome, case, name = _transcribe(exhibit, options, model_spec, case_dir, progress)
    except DecodeError as exc:
        raise InputFileError(exhibit, str(exc)) from None
    if outcome.reused:
        click.echo(
            "earwitness: note: transcript taken from the case (same exhibit, model, version "
            "and parameters)",
            err=True,
        )
    transcript = outcome.transcript
    rendering = Rendering(
        bilingual=bilingual,
        title=f"Transcript of {name}",
        facts=(
            ("Recording", name),
            ("SHA-256", transcript.exhibit_sha256),
            ("Language", transcript.language),
            ("Model", f"{transcript.model_name} (SHA-256 {transcript.model_sha256})"),
        ),
    )
    body = render(transcript, output_format, rendering)
    if case is not None and output_format != "json":
        from earwitness.jobs.transcribe import store_rendering

        store_rendering(case, transcript, output_format, body, options, rendering)
    if output_format == "docx" and output is None:
        output = Path(f"{Path(name).stem}.transcript.docx")
    if output is not None:
        output.write_bytes(body)
        click.echo(f"Transcript: {output.resolve()}", err=True)
    else:
        sys.stdout.write(body.decode("utf-8"))


def _transcribe(
    reference: str,
    options: TranscribeOptions,
    model_spec: str | None,
    case_dir: Path | None,
    progress: Progress,
) -> tuple[TranscribeOutcome, Case | None, str]:
    """The transcript, the case it is kept in (None for a loose file), the recording's name."""
    from earwitness.jobs.examine import exhibit_facts
    from earwitness.jobs.transcribe import transcribe_exhibit, transcribe_file

    target = resolve_target(reference, case_dir, "transcribed")
    if target.case is None or target.sha256 is None:
        path = target.path or Path(reference)
        return transcribe_file(path, options, model_spec, progress), None, path.name
    name = exhibit_facts(target.case, target.sha256).filename
    outcome = transcribe_exhibit(target.case, target.sha256, options, model_spec, progress)
    return outcome, target.case, name


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON lines.")
def models(as_json: bool) -> None:
    """List the speech models installed here, each with its SHA-256 checked now."""
    from earwitness.speech.models import installed_models

    rows = installed_models()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        for row in rows:
            click.echo(f"{row['name']}  [{row.get('kind', '')}]  {row['status']}")
            if row.get("sha256"):
                click.echo(f"    sha256  {row['sha256']}")
            if row.get("path"):
                click.echo(f"    path    {row['path']}")
            if row.get("source"):
                click.echo(f"    from    {row['source']}")
    if any(not str(row["status"]).startswith(("verified", "hashed")) for row in rows):
        raise EarwitnessError("some models are missing or altered (see above)")
