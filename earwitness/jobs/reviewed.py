"""What the outputs show: the reviewed transcript, and the recording with its redactions muted.

A transcript corrected in the workbench is a new version derived from the ASR one: the ASR
transcript (the TRANSCRIPT stage) with the review edits of the case applied in custody order
(``jobs/review.py`` stores each edit as an artefact). The edits a version holds are named by
their object hashes in its parameters, so a dossier, a subtitle file or a video made after one
more correction is a new artefact, and one made from the same edits is answered from the case.

Every output made after a redaction is made from this version: its words in a redacted range
are blanked (``review.redaction``), and the audio that goes out with it is the decoded
recording with those ranges set to exact zeros (``REDACTED_AUDIO``). The original stays in the
vault as it was received.
"""

from __future__ import annotations

import io
import json
import wave
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from earwitness.jobs.engine import Request, Run, Stage, run_stage
from earwitness.jobs.recording import exhibit_run
from earwitness.jobs.review import EDIT_STAGE, read_edit
from earwitness.jobs.transcribe import TRANSCRIPT, TranscriptParams
from earwitness.review.edits import Redact
from earwitness.review.provenance import named_transcript, provenance
from earwitness.review.redaction import mute
from earwitness.review.state import replay
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import (
    ArtefactRecord,
    ArtefactTampered,
    list_artefacts,
    read_verified,
)
from earwitness.vault.case import Case


@dataclass(frozen=True)
class ReviewedParams:
    """The ASR transcript reviewed (its object hash) and the edits applied to it, in order."""

    base_transcript_sha256: str
    model_sha256: str
    edits: tuple[str, ...]

    def parameters(self) -> dict[str, Any]:
        return {
            "base_transcript_sha256": self.base_transcript_sha256,
            "review_edits": list(self.edits),
        }


def edits_on(run: Run, base: ArtefactRecord) -> tuple[str, ...]:
    """The object hashes of the edits made on the transcript ``base``, in custody order, and
    every redaction of the recording: a redaction is of a time range, not of one transcript,
    so a transcript made after it (a better model) is redacted too."""
    return tuple(
        record.object_sha256
        for record in _edit_records(run)
        if record.params.get("base_transcript_sha256") == base.object_sha256
        or record.params.get("kind") == Redact.kind
    )


def reviewed_params(run: Run, base: ArtefactRecord | None) -> ReviewedParams | None:
    """The reviewed version of the stored transcript ``base``; None when nobody edited it
    (or outside a case)."""
    if run.case is None or base is None:
        return None
    edits = edits_on(run, base)
    if not edits:
        return None
    return ReviewedParams(base.object_sha256, base.model_sha256 or "", edits)


def review_of(run: Run, speech: TranscriptParams) -> ReviewedParams | None:
    """The reviewed version of the ASR transcript that ``speech`` gives, if it was edited."""
    if run.case is None:
        return None
    return reviewed_params(run, run_stage(run, Request(TRANSCRIPT, speech)).record)


def shown_transcript(
    speech: TranscriptParams, review: ReviewedParams | None
) -> Request[Transcript]:
    """The request whose result an output shows: the reviewed version when there are edits."""
    return Request(REVIEWED, review) if review is not None else Request(TRANSCRIPT, speech)


def _carried(records: Iterable[ArtefactRecord]) -> tuple[int, list[str], list[str]]:
    """How many of the edits were carried from an older review, from which transcripts, by
    whom (their custody events' parameters)."""
    edits, sources, carriers = 0, [], []
    for record in records:
        source, carrier = record.params.get("carried_from"), record.params.get("carried_by")
        if isinstance(source, str) and isinstance(carrier, str):
            edits += 1
            sources += [source] if source not in sources else []
            carriers += [carrier] if carrier not in carriers else []
    return edits, sources, carriers


def redactions_of(transcript: Transcript) -> list[tuple[float, float]]:
    """The redacted time ranges a (reviewed) transcript records."""
    review = transcript.processing.get("review") or {}
    return [(float(start), float(end)) for start, end in review.get("redactions", [])]


def _edit_records(run: Run) -> list[ArtefactRecord]:
    assert run.case is not None
    return [r for r in list_artefacts(run.case, run.exhibit_sha256) if r.stage == EDIT_STAGE]


