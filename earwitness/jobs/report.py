"""``earwitness report``: from received recordings to one dossier each.

Steps per recording, each a stage of the engine (``jobs/engine.py``):

    ingest -> decode once -> examine | transcribe (side by side) -> dossier page, PDF,
    subtitles, DOCX -> folder

The examination and the speech stages read the same decoded samples: nothing is decoded
twice. Every result, each file of the dossier included, is a derived artefact keyed by input
hash, tool version, parameters and model, verified before it is reused: a report that was
interrupted resumes with the stages still missing, and a repeated report recomputes nothing.
The dossier folder is written beside its final place from the stored bytes and renamed into
it when complete: a folder that exists is a finished dossier.
"""

from __future__ import annotations

import gc
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from earwitness.forensics.truncation import shortfall
from earwitness.jobs.dossier import (
    DOSSIER_HTML,
    DOSSIER_PDF,
    DRAWN,
    REDACTED_AUDIO_NAME,
    DossierParams,
    custody_head,
    draw_ahead_of_page,
    original_suffix,
)
from earwitness.jobs.engine import Request, Run, StageResult, run_side_by_side, run_stage
from earwitness.jobs.examine import EXAMINATION, ExamParams
from earwitness.jobs.options import ReportOptions
from earwitness.jobs.recording import (
    SHORT_RUN_MAX_S,
    exhibit_run,
    is_short,
    mmap_threshold_for,
)
from earwitness.jobs.reviewed import muted_copy, redactions_of, review_of
from earwitness.jobs.transcribe import (
    RENDERINGS,
    TRANSCRIPT,
    RenderParams,
    TranscriptParams,
    transcript_params,
)
from earwitness.media.heap import bound_heap, set_mmap_threshold, trim_heap
from earwitness.reports.drawn import Drawn
from earwitness.reports.report_index import IndexRow
from earwitness.speech.models import ResolvedModel
from earwitness.speech.transcribe import Progress
from earwitness.text import shell_word
from earwitness.vault.case import Case
from earwitness.vault.intake import Outcome, Status, ingest_paths

DOSSIER_RENDERINGS = ("srt", "vtt", "docx")
# Recordings up to this long (``recording.is_short``) are examined and transcribed side by side
# (two cores, faster); longer ones, or of unknown length, one stage after the other, to bound
# memory.
SIDE_BY_SIDE_MAX_S = SHORT_RUN_MAX_S


@dataclass(frozen=True)
class FileReport(IndexRow):
    """One line of the run summary: the index's row, and how the stages went."""

    seconds: dict[str, float] = field(default_factory=dict)  # per stage, wall clock
    reused: list[str] = field(default_factory=list)  # stages answered from the case


class SpeechEngine:
    """The speech model of one report run, checked against its manifest and loaded once for
    all its recordings (a leak is many files; each load re-hashes ~150 MB of weights)."""

    def __init__(self, options: ReportOptions) -> None:
        self.params = transcript_params(options.speech, options.model_spec)
        self.model: ResolvedModel = self.params.model
        self._device = options.device
        self._translate_to = options.speech.translate_to
        self._recognizer: Any = None

    @property
    def recognizer(self) -> Any:
        if self._recognizer is None:  # only when a recording is not answered from the case
            from earwitness.speech.asr import Recognizer, workers_for

            workers = workers_for(self._translate_to)
            self._recognizer = Recognizer(self.model, device=self._device, workers=workers)
        return self._recognizer

    def unload(self) -> None:
        """Let the weights go (the dossier of the last recording needs the memory)."""
        self._recognizer = None
        gc.collect()
        trim_heap()


