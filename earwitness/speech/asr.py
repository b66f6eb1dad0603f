"""Speech recognition with faster-whisper: batched windows of speech, word timestamps.

The recogniser is given only the compact speech timeline of ``vad.SpeechMap`` and windows of it
(``clip_timestamps``), so faster-whisper's batched pipeline decodes several windows at once and
never sees long silences. Every time it reports is mapped back to the recording's clock here.

Translation runs Whisper's translate task on the same windows (``task="translate"``); the
pipeline then pairs each English segment with the original it overlaps most
(``align.align_translation``).

``DecodeOptions`` (now in ``options``) and ``Detected`` (now in ``recogniser``) are still
importable from here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from earwitness.media.blocks import release
from earwitness.media.heap import bound_heap, trim_heap
from earwitness.speech.models import ResolvedModel
from earwitness.speech.options import DecodeOptions
from earwitness.speech.recogniser import Detected, Task
from earwitness.speech.types import Segment, Word
from earwitness.speech.vad import SAMPLE_RATE, SpeechMap

# Seconds of a window without any recognised word after which that stretch is decoded again
# (see ``Recognizer.recognise``); None turns the second look off.
REPAIR_MIN_GAP: float | None = 1.5


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
    """A loaded Whisper model, the shipped ``recogniser.Recogniser``. Loading takes a second or
    two: make one, use it for many files."""

    def __init__(
        self,
        model: ResolvedModel,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int | None = None,
    ) -> None:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        # Before CTranslate2's threads start: the batches' freed buffers are kept in two arenas
        # and the largest go back to the system (media/heap.py).
        bound_heap()
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
        task: Task = "transcribe",
    ) -> tuple[Iterator[Segment], Detected]:
        """Segments on the recording's clock, yielded as each batch of windows is decoded.

        Windows are decoded ``batch_size`` at a time. Whisper sometimes stops writing before
        the end of a window, or passes over a sentence inside it; decoding one window at a
        time, faster-whisper would seek back and read on from its last timestamp, but a batch
        cannot. So after each batch, the stretches of its windows that are speech yet got no
        text (``_unheard``) are laid end to end and decoded once more, and what that finds is
        merged in by time before the batch's segments are yielded.
        """
        if not speech.windows:
            return iter(()), Detected(options.language or "und", None)
        compact = speech.compact(samples16k)
        size = max(options.batch_size, 1)
        groups = [speech.windows[i : i + size] for i in range(0, len(speech.windows), size)]
        first, info = self._decode(compact, groups[0], options, options.language, task)
        detected = Detected(info.language, _rounded(info.language_probability))

        def segments() -> Iterator[Segment]:
            number = 0
            for index, group in enumerate(groups):
                raw = first if index == 0 else None
                if raw is None:
                    raw, _ = self._decode(compact, group, options, info.language, task)
                found = list(raw)
                found += self._repair(compact, group, found, options, info.language, task)
                # A long recording's speech is a memory map: hand its pages back as we go,
                # and the pages the batch freed with them.
                release(compact)
                trim_heap()
                found.sort(key=_compact_start)
                for repair, item in found:
                    yield _on_recording_clock(item, repair, speech, number)
                    number += 1

        return segments(), detected

    def _decode(
        self,
        audio: np.ndarray,
        windows: Sequence[tuple[float, float]],
        options: DecodeOptions,
        language: str | None,
        task: str,
    ) -> tuple[Iterator[tuple[SpeechMap | None, Any]], Any]:
        """faster-whisper's batched decoding of ``windows`` of ``audio`` (times in ``audio``)."""
        raw, info = self._batched.transcribe(
            audio,
            language=language,
            task=task,
            beam_size=options.beam_size,
            batch_size=options.batch_size,
            word_timestamps=options.word_timestamps and task == "transcribe",
            without_timestamps=False,
            initial_prompt=options.initial_prompt,
            clip_timestamps=[{"start": start, "end": end} for start, end in windows],
            vad_filter=False,
        )
        return ((None, item) for item in raw), info

    def _repair(
        self,
        compact: np.ndarray,
        windows: Sequence[tuple[float, float]],
        found: list[tuple[SpeechMap | None, Any]],
        options: DecodeOptions,
        language: str,
        task: str,
    ) -> list[tuple[SpeechMap | None, Any]]:
        """Segments for the stretches of ``windows`` that the first decoding left without text,
        decoded again as a timeline of their own, paired with the map (``repair``) from that
        timeline back to ``compact``."""
        unheard = _unheard(windows, [item for _, item in found])
        if not unheard:
            return []
        repair = SpeechMap.build(unheard)
        kept = self._batched.last_speech_timestamp  # word-timing state of the main timeline
        self._batched.last_speech_timestamp = 0.0
        try:
            raw, _ = self._decode(repair.compact(compact), repair.windows, options, language, task)
            repaired: list[tuple[SpeechMap | None, Any]] = [
                (repair, part) for _, item in raw for part in _per_gap(item, repair)
            ]
        finally:
            self._batched.last_speech_timestamp = kept
        return repaired


