"""From 16 kHz samples to a ``Transcript``: a pipeline of small named steps.

    find_speech -> recognise (and Whisper's translation) -> guard -> label_speakers
        -> translate -> assemble

English comes from a text translation model when one is installed for the spoken language
(``translator_for``), else from Whisper's translate task, decoded beside the transcription
from the same encoder pass when the engine can (``TwoTaskRecogniser``). The transcript records
which.

Each step is a function of what the previous ones produced, so each can be tested alone and a
failure names the step. ``transcribe`` runs them in order and reports progress as seconds of
speech done out of seconds of speech found.

``recognise`` and ``translate`` go through a ``recogniser.Recogniser``, so any speech engine
that offers that protocol can stand in for faster-whisper. ``TranscribeOptions`` lives in
``options`` (no NumPy there, for the command line) and stays importable from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np

from earwitness.speech import guards
from earwitness.speech.align import align_translation
from earwitness.speech.confidence import needs_checking
from earwitness.speech.options import TRANSLATION_TARGETS, DecodeOptions, TranscribeOptions
from earwitness.speech.recogniser import (
    Detected,
    Recogniser,
    Task,
    TranslationEngine,
    TwoTaskRecogniser,
)
from earwitness.speech.turns import (  # placement of turns on words; importable from here
    split_at_speaker_changes as split_at_speaker_changes,
)
from earwitness.speech.types import Segment, Transcript
from earwitness.speech.vad import SAMPLE_RATE, SpeechMap, speech_regions

if TYPE_CHECKING:
    from earwitness.speech.diarize import Diarization

Progress = Callable[[str, float, float], None]  # (stage, done seconds, total seconds)
# The text translation model installed for a spoken language, loaded, or None for none.
TranslatorFor = Callable[[str], TranslationEngine | None]
WHISPER_TRANSLATION = "whisper-translate, shared by the words spoken in its time"


def no_translator(_language: str) -> TranslationEngine | None:
    return None


def no_progress(_stage: str, _done: float, _total: float) -> None:
    return None


def find_speech(samples16k: np.ndarray) -> SpeechMap:
    return SpeechMap.build(speech_regions(samples16k))


def recognise(
    recognizer: Recogniser,
    samples16k: np.ndarray,
    speech: SpeechMap,
    options: DecodeOptions,
    progress: Progress,
    *,
    task: Task = "transcribe",
) -> tuple[list[Segment], Detected]:
    segments, detected = recognizer.recognise(samples16k, speech, options, task=task)
    return _collect(segments, speech, progress, task), detected


def recognise_with_translation(
    recognizer: TwoTaskRecogniser,
    samples16k: np.ndarray,
    speech: SpeechMap,
    options: DecodeOptions,
    progress: Progress,
    translate_from: Callable[[str], bool],
) -> tuple[list[Segment], list[Segment] | None, Detected]:
    """The transcription and, where ``translate_from(language)``, Whisper's English, decoded
    together window by window (one encoder pass for both)."""
    batches, detected = recognizer.recognise_tasks(
        samples16k, speech, options, translate_from=translate_from
    )
    originals: list[Segment] = []
    english: list[Segment] | None = None

    def transcribed() -> Iterator[Segment]:
        nonlocal english
        for batch in batches:
            if "translate" in batch:
                english = (english or []) + batch["translate"]
            yield from batch["transcribe"]

    originals = _collect(transcribed(), speech, progress, "transcribe")
    return originals, english, detected


def _collect(
    segments: Iterable[Segment], speech: SpeechMap, progress: Progress, stage: str
) -> list[Segment]:
    total = speech.speech_seconds
    done_regions = 0
    done = 0.0
    collected = []
    for segment in segments:
        collected.append(segment)
        while done_regions < len(speech.regions) and speech.regions[done_regions][1] <= segment.end:
            start, end = speech.regions[done_regions]
            done += end - start
            done_regions += 1
        progress(stage, min(done, total), total)
    progress(stage, total, total)
    return collected


def guard(segments: list[Segment]) -> tuple[list[Segment], guards.GuardReport]:
    report = guards.GuardReport()
    kept = list(guards.guard(segments, report))
    renumbered = [dataclasses.replace(s, id=number) for number, s in enumerate(kept)]
    return renumbered, report


def translate(
    recognizer: Recogniser,
    samples16k: np.ndarray,
    speech: SpeechMap,
    originals: list[Segment],
    options: DecodeOptions,
    progress: Progress,
    english: list[Segment] | None = None,
) -> tuple[Segment, ...]:
    """English lines for ``originals`` from Whisper's translate task on the same windows:
    ``english`` where it was decoded beside the transcription, else decoded now."""
    if english is None:
        english, _ = recognise(recognizer, samples16k, speech, options, progress, task="translate")
    report = guards.GuardReport()
    return align_translation(originals, list(guards.guard(english, report)))


def translate_text(
    translator: TranslationEngine, originals: list[Segment], progress: Progress
) -> tuple[Segment, ...]:
    """English lines for ``originals`` from a text translation model."""
    progress("translate", 0.0, 1.0)
    return translator.translate(originals, lambda done, total: progress("translate", done, total))


def find_turns(samples16k: np.ndarray, speech: SpeechMap, num_speakers: int | None) -> Diarization:
    """Who speaks when, from the voices in ``speech`` alone (``diarize``). It needs no
    transcript, so ``transcribe`` runs it while the words are decoded."""
    from earwitness.speech import speaker_encoder
    from earwitness.speech.diarize import diarize_with_evidence

    encoder = speaker_encoder.SpeakerEncoder()
    return diarize_with_evidence(
        samples16k, speech.regions, num_speakers=num_speakers, encoder=encoder
    )


def label_speakers(
    samples16k: np.ndarray,
    speech: SpeechMap,
    segments: list[Segment],
    num_speakers: int | None,
    progress: Progress,
    finding: Future[Diarization] | None = None,
) -> tuple[list[Segment], dict[str, object]]:
    """Speakers on ``segments`` and their words, cut where the speaker changes: turns from
    ``diarize`` (``finding`` them already, when given), placed on the words by ``turns`` (no
    change inside a sentence unless the voices say so). With ``num_speakers``
    the transcript names exactly that many speakers, unless the recording has too little
    speech or too few words; the facts then say why in ``notes``."""
    from earwitness.speech import speaker_encoder
    from earwitness.speech.diarize import assign_speakers
    from earwitness.speech.turns import settle_segments

    total = speech.speech_seconds
    progress("speakers", 0.0, total)
    found = find_turns(samples16k, speech, num_speakers) if finding is None else finding.result()
    progress("speakers", total, total)
    required = frozenset(label for _, _, label in found.turns) if num_speakers else frozenset()
    labelled, report = settle_segments(
        assign_speakers(segments, found.turns), found.turns, found.margins, required=required
    )
    named = {w.speaker for s in labelled for w in s.words} | {s.speaker for s in labelled}
    speakers = sorted((label for label in named if label), key=lambda label: int(label[1:]))
    notes = list(found.notes)
    if num_speakers and len(speakers) < num_speakers and not notes:
        count = sum(len(s.words) or 1 for s in segments)
        notes.append(
            f"{num_speakers} speakers were asked for, but only {len(speakers)} could be given "
            f"words: the transcript holds {count} word{'s' * (count != 1)}"
        )
    facts: dict[str, object] = {
        "model": speaker_encoder.MODEL_NAME,
        "model_sha256": speaker_encoder.WEIGHTS_SHA256,
        "speakers": speakers,
        "turns": len(found.turns),
        **report.facts(),
    }
    if notes:
        facts["notes"] = notes
    return labelled, facts


def transcribe(
    samples16k: np.ndarray,
    recognizer: Recogniser,
    options: TranscribeOptions,
    *,
    exhibit_sha256: str,
    progress: Progress = no_progress,
    translator_for: TranslatorFor = no_translator,
) -> Transcript:
    """Transcribe (and translate, and label speakers in) one 16 kHz mono recording.

    ``recognizer`` is any speech engine that satisfies ``recogniser.Recogniser``; speech is
    found, guarded and attributed to speakers here, the same whichever engine reads it.
    ``translator_for(language)`` is the text translation model installed for the spoken
    language, if any: it then writes the English instead of Whisper.
    """
    if options.translate_to not in (None, *TRANSLATION_TARGETS):
        raise ValueError(f"Whisper translates only into English, not {options.translate_to!r}")
    counts_before = _counted(recognizer)
    speech = find_speech(samples16k)
    with ThreadPoolExecutor(1, "speakers") as beside:
        # The turns come from the voices alone: found beside the decoding, which leaves part
        # of the cores idle, they are ready when the words are.
        turns = None
        if options.diarize:
            turns = beside.submit(find_turns, samples16k, speech, options.num_speakers)
        return _transcribe(
            samples16k,
            speech,
            recognizer,
            options,
            exhibit_sha256,
            progress,
            translator_for,
            turns,
            counts_before,
        )


def _transcribe(
    samples16k: np.ndarray,
    speech: SpeechMap,
    recognizer: Recogniser,
    options: TranscribeOptions,
    exhibit_sha256: str,
    progress: Progress,
    translator_for: TranslatorFor,
    turns: Future[Diarization] | None,
    counts_before: dict[str, dict[str, int]],
) -> Transcript:
    target = options.translate_to
    translators: dict[str, TranslationEngine | None] = {}

    def text_translator(language: str) -> TranslationEngine | None:
        if language not in translators:
            translators[language] = translator_for(language)
        return translators[language]

    def whisper_translates(language: str) -> bool:
        return bool(target) and language != target and text_translator(language) is None

    english: list[Segment] | None = None
    if target and isinstance(recognizer, TwoTaskRecogniser):
        segments, english, detected = recognise_with_translation(
            recognizer, samples16k, speech, options.decode, progress, whisper_translates
        )
    else:
        segments, detected = recognise(recognizer, samples16k, speech, options.decode, progress)
    segments, removed = guard(segments)
    processing: dict[str, object] = {
        "speech_seconds": round(speech.speech_seconds, 3),
        "voice_activity": "silero-vad-v6",
        "guards": {
            "removed": removed.removed,
            "removed_seconds": round(removed.removed_seconds, 3),
        },
        "device": recognizer.device,
    }
    if turns is not None and segments:
        segments, processing["diarization"] = label_speakers(
            samples16k, speech, segments, options.num_speakers, progress, turns
        )
    translation = None
    method = model_name = model_sha256 = None
    if target and detected.language != target and segments:
        chosen = text_translator(detected.language)
        if chosen is not None:
            translation = translate_text(chosen, segments, progress)
            method, model_name, model_sha256 = chosen.method, chosen.model.name, chosen.model.sha256
        else:
            source = dataclasses.replace(options.decode, language=detected.language)
            translation = translate(
                recognizer, samples16k, speech, segments, source, progress, english
            )
            method = WHISPER_TRANSLATION
            model_name, model_sha256 = recognizer.model.name, recognizer.model.sha256
    processing["confidence"] = needs_checking(segments).to_dict()
    runtime = getattr(recognizer, "runtime", None)  # engines that know it say it
    if isinstance(runtime, dict):
        processing["runtime"] = runtime
    processing.update(_counted(recognizer, counts_before))
    return Transcript(
        exhibit_sha256=exhibit_sha256,
        language=detected.language,
        language_probability=detected.probability,
        segments=tuple(segments),
        model_name=recognizer.model.name,
        model_sha256=recognizer.model.sha256,
        compute_type=recognizer.compute_type,
        translation_language=target if translation is not None else None,
        translation=translation,
        translation_method=method,
        translation_model_name=model_name,
        translation_model_sha256=model_sha256,
        duration=round(len(samples16k) / SAMPLE_RATE, 3),
        processing=processing,
    )


# What an engine may count of its own work (``asr.Recognizer`` does): recorded per transcript.
_COUNTS = {"encoder_passes": "encoder_passes", "second_readings": "rereads"}


def _counted(
    recognizer: Recogniser, before: dict[str, dict[str, int]] | None = None
) -> dict[str, dict[str, int]]:
    """The engine's counts now, less ``before``: one engine serves many recordings."""
    counts = {}
    for name, attribute in _COUNTS.items():
        value = getattr(recognizer, attribute, None)
        if isinstance(value, dict):
            earlier = (before or {}).get(name, {})
            counts[name] = {key: int(n) - earlier.get(key, 0) for key, n in value.items()}
    return counts