def _compute_reviewed(run: Run, request: Request[Transcript]) -> Transcript:
    params = request.params
    assert isinstance(params, ReviewedParams) and run.case is not None
    stored = list_artefacts(run.case, run.exhibit_sha256)
    base = next(
        (
            record
            for record in stored
            if record.stage == TRANSCRIPT.name
            and record.object_sha256 == params.base_transcript_sha256
        ),
        None,
    )
    if base is None:
        raise ArtefactTampered(
            f"transcript {params.base_transcript_sha256[:12]}: reviewed, but logged by no "
            "custody event of this exhibit"
        )
    asr = Transcript.from_dict(json.loads(read_verified(run.case, base)))
    by_object = {record.object_sha256: record for record in stored if record.stage == EDIT_STAGE}
    edits = []
    for object_sha256 in params.edits:
        record = by_object.get(object_sha256)
        if record is None:
            raise ArtefactTampered(
                f"review edit {object_sha256[:12]}: named by the request but logged by no "
                "custody event of this exhibit"
            )
        edit, account = read_edit(run.case, record)
        edits.append((edit, account, record.seq))
    state = replay(asr, edits)
    shown = named_transcript(state)
    review = provenance(state, base.object_sha256, _carried(by_object[e] for e in params.edits))
    return replace(shown, processing={**shown.processing, "review": review})


def _render_json(transcript: Transcript) -> bytes:
    return json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2).encode("utf-8")


REVIEWED: Stage[Transcript] = Stage(
    name="transcript-reviewed",
    version=1,
    action="review",
    filename="transcript.json",
    media_type="application/json",
    compute=_compute_reviewed,
    serialise=_render_json,
    deserialise=lambda data: Transcript.from_dict(json.loads(data)),
    # The base transcript is named by its object hash in the parameters.
    model_sha256=lambda request: request.params.model_sha256 or None,  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class RedactedAudioParams:
    """The redacted time ranges to mute. Keyed on the ranges alone: corrections made after a
    redaction do not make a new copy of the whole recording."""

    ranges: tuple[tuple[float, float], ...]

    def parameters(self) -> dict[str, Any]:
        return {"ranges": [[start, end] for start, end in self.ranges]}


def muted_copy(transcript: Transcript) -> Request[bytes]:
    """The muted copy of the recording that goes out with ``transcript``'s redactions."""
    return Request(REDACTED_AUDIO, RedactedAudioParams(tuple(redactions_of(transcript))))


def _compute_redacted_audio(run: Run, request: Request[bytes]) -> bytes:
    params = request.params
    assert isinstance(params, RedactedAudioParams)
    decoded = run.resource("decoded")
    return wav_bytes(mute(decoded.samples, decoded.sample_rate, params.ranges), decoded.sample_rate)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of mono float samples in [-1, 1]; exact zeros stay exact zeros."""
    pcm = np.clip(np.round(np.asarray(samples, dtype=np.float64) * 32767.0), -32768, 32767)
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(int(rate))
        writer.writeframes(pcm.astype("<i2").tobytes())
    return out.getvalue()


REDACTED_AUDIO: Stage[bytes] = Stage(
    name="audio-redacted",
    version=1,
    action="review",
    filename="audio-redacted.wav",
    media_type="audio/wav",
    compute=_compute_redacted_audio,
    serialise=lambda body: body,
    deserialise=lambda data: data,
)


def newest_shown(case: Case, exhibit_sha256: str) -> Transcript | None:
    """The newest stored transcript of the exhibit as the outputs show it: reviewed, with its
    redactions, when the workbench edited it; None when there is none."""
    run = exhibit_run(case, exhibit_sha256)
    stored = [r for r in list_artefacts(case, exhibit_sha256) if r.stage == TRANSCRIPT.name]
    if not stored:
        return None
    review = reviewed_params(run, stored[-1])
    if review is None:
        return Transcript.from_dict(json.loads(read_verified(case, stored[-1])))
    return run_stage(run, Request(REVIEWED, review)).value


# Stored while making an output (a dossier, a video): not history a dossier shows.
OUTPUT_STAGES = frozenset({REVIEWED.name, REDACTED_AUDIO.name})


def muted_samples(run: Run, transcript: Transcript) -> np.ndarray:
    """The decoded recording as the outputs of ``transcript`` may show it (for plots)."""
    decoded = run.resource("decoded")
    ranges = redactions_of(transcript)
    return mute(decoded.samples, decoded.sample_rate, ranges) if ranges else decoded.samples


__all__ = [
    "OUTPUT_STAGES",
    "REDACTED_AUDIO",
    "REVIEWED",
    "RedactedAudioParams",
    "ReviewedParams",
    "edits_on",
    "muted_copy",
    "muted_samples",
    "newest_shown",
    "redactions_of",
    "review_of",
    "reviewed_params",
    "shown_transcript",
]