def _per_gap(item: Any, repair: SpeechMap) -> list[Any]:
    """``item`` cut where its words cross from one repaired stretch to the next: stretches
    from different places are laid end to end for decoding, and one segment of text must not
    span two of them. A word is held inside the stretch its middle lies in: its start can fall
    in the stretch before, which would put it seconds earlier on the recording's clock (and
    the segment out of order). Without word times the segment stays whole."""
    if not item.words:
        return [item]
    runs: list[list[Any]] = []
    last = None
    for word in item.words:
        stretch = repair.region_of(word.start, word.end)
        low, high = repair.compact_bounds(stretch)
        held = dataclasses.replace(
            word, start=min(max(word.start, low), high), end=min(max(word.end, low), high)
        )
        if runs and stretch == last:
            runs[-1].append(held)
        else:
            runs.append([held])
        last = stretch
    return [
        dataclasses.replace(
            item,
            start=run[0].start,
            end=run[-1].end,
            text="".join(word.word for word in run) if len(runs) > 1 else item.text,
            words=run,
        )
        for run in runs
    ]


def _unheard(
    windows: Sequence[tuple[float, float]], items: Sequence[Any]
) -> list[tuple[float, float]]:
    """Stretches of at least ``REPAIR_MIN_GAP`` s of the (compact-timeline) ``windows`` where no
    word, or without word times no segment, of ``items`` lies. Everything in a window is
    speech, or the short padding the VAD leaves around it (under a second between two
    regions), so a longer stretch without text is speech the recogniser passed over."""
    if REPAIR_MIN_GAP is None:
        return []
    spans: list[tuple[float, float]] = []
    for item in items:
        if item.words:
            spans.extend((word.start, word.end) for word in item.words)
        else:
            spans.append((item.start, item.end))
    spans.sort()
    gaps = []
    for window_start, window_end in windows:
        heard = [(s, e) for s, e in spans if e > window_start and s < window_end]
        edge = window_start
        for start, end in [*heard, (window_end, window_end)]:
            if start - edge >= REPAIR_MIN_GAP:
                gaps.append((edge, min(start, window_end)))
            edge = max(edge, end)
    return gaps


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _compact_start(entry: tuple[SpeechMap | None, Any]) -> float:
    repair, item = entry
    return item.start if repair is None else repair.to_original(item.start)


class _Clock:
    """Times of a decoded timeline on the recording's clock: through the repair timeline's
    map to the compact timeline (when there is one), then through the speech map."""

    def __init__(self, repair: SpeechMap | None, speech: SpeechMap) -> None:
        self.repair, self.speech = repair, speech

    def __call__(self, t: float, *, is_end: bool = False) -> float:
        if self.repair is not None:
            t = self.repair.to_original(t, is_end=is_end)
        return self.speech.to_original(t, is_end=is_end)

    def span(self, start: float, end: float) -> tuple[float, float]:
        if self.repair is not None:
            start, end = self.repair.span_to_original(start, end)
        return self.speech.span_to_original(start, end)


def _on_recording_clock(
    item: Any, repair: SpeechMap | None, speech: SpeechMap, number: int
) -> Segment:
    clock = _Clock(repair, speech)
    words = tuple(_word(w, clock) for w in item.words or ())
    if words:  # word times are finer than segment times, and each is held in its region
        start, end = words[0].start, max(words[-1].end, words[0].start)
    else:
        start = clock(item.start)
        end = max(clock(item.end, is_end=True), start)
    return Segment(
        id=number,
        start=round(start, 3),
        end=round(end, 3),
        text=item.text.strip(),
        words=words,
        avg_logprob=_rounded(item.avg_logprob),
        no_speech_prob=_rounded(item.no_speech_prob),
    )


def _word(raw: Any, clock: _Clock) -> Word:
    start, end = clock.span(raw.start, raw.end)
    return Word(round(start, 3), round(end, 3), raw.word, round(float(raw.probability), 4))


def duration_of(samples16k: np.ndarray) -> float:
    return len(samples16k) / SAMPLE_RATE
