"""Speech recognition with faster-whisper: batched windows of speech, word timestamps.

The recogniser is given only the compact speech timeline of ``vad.SpeechMap`` and windows of it
(``clip_timestamps``), so faster-whisper's batched pipeline decodes several windows at once and
never sees long silences. Every time it reports is mapped back to the recording's clock here.

Translation runs Whisper's translate task on the same windows; each English segment is then
given to the original segment it overlaps most, so original and English lines share ids and
times (what a bilingual subtitle needs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from earwitness.speech.models import ResolvedModel
from earwitness.speech.types import Segment, Word
from earwitness.speech.vad import SAMPLE_RATE, SpeechMap


@dataclass(frozen=True)
class DecodeOptions:
    """Everything that changes the recogniser's output; hashed into the artefact's parameters."""

    language: str | None = None  # ISO 639-1; None detects it
    beam_size: int = 5
    batch_size: int = 8
    word_timestamps: bool = True
    # Names or terms the recording uses, which Whisper would otherwise misspell.
    initial_prompt: str | None = None

    def parameters(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "beam_size": self.beam_size,
            "batch_size": self.batch_size,
            "word_timestamps": self.word_timestamps,
            "initial_prompt": self.initial_prompt,
        }


@dataclass(frozen=True)
class Detected:
    language: str
    probability: float | None


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def pick_device(device: str = "auto", compute_type: str = "auto") -> tuple[str, str]:
    """int8 on CPU, float16 on a GPU: the fastest types that keep Whisper's accuracy."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


class Recognizer:
    """A loaded Whisper model. Loading takes a second or two: make one, use it for many files."""

    def __init__(
        self,
        model: ResolvedModel,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int | None = None,
    ) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.model = model
        self.device, self.compute_type = pick_device(device, compute_type)
        self._whisper = WhisperModel(
            str(model.directory),
            device=self.device,
            compute_type=self.compute_type,
            cpu_threads=cpu_threads or available_cpus(),
            local_files_only=True,
        )
        self._batched = BatchedInferencePipeline(self._whisper)

    @property
    def multilingual(self) -> bool:
        return bool(self._whisper.model.is_multilingual)

    def recognise(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        task: str = "transcribe",
    ) -> tuple[Iterator[Segment], Detected]:
        """Segments on the recording's clock, yielded as each batch of windows is decoded."""
        if not speech.windows:
            return iter(()), Detected(options.language or "und", None)
        compact = speech.compact(samples16k)
        clips = [{"start": start, "end": end} for start, end in speech.windows]
        raw, info = self._batched.transcribe(
            compact,
            language=options.language,
            task=task,
            beam_size=options.beam_size,
            batch_size=options.batch_size,
            word_timestamps=options.word_timestamps and task == "transcribe",
            without_timestamps=False,
            initial_prompt=options.initial_prompt,
            clip_timestamps=clips,
            vad_filter=False,
        )
        detected = Detected(info.language, _rounded(info.language_probability))
        return _on_recording_clock(raw, speech), detected


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _on_recording_clock(raw: Any, speech: SpeechMap) -> Iterator[Segment]:
    for number, item in enumerate(raw):
        words = tuple(_word(w, speech) for w in item.words or ())
        start = speech.to_original(item.start)
        end = max(speech.to_original(item.end, is_end=True), start)
        if words:  # word times are finer than segment times: trust them at the edges
            start, end = min(start, words[0].start), max(end, words[-1].end)
        yield Segment(
            id=number,
            start=round(start, 3),
            end=round(end, 3),
            text=item.text.strip(),
            words=words,
            avg_logprob=_rounded(item.avg_logprob),
            no_speech_prob=_rounded(item.no_speech_prob),
        )


def _word(raw: Any, speech: SpeechMap) -> Word:
    start = speech.to_original(raw.start)
    end = max(speech.to_original(raw.end, is_end=True), start)
    return Word(round(start, 3), round(end, 3), raw.word, round(float(raw.probability), 4))


def align_translation(originals: list[Segment], translated: list[Segment]) -> tuple[Segment, ...]:
    """One English segment per original, with its id, times and speaker.

    Each translated segment joins the original it overlaps most (the nearest, if it overlaps
    none); an original that received nothing gets empty text rather than a neighbour's words.
    """
    texts: list[list[str]] = [[] for _ in originals]
    if originals:
        starts = np.array([s.start for s in originals])
        ends = np.array([s.end for s in originals])
        for item in translated:
            overlap = np.minimum(ends, item.end) - np.maximum(starts, item.start)
            if overlap.max() > 0:
                index = int(overlap.argmax())
            else:
                middle = (item.start + item.end) / 2
                index = int(np.argmin(np.abs((starts + ends) / 2 - middle)))
            texts[index].append(item.text.strip())
    return tuple(
        Segment(
            id=original.id,
            start=original.start,
            end=original.end,
            text=" ".join(t for t in parts if t),
            speaker=original.speaker,
        )
        for original, parts in zip(originals, texts, strict=True)
    )


def duration_of(samples16k: np.ndarray) -> float:
    return len(samples16k) / SAMPLE_RATE
