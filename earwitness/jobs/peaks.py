"""The waveform the review page draws: a minimum and a maximum per 10 ms, stored once.

``WAVEFORM_PEAKS`` reads the run's decoded recording (mono float32, the same decoding every
other stage uses) and keeps, for each bin of 1/100 s, the lowest and highest sample, scaled to
whole numbers in -127…127 (``SCALE``): plenty for a picture a few thousand pixels wide, and a
2-hour recording is 720,000 bins. The stored bytes are the compact JSON the review API serves
unchanged, ``{"rate": 100, "scale": 127, "duration": s, "peaks": [min, max, min, max, …]}``,
so the page never decodes audio and the server never re-encodes it.

Like every stage, the result is logged (custody action ``waveform``: a drawing aid, kept apart
from the ``review`` events that are edits) and read back only through the verified path;
``ensure_peaks`` answers it for an exhibit, computing it the first time it is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from earwitness.jobs.engine import Request, Run, Stage, StageResult, run_stage
from earwitness.jobs.recording import DECODER, exhibit_run
from earwitness.vault.case import Case

BINS_PER_SECOND = 100
SCALE = 127
# Samples read at a time: a two-hour 48 kHz recording is read in 40 MB slices of its memmap.
_BLOCK_BINS = 20_000


@dataclass(frozen=True)
class Peaks:
    rate: int  # bins per second
    duration: float  # seconds of audio the bins cover
    peaks: np.ndarray  # int8, shape (bins, 2): min and max of each bin, in -SCALE…SCALE

    def to_json(self) -> dict[str, Any]:
        return {
            "rate": self.rate,
            "scale": SCALE,
            "duration": self.duration,
            "peaks": self.peaks.reshape(-1).tolist(),
        }


@dataclass(frozen=True)
class PeaksParams:
    rate: int = BINS_PER_SECOND

    def parameters(self) -> dict[str, Any]:
        return {"bins_per_second": self.rate, "scale": SCALE, "decoder": DECODER}


def compute_peaks(samples: np.ndarray, sample_rate: int, rate: int = BINS_PER_SECOND) -> Peaks:
    """Min/max per bin of ``1/rate`` s. Bin ``i`` covers samples ``floor(i·sr/rate)`` up to
    the next bin's start, so rates that do not divide the sample rate (22,050 Hz) drift by no
    more than one sample. Reads ``samples`` in blocks: a memmap is never copied whole."""
    if sample_rate <= 0 or rate <= 0:
        raise ValueError("sample rate and bin rate must be positive")
    total = int(samples.shape[-1])
    bins = -(-total * rate // sample_rate)  # ceil: a last partial bin is still drawn
    out = np.zeros((bins, 2), dtype=np.int8)
    for first in range(0, bins, _BLOCK_BINS):
        last = min(first + _BLOCK_BINS, bins)
        starts = np.arange(first, last, dtype=np.int64) * sample_rate // rate
        stop = min(total, last * sample_rate // rate) if last < bins else total
        block = np.asarray(samples[int(starts[0]) : stop], dtype=np.float32)
        offsets = starts - starts[0]
        keep = offsets < len(block)  # bins past the end (empty) stay 0
        if not keep.any():
            continue
        offsets = offsets[keep]
        lows = np.minimum.reduceat(block, offsets)
        highs = np.maximum.reduceat(block, offsets)
        # NaN or inf in a damaged decode must not become garbage bytes: clip after nan_to_num.
        lows = np.clip(np.rint(np.nan_to_num(lows) * SCALE), -SCALE, SCALE)
        highs = np.clip(np.rint(np.nan_to_num(highs) * SCALE), -SCALE, SCALE)
        rows = np.arange(first, last)[keep]
        out[rows, 0] = lows.astype(np.int8)
        out[rows, 1] = highs.astype(np.int8)
    return Peaks(rate=rate, duration=round(total / sample_rate, 6), peaks=out)


def serialise_peaks(peaks: Peaks) -> bytes:
    return json.dumps(peaks.to_json(), separators=(",", ":")).encode("ascii")


def deserialise_peaks(data: bytes) -> Peaks:
    parsed = json.loads(data)
    values = np.asarray(parsed["peaks"], dtype=np.int8).reshape(-1, 2)
    return Peaks(rate=int(parsed["rate"]), duration=float(parsed["duration"]), peaks=values)


def _compute(run: Run, request: Request[Peaks]) -> Peaks:
    assert isinstance(request.params, PeaksParams)
    decoded = run.resource("decoded")
    return compute_peaks(decoded.samples, decoded.sample_rate, request.params.rate)


WAVEFORM_PEAKS: Stage[Peaks] = Stage(
    name="waveform_peaks",
    version=1,
    action="waveform",
    filename="waveform-peaks.json",
    media_type="application/json",
    compute=_compute,
    serialise=serialise_peaks,
    deserialise=deserialise_peaks,
)


def ensure_peaks(case: Case, exhibit_sha256: str, run: Run | None = None) -> StageResult[Peaks]:
    """The exhibit's peaks, verified from the case, or computed from the verified original,
    stored and logged. ``run`` lets a caller share a decoding or a write lock with other work."""
    run = run or exhibit_run(case, exhibit_sha256)
    return run_stage(run, Request(WAVEFORM_PEAKS, PeaksParams()))
