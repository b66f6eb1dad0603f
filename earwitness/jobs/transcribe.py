"""The speech stages: the transcript (JSON) and each rendering of it (SRT, VTT, DOCX, …).

``TRANSCRIPT`` runs the speech pipeline on the run's 16 kHz samples with one model, recorded
by its hash, and, when English is asked for, with the translation models installed here (their
hashes are part of the request: installing one makes the English anew). A rendering stage per
transcript format draws that stored transcript into a file.
Both are logged under the custody action ``transcribe``, and both are answered from the case
(verified) when the same request was made before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earwitness.formats.transcript_formats import (
    TRANSCRIPT_FORMATS,
    Rendering,
    TranscriptFormat,
    render_transcript,
)
from earwitness.formats.transcript_json import render_json
from earwitness.jobs.engine import Request, Run, Stage, run_stage
from earwitness.jobs.recording import (
    SPEECH_DECODER,
    exhibit_facts,
    exhibit_run,
    file_run,
    mmap_threshold_for,
)
from earwitness.media.heap import bound_heap, set_mmap_threshold
from earwitness.speech.models import (
    ResolvedModel,
    installed_translation_model,
    installed_translation_models,
    resolve_model,
    translation_model_for,
)
from earwitness.speech.recogniser import Recogniser, TranslationEngine
from earwitness.speech.transcribe import Progress, TranscribeOptions, no_progress
from earwitness.speech.types import Transcript
from earwitness.vault.case import Case

if TYPE_CHECKING:
    from earwitness.jobs.reviewed import ReviewedParams


@dataclass(frozen=True)
class TranscriptParams:
    options: TranscribeOptions
    model: ResolvedModel = field(hash=False, compare=False)
    # The text translation models that may write the English, each verified when asked for.
    translators: tuple[ResolvedModel, ...] = field(default=(), hash=False, compare=False)

    def parameters(self) -> dict[str, Any]:
        params: dict[str, Any] = {**self.options.parameters(), "decoder": SPEECH_DECODER}
        if self.translators:
            params["translation_models"] = {m.name: m.sha256 for m in self.translators}
        return params


def transcript_params(options: TranscribeOptions, model_spec: str | None) -> TranscriptParams:
    """The transcript request: the speech model, and the translation models installed for the
    language when English is asked for (all of them when the language is to be detected)."""
    translators: tuple[ResolvedModel, ...] = ()
    if options.translate_to:
        language = options.decode.language
        if language:
            found = installed_translation_model(language)
            translators = (found,) if found else ()
        else:
            translators = tuple(installed_translation_models())
    return TranscriptParams(options, resolve_model(model_spec), translators)


def _translator_for(
    run: Run, params: TranscriptParams
) -> Callable[[str], TranslationEngine | None]:
    """The loaded text translator for a language, or None: Whisper then translates."""

    def translator_for(language: str) -> TranslationEngine | None:
        model = translation_model_for(language, list(params.translators))
        if model is None:
            return None
        key = f"translator:{model.sha256}"
        if key not in run.resources:
            from earwitness.speech.translator import TextTranslator

            run.resources[key] = lambda: TextTranslator(model)
        return run.resource(key)

    return translator_for


def _recognizer(run: Run, params: TranscriptParams) -> Recogniser:
    """The run's speech engine, loaded once (a report may hand one in for many recordings)."""
    if "recognizer" not in run.resources:
        from earwitness.speech.asr import Recognizer, workers_for

        device = run.resources.get("device", lambda: "auto")()
        workers = workers_for(params.options.translate_to)
        run.resources["recognizer"] = lambda: Recognizer(
            params.model, device=device, workers=workers
        )
    return run.resource("recognizer")


def _compute_transcript(run: Run, request: Request[Transcript]) -> Transcript:
    from earwitness.speech.transcribe import transcribe

    params = request.params
    assert isinstance(params, TranscriptParams)
    progress = run.resources.get("progress", lambda: no_progress)()
    # Before the model's threads start (media/heap.py); ``report`` does the same for its run.
    bound_heap()
    set_mmap_threshold(mmap_threshold_for(run.resource("facts").media))
    return transcribe(
        run.resource("speech"),
        _recognizer(run, params),
        params.options,
        exhibit_sha256=run.exhibit_sha256,
        progress=progress,
        translator_for=_translator_for(run, params),
    )


