"""Small signal helpers the examinations share: a change of sampling rate, frames, bands, a
zero-phase filter; each works on a memory-mapped recording a block at a time."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain

import numpy as np
from scipy import signal

from earwitness.media import blocks


def at_rate(samples: np.ndarray, sample_rate: int, rate: int) -> np.ndarray:
    """``samples`` at ``rate``, float64, by polyphase filtering (no aliasing); a copy.

    Computed a block at a time (``at_rate_blocks``), so the input is never held as float64
    all at once; the result is the very same as filtering the whole signal in one go."""
    if sample_rate == rate:
        return blocks.read(samples, 0, len(samples), np.float64)
    out = np.empty(length_at_rate(len(samples), sample_rate, rate))
    for first, block in at_rate_blocks(samples, sample_rate, rate):
        out[first : first + len(block)] = block
    return out


def length_at_rate(length: int, sample_rate: int, rate: int) -> int:
    """How many samples ``length`` samples at ``sample_rate`` become at ``rate``."""
    return blocks.resampled_length(length, sample_rate, rate)


def at_rate_blocks(
    samples: np.ndarray,
    sample_rate: int,
    rate: int,
    size: int | None = None,
    *,
    finite: bool = False,
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first output index, block)`` of ``at_rate``'s result, about ``size`` input samples
    at a time (``blocks.resample_blocks``); ``finite``: NaN and infinities read as
    ``np.nan_to_num`` gives them."""
    return blocks.resample_blocks(samples, sample_rate, rate, size, finite=finite)


def sosfiltfilt(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x)`` (odd padding of its default length) to the last
    bit; a signal longer than a block is filtered a block at a time into a temporary file.

    Each pass is the same recursion as in one go: the filter state is carried from block to
    block, forwards over the padded signal and then backwards over the result."""
    n = len(x)
    if n <= blocks.BLOCK:
        return signal.sosfiltfilt(sos, blocks.read(x, 0, n))
    taps = 2 * len(sos) + 1 - min(int((sos[:, 2] == 0).sum()), int((sos[:, 5] == 0).sum()))
    edge = 3 * taps
    first, last = blocks.read(x, 0, edge + 1), blocks.read(x, n - edge - 1, n)
    head = 2 * first[0] - first[edge:0:-1]
    tail = 2 * last[-1] - last[-2 : -(edge + 2) : -1]
    initial = signal.sosfilt_zi(sos)
    total = n + 2 * edge
    out = blocks.scratch(total)
    state = initial * head[0]
    body = ((edge + start, data) for start, _, _, data in blocks.iter_read(x))
    for at, piece in chain([(0, head)], body, [(edge + n, tail)]):
        filtered, state = signal.sosfilt(sos, piece, zi=state)
        out[at : at + len(filtered)] = filtered
        blocks.release(out[at : at + len(filtered)])
    state = initial * out[-1]
    for stop in range(total, 0, -blocks.BLOCK):
        start = max(stop - blocks.BLOCK, 0)
        filtered, state = signal.sosfilt(sos, blocks.read(out, start, stop)[::-1], zi=state)
        out[start:stop] = filtered[::-1]
        blocks.release(out[start:stop])
    return out[edge : total - edge]


def frames(
    x: np.ndarray, starts: np.ndarray, length: int, chunk: int = 4096
) -> Iterator[tuple[slice, np.ndarray]]:
    """The frames of ``length`` samples at ``starts``, ``chunk`` frames at a time (as rows),
    each batch with the slice of ``starts`` it covers: an hour of overlapping frames at once
    would take gigabytes."""
    offsets = np.arange(length)
    for first in range(0, len(starts), chunk):
        part = slice(first, min(first + chunk, len(starts)))
        batch = x[starts[part, None] + offsets]
        # The pages read from a memory-mapped recording go back once the batch is copied out.
        blocks.release(x[starts[part][0] : starts[part][-1] + length])
        yield part, batch


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
