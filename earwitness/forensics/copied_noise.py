"""Whether the noise under a repeated stretch repeats too: a copy, not a second utterance.

``duplicates`` finds stretches that recur on the waveform and calls one a copy when its
background recurs as well, judged in the pauses inside it (blocks near the local noise floor).
A phrase copied without a pause inside it has no such block, and neither would a synthetic
voice that says the same sentence twice into fresh noise, so the waveform's likeness alone
cannot tell them apart. What can is how far apart the two stretches are: two takes of the same
sound, each over its own noise, differ by both noises, about twice the background's level
(+3 dB); a copy differs by nothing, or by what a codec did to each. So the difference is
measured against the background, block by block, wherever the two stretches hold speech too.

It is measured at the recording's own rate: an editor copies whole samples of the file, and
the check's 8 kHz copy would put a copy a fraction of a sample off, whose interpolation error
alone lies above a quiet background.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from earwitness.media import blocks

BAND_HZ = (400.0, 3400.0)  # the band ``duplicates`` compares backgrounds in
BLOCK_S = 0.02  # ``duplicates.BLOCK_S``: the floor's blocks
FLOOR_RATE = 8000  # ``duplicates.RATE``: the rate the floor's energies are summed at
UNDER_FLOOR = 0.25  # a difference 6 dB under the background: the noise itself repeats
MARGIN_S = 0.05  # filtered beyond each end, so the filter's edges fall outside
SEARCH = 2  # samples either side of the given lag tried at the recording's rate


def _band(segment: np.ndarray, sample_rate: int) -> np.ndarray:
    high = min(BAND_HZ[1], 0.45 * sample_rate)
    sos = signal.butter(4, [BAND_HZ[0], high], "bandpass", fs=sample_rate, output="sos")
    return signal.sosfiltfilt(sos, segment)


def _mono(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    part = np.nan_to_num(blocks.read(samples, start, stop), copy=False)
    return part.mean(axis=1) if part.ndim > 1 else part


def blocks_under_floor(
    samples: np.ndarray,
    sample_rate: int,
    start_s: float,
    end_s: float,
    lag_s: float,
    floor: np.ndarray,
) -> int:
    """How many 20 ms blocks of ``start_s``-``end_s`` differ from the stretch ``lag_s``
    later by less than a quarter of the background's energy at both places (``floor``: per
    block of ``BLOCK_S``, energy summed over a block at 8 kHz, as ``duplicates.local_floor``
    gives it), at the best whole-sample lag near ``lag_s`` and the best gain."""
    margin = round(MARGIN_S * sample_rate)
    first, last = round(start_s * sample_rate), round(end_s * sample_rate)
    shift = round(lag_s * sample_rate)
    if first - margin < 0 or last + shift + SEARCH + margin > len(samples) or last <= first:
        return 0
    here = _band(_mono(samples, first - margin, last + margin), sample_rate)[margin:-margin]
    there = _band(
        _mono(samples, first + shift - SEARCH - margin, last + shift + SEARCH + margin),
        sample_rate,
    )[margin:-margin]
    residuals = []
    for offset in range(2 * SEARCH + 1):
        other = there[offset : offset + len(here)]
        gain = float(np.dot(here, other) / (np.dot(other, other) + 1e-30))
        residuals.append(here - gain * other)
    best = min(residuals, key=lambda residual: float(np.dot(residual, residual)))
    size = max(round(BLOCK_S * sample_rate), 1)
    count = len(best) // size
    # Energy per block as the floor counts it: the band's mean power times a block's samples.
    energy = (best[: count * size].reshape(count, size) ** 2).mean(axis=1) * BLOCK_S * FLOOR_RATE
    at = np.arange(count) + round(start_s / BLOCK_S)
    later = at + round(lag_s / BLOCK_S)
    inside = (at < len(floor)) & (later < len(floor))
    # The local floor is a low percentile over 8 s: where speech fills those 8 s it is speech's
    # quiet end, not the noise. The quietest floor anywhere in the file never exceeds the
    # noise, so the difference is held under that too.
    quietest = float(np.min(floor)) if len(floor) else 0.0
    limit = UNDER_FLOOR * np.minimum(
        np.minimum(floor[np.minimum(at, len(floor) - 1)], floor[np.minimum(later, len(floor) - 1)]),
        quietest,
    )
    return int(np.sum(inside & (energy <= limit)))
