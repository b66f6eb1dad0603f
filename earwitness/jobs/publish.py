"""The publish stage: a video of an exhibit for social platforms, kept and logged in the case.

Publishing is an action on evidence like any other, so it happens only to exhibits of a case,
and every publication is a custody event (action ``publish``) whose artefact is the very MP4
that went out, with the subtitle mode, the transcript it was made from (by hash), the model's
hash, and the list of the original's tags that were left out (in the artefact's parameters,
which is what the custody event carries). Asking again for the same video answers from the
store (verified) but still logs the new publication.

The subtitles come from the newest transcript already in the case that can show what was
asked (any transcript for ``original``; one with an English translation, or of an English
recording, otherwise), so a transcript made with a better model or hand-picked options is the
one published. Only when there is none is the recording transcribed, with default options (and
Whisper's translation into English unless ``original`` was asked for).

The video is written to a temporary file beside the output and renamed into place only after
it is stored and logged: a publication that is not in the custody log never appears.

``protect_source`` publishes a fresh encode that names nothing of the original (see
``publish.video``); the choice is in the artefact's parameters (``protect_source``, and the
audio plan), so the custody event records it, and the video is a separate artefact from the
unprotected one of the same exhibit and mode.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av

from earwitness.jobs.engine import Request, Run, Stage, run_stage
from earwitness.jobs.recording import exhibit_run
from earwitness.jobs.reviewed import REVIEWED, muted_copy, redactions_of, reviewed_params
from earwitness.jobs.transcribe import TRANSCRIPT, transcribe_exhibit
from earwitness.media.probe import ProbeError, probe
from earwitness.publish.video import (
    AudioPlan,
    PublishError,
    StrippedTag,
    captions_for,
    h264_encoder,
    plan_audio,
    protected_audio_plan,
    render_video,
    stripped_metadata,
)
from earwitness.speech.transcribe import Progress, TranscribeOptions, no_progress
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import ArtefactRecord, list_artefacts, read_verified
from earwitness.vault.case import Case

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
    protect_source: bool = False

    @property
    def published_sha256(self) -> str:
        """SHA-256 of the video file written (the artefact's)."""
        return self.record.object_sha256


def choose_transcript(
    case: Case, sha256: str, mode: str, progress: Progress = no_progress, *, force: bool = False
) -> tuple[Transcript, str, bool]:
    """(transcript, SHA-256 of its JSON in the store, whether it was already there).

    Each stored transcript considered is verified first: one that was altered is an error,
    never published."""
    english = mode != "original"
    if not force:
        for record in reversed(list_artefacts(case, sha256)):
            if record.stage != TRANSCRIPT.name:
                continue
            transcript = Transcript.from_dict(json.loads(read_verified(case, record)))
            if not english or transcript.translation or transcript.language == "en":
                return transcript, record.object_sha256, True
            if not transcript.segments:  # nothing said: nothing to translate either
                return transcript, record.object_sha256, True
    options = TranscribeOptions(translate_to="en" if english else None)
    outcome = transcribe_exhibit(case, sha256, options, None, progress, force=force)
    # The ASR transcript's own object: publish_exhibit applies its review (and redactions).
    assert outcome.asr_sha256 is not None
    return outcome.transcript, outcome.asr_sha256, outcome.reused


def _reviewed(
    run: Run, transcript: Transcript, transcript_sha256: str, folder: Path
) -> tuple[Transcript, str, tuple[Path, str] | None]:
    """The reviewed version of the chosen transcript when the workbench edited it, and after a
    redaction the muted copy of the audio (written into ``folder``) with its object hash."""
    assert run.case is not None
    base = next(
        (
            record
            for record in list_artefacts(run.case, run.exhibit_sha256)
            if record.stage == TRANSCRIPT.name and record.object_sha256 == transcript_sha256
        ),
        None,
    )
    review = reviewed_params(run, base)
    if review is None:
        return transcript, transcript_sha256, None
    made = run_stage(run, Request(REVIEWED, review))
    assert made.record is not None
    if not redactions_of(made.value):
        return made.value, made.record.object_sha256, None
    audio = run_stage(run, muted_copy(made.value))
    assert audio.record is not None
    muted = folder / "audio-redacted.wav"
    muted.write_bytes(audio.data)
    return made.value, made.record.object_sha256, (muted, audio.record.object_sha256)


@dataclass(frozen=True)
class PublishParams:
    mode: str
    transcript_sha256: str
    video_codec: str
    media: dict[str, Any] = field(hash=False, compare=False)
    transcript: Transcript = field(hash=False, compare=False)
    protect_source: bool = False
    # The muted copy published instead of the original's audio after a redaction.
    redacted_audio_sha256: str | None = None

    @property
    def audio_plan(self) -> AudioPlan:
        return protected_audio_plan(self.media) if self.protect_source else plan_audio(self.media)

    @property
    def stripped(self) -> tuple[StrippedTag, ...]:
        return tuple(stripped_metadata(self.media))

    def parameters(self) -> dict[str, Any]:
        return {
            "subtitles": self.mode,
            "transcript_sha256": self.transcript_sha256,
            "renderer": RENDERER,
            "video": self.video_codec,
            "audio": self.audio_plan.describe(),
            "stripped": [tag.to_dict() for tag in self.stripped],
            "protect_source": self.protect_source,
            **(
                {"redacted_audio_sha256": self.redacted_audio_sha256}
                if self.redacted_audio_sha256
                else {}
            ),
        }


def _compute_video(run: Run, request: Request[bytes]) -> bytes:
    params = request.params
    assert isinstance(params, PublishParams)
    captions = captions_for(params.transcript, params.mode)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "published.mp4"
        try:
            rendered = render_video(
                run.resource("publish_source"),
                target,
                captions,
                sha256=run.exhibit_sha256,
                media=params.media,
                protect_source=params.protect_source,
            )
        except av.FFmpegError as exc:  # a stream FFmpeg cannot mux or encode as planned
            raise PublishError(
                f"exhibit {run.exhibit_sha256[:12]}: rendering failed ({exc})"
            ) from None
        run.resources["publish_notes"] = lambda: rendered.notes
        return target.read_bytes()


def _video_stage(mode: str, protect_source: bool) -> Stage[bytes]:
    return Stage(
        name="publish-video",
        version=1,
        action="publish",
        filename=f"published-{mode}{'-protected' if protect_source else ''}.mp4",
        media_type="video/mp4",
        compute=_compute_video,
        serialise=lambda body: body,
        deserialise=lambda data: data,
        model_sha256=lambda request: request.params.transcript.model_sha256,  # type: ignore[attr-defined]
    )


VIDEOS = {
    (mode, protect): _video_stage(mode, protect)
    for mode in ("bilingual", "en", "original")
    for protect in (False, True)
}


def publish_exhibit(
    case: Case,
    sha256: str,
    mode: str,
    output: Path,
    progress: Progress = no_progress,
    *,
    force: bool = False,
    protect_source: bool = False,
) -> PublishOutcome:
    """Render (or take from the store) the video of exhibit ``sha256``, log it, write ``output``;
    with ``protect_source`` a fresh encode that names nothing of the original."""
    transcript, transcript_sha256, transcript_reused = choose_transcript(
        case, sha256, mode, progress, force=force
    )
    run = exhibit_run(case, sha256, force=force)
    with tempfile.TemporaryDirectory() as folder:
        transcript, transcript_sha256, redacted = _reviewed(
            run, transcript, transcript_sha256, Path(folder)
        )
        source = redacted[0] if redacted else run.resource("path")
        run.resources["publish_source"] = lambda: source
        try:
            media = probe(source).to_dict()
        except ProbeError as exc:
            raise PublishError(f"exhibit {sha256[:12]}: {exc}") from None
        params = PublishParams(
            mode,
            transcript_sha256,
            h264_encoder(),
            media,
            transcript,
            protect_source,
            redacted[1] if redacted else None,
        )
        made = run_stage(run, Request(VIDEOS[mode, protect_source], params))
    record = made.record
    assert record is not None
    if made.reused:  # the same video goes out again: that publication is logged too
        with case.writing():
            case.record(
                "publish",
                sha256,
                {
                    "republished": {"object_sha256": record.object_sha256, "seq": record.seq},
                    "protect_source": protect_source,
                },
            )
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(made.data)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    notes = run.resource("publish_notes") if "publish_notes" in run.resources else ()
    return PublishOutcome(
        output=output,
        record=record,
        transcript=transcript,
        transcript_reused=transcript_reused,
        rendering_reused=made.reused,
        audio=params.audio_plan.describe(),
        video_codec=params.video_codec,
        captions=len(captions_for(transcript, mode)),
        stripped=params.stripped,
        notes=tuple(notes),
        protect_source=protect_source,
    )
