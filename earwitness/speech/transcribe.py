"""From 16 kHz samples to a ``Transcript``: a pipeline of small named steps.

    find_speech -> recognise -> guard -> label_speakers -> translate -> assemble

Each step is a function of what the previous ones produced, so each can be tested alone and a
failure names the step. ``transcribe`` runs them in order and reports progress as seconds of
speech done out of seconds of speech found.

``recognise`` and ``translate`` go through a ``recogniser.Recogniser``, so any speech engine
that offers that protocol can stand in for faster-whisper. ``TranscribeOptions`` lives in
``options`` (no NumPy there, for the command line) and stays importable from here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import numpy as np

from earwitness.speech import guards
from earwitness.speech.align import align_translation
from earwitness.speech.options import TRANSLATION_TARGETS, DecodeOptions, TranscribeOptions
from earwitness.speech.recogniser import Detected, Recogniser, Task
from earwitness.speech.types import Segment, Transcript
from earwitness.speech.vad import SAMPLE_RATE, SpeechMap, speech_regions

Progress = Callable[[str, float, float], None]  # (stage, done seconds, total seconds)


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


def _collect(
    segments: Iterator[Segment], speech: SpeechMap, progress: Progress, stage: str
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
) -> tuple[Segment, ...]:
    """English lines for ``originals``, from Whisper's translate task on the same windows."""
    english, _ = recognise(recognizer, samples16k, speech, options, progress, task="translate")
    report = guards.GuardReport()
    return align_translation(originals, list(guards.guard(english, report)))


def label_speakers(
    samples16k: np.ndarray,
    speech: SpeechMap,
    segments: list[Segment],
    num_speakers: int | None,
    progress: Progress,
) -> tuple[list[Segment], dict[str, object]]:
    from earwitness.speech import speaker_encoder
    from earwitness.speech.diarize import assign_speakers, diarize

    total = speech.speech_seconds
    progress("speakers", 0.0, total)
    encoder = speaker_encoder.SpeakerEncoder()
    turns = diarize(samples16k, speech.regions, num_speakers=num_speakers, encoder=encoder)
    progress("speakers", total, total)
    labelled = split_at_speaker_changes(assign_speakers(segments, turns))
    facts = {
        "model": speaker_encoder.MODEL_NAME,
        "model_sha256": speaker_encoder.WEIGHTS_SHA256,
        "speakers": sorted({t[2] for t in turns}, key=lambda label: int(label[1:])),
        "turns": len(turns),
    }
    return labelled, facts


def split_at_speaker_changes(segments: list[Segment]) -> list[Segment]:
    """Segments cut where the speaker of their words changes.

    Whisper's segments follow its 30-second windows and punctuation, not voices, so one segment
    can hold a question and its answer. A transcript that attributes words must not put them on
    one line, so each run of words by one speaker becomes its own segment.
    """
    result: list[Segment] = []
    for segment in segments:
        runs: list[list] = []
        for word in segment.words:
            if runs and runs[-1][0].speaker == word.speaker:
                runs[-1].append(word)
            else:
                runs.append([word])
        if len(runs) <= 1:
            result.append(segment)
            continue
        for run in runs:
            result.append(
                dataclasses.replace(
                    segment,
                    start=run[0].start,
                    end=run[-1].end,
                    text="".join(w.word for w in run).strip(),
                    words=tuple(run),
                    speaker=run[0].speaker,
                )
            )
    return [dataclasses.replace(s, id=number) for number, s in enumerate(result)]


def transcribe(
    samples16k: np.ndarray,
    recognizer: Recogniser,
    options: TranscribeOptions,
    *,
    exhibit_sha256: str,
    progress: Progress = no_progress,
) -> Transcript:
    """Transcribe (and translate, and label speakers in) one 16 kHz mono recording.

    ``recognizer`` is any speech engine that satisfies ``recogniser.Recogniser``; speech is
    found, guarded and attributed to speakers here, the same whichever engine reads it.
    """
    if options.translate_to not in (None, *TRANSLATION_TARGETS):
        raise ValueError(f"Whisper translates only into English, not {options.translate_to!r}")
    speech = find_speech(samples16k)
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
    if options.diarize and segments:
        segments, processing["diarization"] = label_speakers(
            samples16k, speech, segments, options.num_speakers, progress
        )
    translation = None
    if options.translate_to and detected.language != options.translate_to and segments:
        source = dataclasses.replace(options.decode, language=detected.language)
        translation = translate(recognizer, samples16k, speech, segments, source, progress)
    return Transcript(
        exhibit_sha256=exhibit_sha256,
        language=detected.language,
        language_probability=detected.probability,
        segments=tuple(segments),
        model_name=recognizer.model.name,
        model_sha256=recognizer.model.sha256,
        compute_type=recognizer.compute_type,
        translation_language=options.translate_to if translation is not None else None,
        translation=translation,
        translation_method="whisper-translate, aligned by time overlap" if translation else None,
        duration=round(len(samples16k) / SAMPLE_RATE, 3),
        processing=processing,
    )
