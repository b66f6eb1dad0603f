"""``earwitness publish``: a subtitled video of an exhibit for social platforms."""

from __future__ import annotations

import os
from pathlib import Path

import click

from earwitness.cli.options import case_option, force_option, output_option
from earwitness.cli.targets import named_as
from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError, InputFileError

# PyAV, Pillow and the speech stack load when publish runs, not at CLI start-up.

MODES = ("bilingual", "en", "original")
IDENTIFYING = (
    "the video carries the original's exact SHA-256 and its audio unchanged; where copies were "
    "handed out one per recipient (watermarks, distinct encodes) they can identify whose copy "
    "leaked. --protect-source re-encodes and leaves the original's hash out."
)


class _UsageMistake(EarwitnessError):
    exit_code = 2


@click.command()
@click.argument("exhibit")
@click.option(
    "--subtitles",
    type=click.Choice(MODES),
    default="bilingual",
    show_default=True,
    help="bilingual: the original's line over the English one; en: English only; original: "
    "the spoken language only.",
)
@click.option(
    "--protect-source",
    is_flag=True,
    help="Re-encode the audio afresh, write no tags and leave the original's SHA-256 out, so "
    "that the file's hash and bytes cannot be matched to the copy it came from; prints the "
    "published file's SHA-256 instead.",
)
@output_option("The video to write (.mp4).", required=True, kind="either")
@force_option
@case_option
def publish(
    exhibit: str,
    subtitles: str,
    protect_source: bool,
    output: Path,
    force: bool,
    case_dir: Path | None,
) -> None:
    """Render EXHIBIT (hash prefix, name or path) as a video for social platforms.

    The original audio (stream-copied where MP4 allows the codec, else stored losslessly), the
    recording's waveform with burned-in subtitles, the same subtitles as a soft mov_text
    track, and a closing card with the original's SHA-256 and how to check it. None of the
    original's tags (encoder, device, dates, names, paths) go into the video; the command
    lists what it left out. The video is stored in the case and the publication is logged.
    The transcript already in the case is used; without one the recording is transcribed
    first (and translated into English unless --subtitles original). --force transcribes
    and renders again even if the case holds the transcript and the video.

    The original's exact hash and untouched audio can tell whose copy leaked, where copies were
    handed out one per recipient; --protect-source publishes a fresh encode without them (a
    watermark in the sound itself survives any re-encoding).
    """
    from earwitness.cli.progress import SPEECH_STAGES, stage_progress
    from earwitness.jobs.publish import publish_exhibit
    from earwitness.vault.case import Case
    from earwitness.vault.refs import resolve_exhibit

    if output.suffix.lower() != ".mp4":
        raise _UsageMistake(f"{output}: the output must be an .mp4 file")
    if output.is_dir() or not output.parent.is_dir():
        raise _UsageMistake(f"{output}: not a file in an existing folder")
    if not os.access(output.parent, os.W_OK):
        raise InputFileError(output, "the folder is not writable")
    # Only exhibits are published: the publication has to be in the custody log.
    case = Case.open(case_dir)
    sha256 = resolve_exhibit(case, exhibit)
    with named_as(exhibit), stage_progress(SPEECH_STAGES) as progress:
        outcome = publish_exhibit(
            case, sha256, subtitles, output, progress, force=force, protect_source=protect_source
        )
    if outcome.transcript_reused:
        echo("earwitness: note: transcript taken from the case", err=True)
    if outcome.rendering_reused:
        echo("earwitness: note: the same video was in the case; publication logged", err=True)
    if outcome.captions == 0:
        echo("earwitness: note: no speech was transcribed; the video has no subtitles", err=True)
    for note in outcome.notes:
        echo(f"earwitness: note: {note}", err=True)
    stripped = (
        ", ".join(str(tag) for tag in outcome.stripped) or "nothing (the original had no tags)"
    )
    echo(f"Video: {output.resolve()}")
    echo(f"  audio: {outcome.audio}")
    echo(f"  picture: {outcome.video_codec}, 1280x720, subtitles burned in ({subtitles})")
    echo(f"  soft subtitles: mov_text track, {outcome.captions} cues")
    echo(f"  stripped: {stripped}")
    if protect_source:
        echo("  source protected: fresh audio encode, no tags, the original's hash left out")
        echo(f"  published SHA-256: {outcome.published_sha256} (publish it beside the video)")
    else:
        echo(f"  original SHA-256: {sha256} (on the closing card and in the tags)")
    echo(f"  logged: publish event {outcome.record.seq}, artefact {outcome.record.object_sha256}")
    if not protect_source:
        echo(f"earwitness: warning: {IDENTIFYING}", err=True)
