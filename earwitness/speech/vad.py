"""Where people speak, and a compact timeline of only that speech.

Voice activity comes from the Silero VAD model that faster-whisper's wheel ships (ONNX, no
torch), checked against its pinned hash first. It runs once per recording; the regions it finds
feed both the recogniser and the speaker diarization.

Whisper reads 30-second windows. Feeding it the recording as it is wastes windows on silence
and invites text where nobody speaks, so the speech regions are laid end to end in a compact
timeline, cut into windows of at most ``FILL_S`` (26 s) of speech, the rest of each 30 s input
left silent, and every time the recogniser reports is mapped back to the recording's own clock
by ``SpeechMap.to_original``.
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from earwitness.media import blocks

SAMPLE_RATE = 16000
WINDOW_S = 30.0  # Whisper's input length
# Seconds of speech put into one window. Whisper learnt from 30 s windows whose last sentence
# was often cut off, and it tends to leave out a sentence that ends near the end of its input:
# on 25 min of long recordings (bench/speech) windows filled up to 30 s left 16 stretches of
# speech (66 s) without text, windows of at most 26 s left 6 (19 s). Leaving the last seconds
# of every window silent keeps them.
FILL_S = 26.0
MIN_SILENCE_MS = 160  # as faster-whisper's batched pipeline: pauses between sentences split


def speech_regions(samples16k: np.ndarray, *, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Speech regions ``(start, end)`` in seconds of a 16 kHz mono recording, none over
    ``FILL_S`` (longer speech is cut before that, at a pause where there is one)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from earwitness.speech.models import vad_model_path

    vad_model_path()  # refuses an altered model before faster-whisper loads it
    options = VadOptions(
        threshold=threshold, max_speech_duration_s=FILL_S, min_silence_duration_ms=MIN_SILENCE_MS
    )
    probabilities = _speech_probabilities(samples16k)
    # faster-whisper pads the audio it is given (a full copy) and runs the model over it in
    # one go (two more); here it gets a stand-in of the right length that costs a byte a
    # sample, and the probabilities computed above a block at a time.
    stand_in = np.broadcast_to(np.zeros(1, dtype=np.bool_), (len(samples16k),))
    with _STAND_IN_LOCK:
        stand_in_model[0] = probabilities
        try:
            with _model_replaced():
                stamps = get_speech_timestamps(stand_in, options, sampling_rate=SAMPLE_RATE)
        finally:
            stand_in_model[0] = None
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


WINDOW = 512  # samples the model judges at once, as faster-whisper's Silero runs it
CONTEXT = 64  # samples of the previous window it sees as well
MODEL_BATCH = 10000  # windows per model call; the LSTM state goes from one call to the next
_STAND_IN_LOCK = threading.Lock()
stand_in_model: list[np.ndarray | None] = [None]


def _speech_probabilities(samples16k: np.ndarray) -> np.ndarray:
    """Silero's speech probability per 512-sample window, exactly as faster-whisper's
    ``SileroVADModel`` computes it for the zero-padded recording, ``MODEL_BATCH`` windows
    per call with the state carried over; read a call's windows at a time, so a memory-mapped
    recording is never held whole."""
    from faster_whisper.vad import get_vad_model

    session = get_vad_model().session
    count = len(samples16k) // WINDOW + 1  # faster-whisper pads with at least one sample
    h = np.zeros((1, 1, 128), dtype=np.float32)
    c = np.zeros((1, 1, 128), dtype=np.float32)
    previous = np.zeros(CONTEXT, dtype=np.float32)  # the first window sees silence before it
    outputs = []
    for first in range(0, count, MODEL_BATCH):
        last = min(first + MODEL_BATCH, count)
        padded = np.zeros((last - first) * WINDOW, dtype=np.float32)
        read = blocks.read(samples16k, first * WINDOW, last * WINDOW, np.float32)
        padded[: len(read)] = read
        windows = padded.reshape(-1, WINDOW)
        contexts = np.concatenate([previous[None, :], windows[:-1, -CONTEXT:]])
        previous = windows[-1, -CONTEXT:].copy()
        batch = np.ascontiguousarray(np.concatenate([contexts, windows], axis=1))
        output, h, c = session.run(None, {"input": batch, "h": h, "c": c})
        outputs.append(output)
    return np.concatenate(outputs, axis=0)


class _StandInModel:
    """Answers faster-whisper's model call with the probabilities already computed."""

    def __call__(self, audio: np.ndarray, *args: object, **kwargs: object) -> np.ndarray:
        probabilities = stand_in_model[0]
        if probabilities is None or len(probabilities) * WINDOW != len(audio):
            raise RuntimeError("speech probabilities do not match the audio")
        return probabilities


