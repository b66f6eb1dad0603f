"""The transcribe stage: decode, transcribe, store the transcript and its renderings.

Inside a case the transcript JSON is a derived artefact of the exhibit, recorded with the
model's hash and the request's parameters, so asking again (same exhibit, tool version, model
and parameters) returns the stored transcript instead of running the model. Subtitles and other
renderings are artefacts too, made from the stored JSON.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from earwitness.media.decode import decode_audio, resample
from earwitness.speech.models import ResolvedModel, resolve_model
from earwitness.speech.transcribe import Progress, TranscribeOptions, transcribe
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import find_artefact, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.hashing import sha256_file

STAGE = "transcript"
DECODER = "pyav/mono-float32/resample_poly-16k"
FORMATS = ("json", "srt", "vtt", "txt", "textgrid", "docx")
MEDIA_TYPES = {
    "json": "application/json",
    "srt": "application/x-subrip",
    "vtt": "text/vtt",
    "txt": "text/plain",
    "textgrid": "text/plain",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@dataclass(frozen=True)
class TranscribeOutcome:
    transcript: Transcript
    reused: bool


@dataclass(frozen=True)
class Rendering:
    bilingual: bool = True  # original line over English line, where a translation exists
    title: str = "Transcript"
    facts: tuple[tuple[str, str], ...] = ()


def load_16k(path: Path) -> Any:
    decoded = decode_audio(path, mono=True)
    return resample(decoded.samples, decoded.sample_rate, 16000)


def run_transcription(
    path: Path,
    sha256: str,
    model: ResolvedModel,
    options: TranscribeOptions,
    progress: Progress,
    *,
    device: str = "auto",
) -> Transcript:
    from earwitness.speech.asr import Recognizer

    samples = load_16k(path)
    recognizer = Recognizer(model, device=device)
    return transcribe(samples, recognizer, options, exhibit_sha256=sha256, progress=progress)


def transcribe_file(
    path: Path, options: TranscribeOptions, model_spec: str | None, progress: Progress
) -> TranscribeOutcome:
    """Transcribe a file that is not in a case; nothing is stored or logged."""
    model = resolve_model(model_spec)
    transcript = run_transcription(path, sha256_file(path), model, options, progress)
    return TranscribeOutcome(transcript, reused=False)


def _params(options: TranscribeOptions) -> dict[str, Any]:
    return {**options.parameters(), "decoder": DECODER}


def stored_transcript(
    case: Case, sha256: str, options: TranscribeOptions, model: ResolvedModel
) -> Transcript | None:
    """The transcript already made for exactly this request and model, if any."""
    stored = find_artefact(case, sha256, STAGE, _params(options), model_sha256=model.sha256)
    if stored is None:
        return None
    return Transcript.from_dict(json.loads(case.store.read_bytes(stored.object_sha256)))


def store_transcript(
    case: Case, transcript: Transcript, options: TranscribeOptions, model: ResolvedModel
) -> None:
    store_artefact(
        case,
        transcript.exhibit_sha256,
        STAGE,
        render(transcript, "json"),
        filename="transcript.json",
        media_type=MEDIA_TYPES["json"],
        params=_params(options),
        model_sha256=model.sha256,
        action="transcribe",
    )


def transcribe_exhibit(
    case: Case,
    sha256: str,
    options: TranscribeOptions,
    model_spec: str | None,
    progress: Progress,
) -> TranscribeOutcome:
    model = resolve_model(model_spec)
    stored = stored_transcript(case, sha256, options, model)
    if stored is not None:
        return TranscribeOutcome(stored, reused=True)
    transcript = run_transcription(case.store.path_for(sha256), sha256, model, options, progress)
    store_transcript(case, transcript, options, model)
    return TranscribeOutcome(transcript, reused=False)


def store_rendering(
    case: Case,
    transcript: Transcript,
    output_format: str,
    content: bytes,
    options: TranscribeOptions,
    rendering: Rendering,
) -> None:
    """Keep a subtitle file or document made from a stored transcript beside it in the case."""
    params = {**_params(options), "bilingual": rendering.bilingual}
    sha256 = transcript.exhibit_sha256
    stage = f"{STAGE}-{output_format}"
    if find_artefact(case, sha256, stage, params, model_sha256=transcript.model_sha256):
        return
    store_artefact(
        case,
        sha256,
        stage,
        content,
        filename=f"transcript.{output_format}",
        media_type=MEDIA_TYPES[output_format],
        params=params,
        model_sha256=transcript.model_sha256,
        action="transcribe",
    )


def render(transcript: Transcript, output_format: str, rendering: Rendering = Rendering()) -> bytes:
    """``transcript`` in one of ``FORMATS``, as the bytes of the file."""
    translation = list(transcript.translation or ()) if rendering.bilingual else None
    translation = translation or None
    segments = list(transcript.segments)
    if output_format == "json":
        return (json.dumps(transcript.to_dict(), indent=2, ensure_ascii=False) + "\n").encode()
    if output_format in ("srt", "vtt"):
        from earwitness.formats.subtitles import to_srt, to_vtt

        writer: Callable[..., str] = to_srt if output_format == "srt" else to_vtt
        return writer(segments, translation=translation).encode("utf-8")
    if output_format == "txt":
        from earwitness.formats.transcript_text import to_text

        return to_text(segments, translation=translation).encode("utf-8")
    if output_format == "textgrid":
        from earwitness.formats.textgrid import to_textgrid

        duration = transcript.duration or max((s.end for s in segments), default=0.0)
        return to_textgrid(segments, duration, translation=translation).encode("utf-8")
    if output_format == "docx":
        from earwitness.formats.transcript_docx import write_docx

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "transcript.docx"
            shown = transcript if rendering.bilingual else replace(transcript, translation=None)
            write_docx(shown, target, title=rendering.title, exhibit_facts=dict(rendering.facts))
            return target.read_bytes()
    raise ValueError(f"unknown transcript format {output_format!r}")