def _timed(seconds: dict[str, float], stage: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    try:
        return work()
    finally:
        seconds[stage] = round(seconds.get(stage, 0.0) + time.perf_counter() - started, 3)


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
    chosen: dict[str, None] = {}
    for outcome in outcomes:
        if outcome.sha256 is None or not outcome.is_media:
            continue
        if outcome.status in (Status.INGESTED, Status.WARNING, Status.NOTE):
            chosen.setdefault(outcome.sha256, None)
    reports = []
    engine = SpeechEngine(options) if chosen else None
    for number, sha256 in enumerate(chosen, start=1):
        assert engine is not None
        reports.append(
            report_exhibit(
                case,
                sha256,
                out_dir,
                options,
                progress=progress,
                engine=engine,
                last=number == len(chosen),
            )
        )
    return reports


def report_exhibit(
    case: Case,
    sha256: str,
    out_dir: Path,
    options: ReportOptions,
    *,
    progress: Progress = lambda *_: None,
    engine: SpeechEngine | None = None,
    last: bool = True,
) -> FileReport:
    """The dossier of one exhibit. ``last``: no recording follows in this run, so the speech
    model is let go before the dossier is drawn."""
    bound_heap()  # before the stages' threads start: they share two arenas (media/heap.py)
    engine = engine or SpeechEngine(options)
    seconds: dict[str, float] = {}
    run = exhibit_run(case, sha256, force=options.force)
    decode = run.resources["decoded"]
    run.resources.update(
        decoded=lambda: _timed(seconds, "decode", decode),
        recognizer=lambda: engine.recognizer,
        progress=lambda: progress,
        check_progress=lambda: lambda _check, done, total: progress("examination", done, total),
    )
    run.resources[DRAWN] = lambda: Drawn.of(run.resource("decoded"))
    facts = run.resource("facts")
    long = not is_short(facts.media)
    set_mmap_threshold(mmap_threshold_for(facts.media))
    exam_params = ExamParams(options.exam)
    speech_params = engine.params
    requests: list[Request[Any]] = [
        Request(EXAMINATION, exam_params),
        Request(TRANSCRIPT, speech_params),
    ]
    if long:
        # Whisper's batches and an hour of examination at once would pass a laptop's memory:
        # one after the other (each works through the recording in blocks), the memory one
        # freed handed back before the next.
        done = []
        for request in requests:
            done.append(run_side_by_side(run, [request], seconds)[0])
            trim_heap()
        exam, speech = done
    else:
        # The page's plots of the recording are drawn on the examination's worker while the
        # speech is still being decoded: the page then has only the transcript left to lay out.
        ahead = {EXAMINATION.name: lambda examined: draw_ahead_of_page(run, examined)}
        exam, speech = run_side_by_side(run, requests, seconds, then=ahead)
    if last:
        run.forget("recognizer")
        engine.unload()
    files = _timed(
        seconds,
        "dossier",
        lambda: _dossier_files(run, facts.filename, exam_params, speech_params, options),
    )
    folder = out_dir / _folder_name(facts.filename, sha256)
    write_folder(folder, files)
    transcript = speech.value
    speakers = (transcript.processing.get("diarization") or {}).get("speakers", [])
    return FileReport(
        name=facts.filename,
        sha256=sha256,
        duration_s=round(float(exam.value.report.get("duration_s", 0.0)), 3),
        edit_score=float(exam.value.report["summary"]["edit_score"]),
        log10_lr=exam.value.report["summary"].get("log10_lr"),
        shortfall=shortfall(exam.value.report.get("findings") or []),
        language=transcript.language,
        speakers=len(speakers),
        dossier=folder / "index.html",
        seconds=seconds,
        reused=[
            stage for stage, result in (("examine", exam), ("transcribe", speech)) if result.reused
        ],
    )


def _dossier_files(
    run: Run,
    filename: str,
    exam_params: ExamParams,
    speech_params: TranscriptParams,
    options: ReportOptions,
) -> dict[str, bytes | Path]:
    """Each file of the dossier: name in the folder -> the verified bytes (or the verified
    original's path, copied, not read into memory)."""
    assert run.case is not None
    review = review_of(run, speech_params)
    params = DossierParams(
        exam_params,
        speech_params,
        custody_head(run),
        tuple(verify_commands(run.case, run.exhibit_sha256, filename, options)),
        review,
    )
    files: dict[str, bytes | Path] = {}
    shown = run_stage(run, params.shown())
    if redactions_of(shown.value):
        # The original is not handed out once part of it is redacted: the muted copy is.
        files[REDACTED_AUDIO_NAME] = run_stage(run, muted_copy(shown.value)).data
    else:
        files[f"original{original_suffix(filename)}"] = run.resource("path")
    page: StageResult[str] = run_stage(run, Request(DOSSIER_HTML, params))
    files["index.html"] = page.data
    files["dossier.pdf"] = run_stage(run, Request(DOSSIER_PDF, params)).data
    files["examination.json"] = run_stage(run, Request(EXAMINATION, exam_params)).data
    files["transcript.json"] = shown.data
    rendering = RenderParams(speech_params, bilingual=True, name=filename, review=review)
    for fmt in DOSSIER_RENDERINGS:
        files[f"transcript.{fmt}"] = run_stage(run, Request(RENDERINGS[fmt], rendering)).data
    return files


def _folder_name(filename: str, sha256: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(filename).stem)
    return f"{stem[:60] or 'recording'}-{sha256[:12]}"


def verify_commands(case: Case, sha256: str, filename: str, options: ReportOptions) -> list[str]:
    """What a reader runs to reproduce each result from the original."""
    ref = sha256[:12]
    examine = ["earwitness", "examine", ref, "--format", "json", *options.exam.to_cli_args()]
    transcribe = ["earwitness", "transcribe", ref, "--format", "json"]
    return [
        f"sha256sum {shell_word(filename)}   # must print {sha256}",
        # No case path: the dossier may be published, and a path can name its owner.
        "earwitness verify   # in the case folder: every object and custody event",
        f"earwitness log {ref}   # who did what to this recording, signed",
        shlex.join(examine),
        shlex.join([*transcribe, *options.transcribe_cli_args()]),
        "earwitness models   # the model files and their SHA-256",
    ]


def write_folder(folder: Path, files: dict[str, bytes | Path]) -> None:
    """Write the dossier folder whole, or not at all."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    for stale in folder.parent.glob(f".{folder.name}-*"):  # left by a killed run
        shutil.rmtree(stale, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, content in files.items():
            if isinstance(content, Path):
                shutil.copyfile(content, staging / name)
            else:
                (staging / name).write_bytes(content)
        if folder.exists():  # an older dossier of the same recording: replaced whole
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
