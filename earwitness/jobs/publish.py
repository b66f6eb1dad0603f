"""The publish stage: a video of an exhibit for social platforms, kept and logged in the case.

Publishing is an action on evidence like any other, so it happens only to exhibits of a case,
and every publication is a custody event (action ``publish``) whose artefact is the very MP4
that went out, with the subtitle mode, the transcript it was made from (by hash), the model's
hash, and the list of the original's tags that were left out (in the artefact's parameters,
which is what the custody event carries). Asking again for the same video answers from the
store but still logs the new publication.

The subtitles come from the newest transcript already in the case that can show what was
asked (any transcript for ``original``; one with an English translation, or of an English
recording, otherwise), so a transcript made with a better model or hand-picked options is the
one published. Only when there is none is the recording transcribed, with default options (and
Whisper's translation into English unless ``original`` was asked for).

The video is written to a temporary file beside the output and renamed into place only after
it is stored and logged: a publication that is not in the custody log never appears.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import av

from earwitness.formats.publish_video import (
    PublishError,
    StrippedTag,
    captions_for,
    h264_encoder,
    plan_audio,
    render_video,
    stripped_metadata,
)
from earwitness.jobs.transcribe import STAGE as TRANSCRIPT_STAGE
from earwitness.jobs.transcribe import render, transcribe_exhibit
from earwitness.media.probe import ProbeError, probe
from earwitness.speech.transcribe import Progress, TranscribeOptions
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import ArtefactRecord, find_artefact, list_artefacts, store_artefact
from earwitness.vault.case import Case

STAGE = "publish-video"
RENDERER = "earwitness.publish_video/1"


@dataclass(frozen=True)
class PublishOutcome:
    output: Path
    record: ArtefactRecord
    transcript: Transcript
    transcript_reused: bool  # taken from the case rather than made now
    rendering_reused: bool  # the same video was already in the case
    audio: str
    video_codec: str
    captions: int
    stripped: tuple[StrippedTag, ...]
    notes: tuple[str, ...] = ()


def _silent(_stage: str, _done: float, _total: float) -> None:
    return None


def choose_transcript(
    case: Case, sha256: str, mode: str, progress: Progress = _silent
) -> tuple[Transcript, str, bool]:
    """(transcript, SHA-256 of its JSON in the store, whether it was already there)."""
    english = mode != "original"
    for record in reversed(list_artefacts(case, sha256)):
        if record.stage != TRANSCRIPT_STAGE or not case.store.has(record.object_sha256):
            continue
        data = json.loads(case.store.read_bytes(record.object_sha256))
        transcript = Transcript.from_dict(data)
        if not english or transcript.translation or transcript.language == "en":
            return transcript, record.object_sha256, True
        if not transcript.segments:  # nothing said: nothing to translate either
            return transcript, record.object_sha256, True
    options = TranscribeOptions(translate_to="en" if english else None)
    outcome = transcribe_exhibit(case, sha256, options, None, progress)
    # store_transcript keeps exactly this rendering, so its hash names the stored object.
    digest = hashlib.sha256(render(outcome.transcript, "json")).hexdigest()
    return outcome.transcript, digest, outcome.reused


def publish_exhibit(
    case: Case, sha256: str, mode: str, output: Path, progress: Progress = _silent
) -> PublishOutcome:
    """Render (or take from the store) the video of exhibit ``sha256``, log it, write ``output``."""
    transcript, transcript_sha256, transcript_reused = choose_transcript(
        case, sha256, mode, progress
    )
    captions = captions_for(transcript, mode)
    source = case.store.path_for(sha256)
    try:
        media = probe(source).to_dict()
    except ProbeError as exc:
        raise PublishError(f"exhibit {sha256[:12]}: {exc}") from None
    plan = plan_audio(media)
    stripped = tuple(stripped_metadata(media))
    video_codec = h264_encoder()
    params = {
        "subtitles": mode,
        "transcript_sha256": transcript_sha256,
        "renderer": RENDERER,
        "video": video_codec,
        "audio": plan.describe(),
        "stripped": [tag.to_dict() for tag in stripped],
    }
    stored = find_artefact(case, sha256, STAGE, params, model_sha256=transcript.model_sha256)
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    notes: tuple[str, ...] = ()
    try:
        if stored is not None:
            partial.write_bytes(case.store.read_bytes(stored.object_sha256))
        else:
            try:
                rendered = render_video(source, partial, captions, sha256=sha256, media=media)
            except av.FFmpegError as exc:  # a stream FFmpeg cannot mux or encode as planned
                raise PublishError(f"exhibit {sha256[:12]}: rendering failed ({exc})") from None
            notes = rendered.notes
        record = store_artefact(
            case,
            sha256,
            STAGE,
            partial.read_bytes(),
            filename=f"published-{mode}.mp4",
            media_type="video/mp4",
            params=params,
            model_sha256=transcript.model_sha256,
            action="publish",
        )
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    return PublishOutcome(
        output=output,
        record=record,
        transcript=transcript,
        transcript_reused=transcript_reused,
        rendering_reused=stored is not None,
        audio=plan.describe(),
        video_codec=video_codec,
        captions=len(captions),
        stripped=stripped,
        notes=notes,
    )
