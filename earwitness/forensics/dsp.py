"""Small signal helpers the examinations share: a change of sampling rate, frames, bands."""

from __future__ import annotations

from collections.abc import Iterator
from math import gcd

import numpy as np
from scipy import signal


def at_rate(samples: np.ndarray, sample_rate: int, rate: int) -> np.ndarray:
    """``samples`` at ``rate``, float64, by polyphase filtering (no aliasing); a copy."""
    if sample_rate == rate:
        return samples.astype(np.float64)
    common = gcd(int(rate), int(sample_rate))
    return signal.resample_poly(
        samples.astype(np.float64), int(rate) // common, int(sample_rate) // common
    )


def frames(
    x: np.ndarray, starts: np.ndarray, length: int, chunk: int = 4096
) -> Iterator[tuple[slice, np.ndarray]]:
    """The frames of ``length`` samples at ``starts``, ``chunk`` frames at a time (as rows),
    each batch with the slice of ``starts`` it covers: an hour of overlapping frames at once
    would take gigabytes."""
    offsets = np.arange(length)
    for first in range(0, len(starts), chunk):
        part = slice(first, min(first + chunk, len(starts)))
        yield part, x[starts[part, None] + offsets]


def band_levels_db(
    frames: np.ndarray, sample_rate: int, low_hz: float, high_hz: float, count: int, floor: float
) -> np.ndarray:
    """Log energy (dB, ``floor`` added to the power) of each Hann-windowed row of ``frames``
    in ``count`` bands spaced geometrically from ``low_hz`` to ``high_hz``."""
    length = frames.shape[1]
    power = np.abs(np.fft.rfft(frames * np.hanning(length), axis=1)) ** 2
    freqs = np.fft.rfftfreq(length, 1 / sample_rate)
    edges = np.searchsorted(freqs, np.geomspace(low_hz, high_hz, count + 1))
    cumulative = np.concatenate([np.zeros((len(power), 1)), np.cumsum(power, axis=1)], axis=1)
    return 10 * np.log10(cumulative[:, edges[1:]] - cumulative[:, edges[:-1]] + floor)
