"""``earwitness report``: from received recordings to one dossier each.

Steps per recording, each a small function:

    ingest -> decode once -> examine | transcribe (side by side) -> store -> render dossier

The examination and the speech stages get the same decoded samples: nothing is decoded twice.
Both results are derived artefacts keyed by input hash, tool version, parameters and model, so a
report that was interrupted resumes with the stages still missing, and a repeated report
recomputes nothing. The dossier folder is written beside its final place and renamed into it
when complete: a folder that exists is a finished dossier.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from earwitness import __version__
from earwitness.forensics.examine import ExamOptions, ExhibitFacts, examine
from earwitness.jobs.examine import exhibit_facts, store_examination, stored_examination
from earwitness.jobs.transcribe import (
    Rendering,
    render,
    store_transcript,
    stored_transcript,
)
from earwitness.media.decode import DecodedAudio, decode_audio, resample
from earwitness.speech.asr import Recognizer
from earwitness.speech.models import ResolvedModel, resolve_model
from earwitness.speech.transcribe import Progress, TranscribeOptions, transcribe
from earwitness.speech.types import Transcript
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from earwitness.vault.intake import Outcome, Status, ingest_paths


@dataclass(frozen=True)
class ReportOptions:
    exam: ExamOptions = field(default_factory=ExamOptions)
    speech: TranscribeOptions = field(default_factory=TranscribeOptions)
    model_spec: str | None = None
    device: str = "auto"


@dataclass
class FileReport:
    """One line of the run summary."""

    name: str
    sha256: str
    duration_s: float
    edit_score: float
    language: str | None
    speakers: int
    dossier: Path
    seconds: dict[str, float] = field(default_factory=dict)  # per stage, wall clock
    reused: list[str] = field(default_factory=list)  # stages answered from the case


class SpeechEngine:
    """The speech model of one report run, checked against its manifest and loaded once for
    all its recordings (a leak is many files; each load re-hashes ~150 MB of weights)."""

    def __init__(self, options: ReportOptions) -> None:
        self.model: ResolvedModel = resolve_model(options.model_spec)
        self._device = options.device
        self._recognizer: Recognizer | None = None

    @property
    def recognizer(self) -> Recognizer:
        if self._recognizer is None:  # only when a recording is not answered from the case
            self._recognizer = Recognizer(self.model, device=self._device)
        return self._recognizer


def _timed(seconds: dict[str, float], stage: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[stage] = round(time.perf_counter() - started, 3)


def report_paths(
    case: Case,
    paths: Sequence[Path],
    out_dir: Path,
    options: ReportOptions,
    *,
    progress: Progress = lambda *_: None,
    on_outcome: Callable[[Outcome], None] | None = None,
    source: str | None = None,
) -> list[FileReport]:
    """Ingest ``paths`` into ``case`` and write a dossier per recording under ``out_dir``."""
    outcomes = ingest_paths(case, paths, source=source, on_outcome=on_outcome)
    reports = []
    seen: set[str] = set()
    engine: SpeechEngine | None = None
    for outcome in outcomes:
        if outcome.sha256 is None or outcome.sha256 in seen or not outcome.is_media:
            continue
        if outcome.status not in (Status.INGESTED, Status.WARNING, Status.NOTE):
            continue
        seen.add(outcome.sha256)
        engine = engine or SpeechEngine(options)
        reports.append(
            report_exhibit(case, outcome.sha256, out_dir, options, progress=progress, engine=engine)
        )
    return reports


def _examine_stage(
    case: Case, facts: ExhibitFacts, decoded: DecodedAudio, options: ReportOptions
) -> tuple[dict[str, Any], bool]:
    stored = stored_examination(case, facts.sha256, options.exam)
    if stored is not None:
        return stored, True
    return examine(decoded.samples, decoded.sample_rate, facts, options.exam).report, False


def _speech_stage(
    case: Case,
    sha256: str,
    decoded: DecodedAudio,
    options: ReportOptions,
    engine: SpeechEngine,
    progress: Progress,
) -> tuple[Transcript, bool]:
    stored = stored_transcript(case, sha256, options.speech, engine.model)
    if stored is not None:
        return stored, True
    samples16k = resample(decoded.samples, decoded.sample_rate, 16000)
    transcript = transcribe(
        samples16k, engine.recognizer, options.speech, exhibit_sha256=sha256, progress=progress
    )
    return transcript, False


def report_exhibit(
    case: Case,
    sha256: str,
    out_dir: Path,
    options: ReportOptions,
    *,
    progress: Progress = lambda *_: None,
    engine: SpeechEngine | None = None,
) -> FileReport:
    facts = exhibit_facts(case, sha256)
    seconds: dict[str, float] = {}
    engine = engine or SpeechEngine(options)
    model = engine.model
    decoded = _timed(seconds, "decode", lambda: decode_audio(case.store.path_for(sha256)))
    # Two workers: CTranslate2 and NumPy release the GIL, so the stages overlap on two cores.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="earwitness-stage") as pool:
        exam_job = pool.submit(
            _timed, seconds, "examine", lambda: _examine_stage(case, facts, decoded, options)
        )
        speech_job = pool.submit(
            _timed,
            seconds,
            "transcribe",
            lambda: _speech_stage(case, sha256, decoded, options, engine, progress),
        )
        examination, exam_reused = exam_job.result()
        transcript, speech_reused = speech_job.result()
    # Stored from this thread, after both: the custody log takes one writer at a time.
    if not exam_reused:
        store_examination(case, sha256, examination, options.exam)
    if not speech_reused:
        store_transcript(case, transcript, options.speech, model)
    folder = out_dir / _folder_name(facts.filename, sha256)
    _timed(
        seconds,
        "dossier",
        lambda: write_dossier(
            case, facts, folder, decoded, examination, transcript, options, model
        ),
    )
    speakers = (transcript.processing.get("diarization") or {}).get("speakers", [])
    return FileReport(
        name=facts.filename,
        sha256=sha256,
        duration_s=round(len(decoded.samples) / decoded.sample_rate, 3),
        edit_score=float(examination["summary"]["edit_score"]),
        language=transcript.language,
        speakers=len(speakers),
        dossier=folder / "index.html",
        seconds=seconds,
        reused=[
            stage
            for stage, used in (("examine", exam_reused), ("transcribe", speech_reused))
            if used
        ],
    )


def _folder_name(filename: str, sha256: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(filename).stem)
    return f"{stem[:60] or 'recording'}-{sha256[:12]}"


def verify_commands(case: Case, sha256: str, filename: str, options: ReportOptions) -> list[str]:
    """What a reader runs to reproduce each result from the original."""
    speech = options.speech
    transcribe_args = [f"earwitness transcribe {sha256[:12]} --format json"]
    if speech.decode.language:
        transcribe_args.append(f"--language {speech.decode.language}")
    if speech.translate_to:
        transcribe_args.append(f"--translate {speech.translate_to}")
    if not speech.diarize:
        transcribe_args.append("--speakers none")
    elif speech.num_speakers:
        transcribe_args.append(f"--speakers {speech.num_speakers}")
    if options.model_spec:
        transcribe_args.append(f"--model {options.model_spec}")
    nominal = options.exam.enf_nominal
    return [
        f"sha256sum '{filename}'   # must print {sha256}",
        f"earwitness verify --case '{case.paths.root}'   # every object and custody event",
        f"earwitness log {sha256[:12]}   # who did what to this recording, signed",
        f"earwitness examine {sha256[:12]} --format json"
        + (f" --enf-nominal {nominal:g}" if nominal else ""),
        " ".join(transcribe_args),
        "earwitness models   # the model files and their SHA-256",
    ]


def write_dossier(
    case: Case,
    facts: ExhibitFacts,
    folder: Path,
    decoded: DecodedAudio,
    examination: dict[str, Any],
    transcript: Transcript,
    options: ReportOptions,
    model: ResolvedModel,
) -> None:
    """Write the dossier folder whole, or not at all."""
    from earwitness.formats.dossier import DossierInputs, render_dossier, write_pdf

    sha256 = facts.sha256
    original = case.store.path_for(sha256)
    suffix = Path(facts.filename).suffix.lower() or ".bin"
    custody = [asdict(e) for e in iter_events(case.paths.custody) if e.exhibit in (sha256, None)]
    first_intake = next((e for e in custody if e["action"] == "ingest"), {})
    exhibit = {
        "sha256": sha256,
        "filename": facts.filename,
        "size_bytes": facts.size_bytes,
        "media": facts.media,
        "received_at": facts.received_at,
        "received_by": first_intake.get("actor"),
        "source": (first_intake.get("details") or {}).get("source"),
        "note": (first_intake.get("details") or {}).get("note"),
    }
    inputs = DossierInputs(
        exhibit=exhibit,
        custody=custody,
        examination=examination,
        transcript=transcript.to_dict(),
        samples=np.asarray(decoded.samples, dtype=np.float32),
        sample_rate=decoded.sample_rate,
        audio_href=f"original{suffix}",
        audio_mime=_mime(suffix),
        tool={"earwitness": __version__, "models": {model.name: model.sha256}},
        verify_commands=verify_commands(case, sha256, facts.filename, options),
        generated_at=examination.get("created_at", ""),
    )
    html = render_dossier(inputs)
    title = f"Transcript of {facts.filename}"
    rendering = Rendering(
        bilingual=True,
        title=title,
        facts=(("Recording", facts.filename), ("SHA-256", sha256)),
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}-*"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        shutil.copyfile(original, staging / f"original{suffix}")
        (staging / "index.html").write_text(html, encoding="utf-8")
        (staging / "examination.json").write_bytes(_json(examination))
        for fmt, name in (
            ("json", "transcript.json"),
            ("srt", "transcript.srt"),
            ("vtt", "transcript.vtt"),
            ("docx", "transcript.docx"),
        ):
            (staging / name).write_bytes(render(transcript, fmt, rendering))
        write_pdf(html, staging / "dossier.pdf")
        if folder.exists():  # an older dossier of the same recording: replaced whole
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _json(data: dict[str, Any]) -> bytes:
    import json

    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _mime(suffix: str) -> str:
    return {
        ".mp3": "audio/mpeg",
        ".wav": "audio/wav",
        ".flac": "audio/flac",
        ".ogg": "audio/ogg",
        ".opus": "audio/ogg",
        ".m4a": "audio/mp4",
        ".aac": "audio/aac",
        ".mp4": "video/mp4",
        ".webm": "audio/webm",
    }.get(suffix, "application/octet-stream")