TRANSCRIPT: Stage[Transcript] = Stage(
    name="transcript",
    # Not raised when only the English's sharing among segments or the runtime record
    # changed (the translation's method and processing.runtime name those): a new version
    # makes every recording's next report transcribe again, and a new transcript starts a
    # new review, so the team's corrections would drop out of every dossier.
    version=1,
    action="transcribe",
    filename="transcript.json",
    media_type=TRANSCRIPT_FORMATS["json"].media_type,
    compute=_compute_transcript,
    serialise=render_json,
    deserialise=lambda data: Transcript.from_dict(json.loads(data)),
    model_sha256=lambda request: request.params.model.sha256,  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class RenderParams:
    transcript: TranscriptParams
    bilingual: bool = True
    name: str = ""  # the recording's name, for the title and the facts table
    mark_unsure: bool | None = None  # None: each format's default (Rendering.mark_unsure)
    # The reviewed version the rendering shows (jobs/reviewed.py); None for the ASR's.
    review: ReviewedParams | None = None

    def parameters(self) -> dict[str, Any]:
        params = {**self.transcript.parameters(), "bilingual": self.bilingual, "name": self.name}
        if self.mark_unsure is not None:  # part of the stored rendering's key when asked for
            params["mark_unsure"] = self.mark_unsure
        if self.review is not None:  # absent for the ASR's, so stored renderings stay valid
            params["review"] = self.review.parameters()
        return params

    def shown(self) -> Request[Transcript]:
        """The transcript this rendering shows: the reviewed version when there are edits."""
        # reviewed.py builds on this module's TRANSCRIPT stage: imported here, not at the top.
        from earwitness.jobs.reviewed import shown_transcript

        return shown_transcript(self.transcript, self.review)


def rendering_for(transcript: Transcript, params: RenderParams) -> Rendering:
    name = params.name or transcript.exhibit_sha256[:12]
    return Rendering(
        bilingual=params.bilingual,
        mark_unsure=params.mark_unsure,
        title=f"Transcript of {name}",
        facts=(
            ("Recording", name),
            ("SHA-256", transcript.exhibit_sha256),
            ("Language", transcript.language or "unknown"),
            ("Model", f"{transcript.model_name} (SHA-256 {transcript.model_sha256})"),
            *_translation_fact(transcript),
            *_version_fact(transcript),
        ),
    )


def _version_fact(transcript: Transcript) -> tuple[tuple[str, str], ...]:
    """Which version the rendering shows ("ASR + 23 corrections by 2 reviewers")."""
    from earwitness.reports.dossier_transcript import version_shown

    return (("Version", version_shown(transcript)),)


def _translation_fact(transcript: Transcript) -> tuple[tuple[str, str], ...]:
    if transcript.translation is None:
        return ()
    method = transcript.translation_method or "whisper-translate"
    if transcript.translation_model_name:
        method += (
            f"; {transcript.translation_model_name} (SHA-256 {transcript.translation_model_sha256})"
        )
    return (("Translation", method),)


def _rendering_stage(entry: TranscriptFormat) -> Stage[bytes]:
    def compute(run: Run, request: Request[bytes]) -> bytes:
        params = request.params
        assert isinstance(params, RenderParams)
        transcript = run.value(params.shown())
        return render_transcript(transcript, entry, rendering_for(transcript, params))

    return Stage(
        name=f"transcript-{entry.name}",
        version=3,  # 2: unsure words marked (text and DOCX by default); 3: the version shown
        action="transcribe",
        filename=entry.filename,
        media_type=entry.media_type,
        compute=compute,
        serialise=lambda body: body,
        deserialise=lambda data: data,
        inputs=lambda request: (request.params.shown(),),  # type: ignore[attr-defined]
        model_sha256=lambda request: request.params.transcript.model.sha256,  # type: ignore[attr-defined]
    )


# One rendering stage per transcript format but JSON (which is the transcript itself).
RENDERINGS: dict[str, Stage[bytes]] = {
    name: _rendering_stage(entry) for name, entry in TRANSCRIPT_FORMATS.items() if name != "json"
}


@dataclass(frozen=True)
class TranscribeOutcome:
    transcript: Transcript  # as shown: the reviewed version once the workbench edited it
    reused: bool
    body: bytes = b""  # the asked-for rendering's bytes (for json: the stored transcript)
    name: str = ""  # the recording's name
    asr_sha256: str | None = None  # the stored ASR transcript's object (None outside a case)


def _outcome(run: Run, params: RenderParams, output_format: str) -> TranscribeOutcome:
    """The transcript and its rendering as every output shows it: in a case whose workbench
    edited the transcript, the reviewed version, so a redacted range is never printed."""
    from earwitness.jobs.reviewed import review_of  # reviewed.py builds on this module

    made = run_stage(run, Request(TRANSCRIPT, params.transcript))
    params = replace(params, review=review_of(run, params.transcript))
    shown = run_stage(run, params.shown())
    body = shown.data
    if output_format != "json":
        body = run.value(Request(RENDERINGS[output_format], params))
    asr = made.record.object_sha256 if made.record is not None else None
    return TranscribeOutcome(shown.value, made.reused, body, params.name, asr)


def transcribe_file(
    path: Path,
    options: TranscribeOptions,
    model_spec: str | None,
    progress: Progress,
    *,
    output_format: str = "json",
    bilingual: bool = True,
    mark_unsure: bool | None = None,
) -> TranscribeOutcome:
    """Transcribe a file that is not in a case; nothing is stored or logged."""
    run = file_run(path)
    run.resources["progress"] = lambda: progress
    params = RenderParams(transcript_params(options, model_spec), bilingual, path.name, mark_unsure)
    return _outcome(run, params, output_format)


def transcribe_exhibit(
    case: Case,
    sha256: str,
    options: TranscribeOptions,
    model_spec: str | None,
    progress: Progress,
    *,
    output_format: str = "json",
    bilingual: bool = True,
    force: bool = False,
    mark_unsure: bool | None = None,
) -> TranscribeOutcome:
    """The transcript of an exhibit (and the asked-for rendering): verified from the case, or
    made, stored and logged."""
    run = exhibit_run(case, sha256, force=force)
    run.resources["progress"] = lambda: progress
    name = exhibit_facts(case, sha256).filename
    params = RenderParams(transcript_params(options, model_spec), bilingual, name, mark_unsure)
    return _outcome(run, params, output_format)