@contextlib.contextmanager
def _model_replaced() -> Iterator[None]:
    """faster-whisper's VAD model, replaced by ``_StandInModel`` for the duration."""
    from faster_whisper import vad as silero

    original = silero.get_vad_model
    silero.get_vad_model = _StandInModel
    try:
        yield
    finally:
        silero.get_vad_model = original


@dataclass(frozen=True)
class SpeechMap:
    """Speech regions laid end to end: ``compact`` audio plus the map back to the recording."""

    regions: tuple[tuple[float, float], ...]  # in the recording, sorted, non-overlapping
    offsets: tuple[float, ...]  # where each region starts in the compact timeline
    windows: tuple[tuple[float, float], ...]  # compact-timeline spans, each <= FILL_S

    @classmethod
    def build(cls, regions: Sequence[tuple[float, float]], window: float = FILL_S) -> SpeechMap:
        cleaned: list[tuple[float, float]] = []
        for start, end in sorted(regions):
            if end <= start:
                continue
            if cleaned and start <= cleaned[-1][1]:
                cleaned[-1] = (cleaned[-1][0], max(cleaned[-1][1], end))
            else:
                cleaned.append((start, end))
        pieces: list[tuple[float, float]] = []
        for start, end in cleaned:  # a region longer than a window is cut into windows
            while end - start > window:
                pieces.append((start, start + window))
                start += window
            pieces.append((start, end))
        offsets, windows = [], []
        position = 0.0
        window_start = 0.0
        for start, end in pieces:
            length = end - start
            if position + length - window_start > window + 1e-9:
                windows.append((window_start, position))
                window_start = position
            offsets.append(position)
            position += length
        if pieces:
            windows.append((window_start, position))
        return cls(tuple(pieces), tuple(offsets), tuple(windows))

    @property
    def speech_seconds(self) -> float:
        return sum(end - start for start, end in self.regions)

    def compact(self, samples16k: np.ndarray) -> np.ndarray:
        """The speech regions of ``samples16k``, end to end."""
        if not self.regions:
            return np.zeros(0, dtype=np.float32)
        spans = [
            (round(start * SAMPLE_RATE), min(round(end * SAMPLE_RATE), len(samples16k)))
            for start, end in self.regions
        ]
        total = sum(max(stop - start, 0) for start, stop in spans)
        if total <= blocks.BLOCK:
            parts = [samples16k[start:stop] for start, stop in spans]
            return np.concatenate(parts).astype(np.float32, copy=False)

        def placed() -> Iterator[tuple[int, np.ndarray]]:
            first = 0
            for start, stop in spans:
                part = blocks.read(samples16k, start, stop, np.float32)
                yield first, part
                first += len(part)

        # Hours of speech: kept in a temporary file, read window by window by the recogniser.
        return blocks.spill(placed(), total, np.float32)

    def region_of(self, start: float, end: float) -> int:
        """The region a compact-timeline span (a word) belongs to: the one its middle lies in."""
        return max(bisect.bisect_right(self.offsets, (start + end) / 2) - 1, 0)

    def compact_bounds(self, index: int) -> tuple[float, float]:
        """Where region ``index`` lies on the compact timeline."""
        region_start, region_end = self.regions[index]
        return self.offsets[index], self.offsets[index] + region_end - region_start

    def span_to_original(self, start: float, end: float) -> tuple[float, float]:
        """A compact-timeline span (a word) on the recording's clock, held inside the region
        its middle lies in: a word Whisper starts a little before its region would otherwise
        begin at the end of the region before, which can be a long silence earlier."""
        if not self.regions:
            return start, end
        index = self.region_of(start, end)
        region_start, region_end = self.regions[index]
        offset = self.offsets[index]

        def held(t: float) -> float:
            return min(region_start + max(t - offset, 0.0), region_end)

        return held(start), max(held(end), held(start))

    def to_original(self, t: float, *, is_end: bool = False) -> float:
        """A compact-timeline time on the recording's clock.

        A time exactly on a junction of two regions belongs to the earlier region when it ends
        something (``is_end``), to the later one when it starts something.
        """
        if not self.regions:
            return t
        find = bisect.bisect_left if is_end else bisect.bisect_right
        index = max(find(self.offsets, t) - 1, 0)
        start, end = self.regions[index]
        return min(start + max(t - self.offsets[index], 0.0), end)
