"""Copy-move of background alone: a pause lengthened with a copy of another pause.

An editor who needs a longer silence, or has to cover a cut, copies "room tone" from elsewhere
in the recording. The copy holds no speech, so the landmarks ``duplicates`` looks for (spectral
peaks of words) are not there; but it holds the very same noise, sample for sample, and no
recording repeats its noise. So the pauses are fingerprinted on their own:

1. Frames of 32 ms every 4 ms, taken only where the background is all there is (blocks the
   caller finds near the local noise floor), in the band 400-3400 Hz it has filtered to.
2. Each frame's 16 band energies, relative to the file's mean background spectrum, give 16
   bits: whether each band is louder than the next. Noise makes these bits random from frame
   to frame, the same noise makes them the same. The pauses are fingerprinted a second time
   shifted by 2 ms, so that a copy placed anywhere meets frames within 1 ms of its own.
3. Frames with equal fingerprints vote for the lag between them; a lag that many frames agree
   on over a stretch of at least 0.3 s is a candidate, checked on the waveform by the caller.
"""

from __future__ import annotations

import numpy as np

from earwitness.forensics.dsp import band_levels_db, frames

RATE = 8000
FRAME = 256  # 32 ms
HOP = 32  # 4 ms
SHIFT = 16  # the second fingerprinting, half a hop later
BANDS = 17  # edges of 16 bits
LOW_HZ, HIGH_HZ = 400.0, 3400.0
COMMON = 8  # a fingerprint seen this often says nothing about one copy
MIN_LAG_S = 1.0
MIN_VOTES = 12
MIN_SPAN_S = 0.3
CHUNK = 8192  # frames per FFT batch, to bound memory on long files


def quiet_frames(quiet_blocks: np.ndarray, block: int, length: int, start: int) -> np.ndarray:
    """Start samples of the frames (from ``start`` every HOP) that lie wholly in quiet blocks."""
    starts = np.arange(start, length - FRAME + 1, HOP)
    if not len(starts) or not len(quiet_blocks):
        return starts[:0]
    first = starts // block
    last = np.minimum((starts + FRAME - 1) // block, len(quiet_blocks) - 1)
    # A frame is quiet when no loud block lies between its first and last block.
    loud = np.concatenate([[0], np.cumsum(~quiet_blocks)])
    return starts[(first < len(quiet_blocks)) & (loud[last + 1] - loud[first] == 0)]


def band_levels(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Log energy (dB) in BANDS-1 bands between LOW_HZ and HIGH_HZ of the frames at ``starts``."""
    out = np.empty((len(starts), BANDS - 1))
    for part, batch in frames(x, starts, FRAME, CHUNK):
        out[part] = band_levels_db(batch, RATE, LOW_HZ, HIGH_HZ, BANDS - 1, 1e-20)
    return out


def _fingerprints_at(x: np.ndarray, starts: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``fingerprints(band_levels(x, starts), reference)``, a batch of frames at a time."""
    out = np.empty(len(starts), dtype=np.int64)
    for part, batch in frames(x, starts, FRAME, CHUNK):
        levels = band_levels_db(batch, RATE, LOW_HZ, HIGH_HZ, BANDS - 1, 1e-20)
        out[part] = fingerprints(levels, reference)
    return out


def fingerprints(levels: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """16-bit fingerprints: band k louder than band k+1, after the mean background spectrum
    (``reference``) is taken off so that a sloping noise does not fix the bits."""
    relative = levels - reference
    bits = (relative[:, :-1] > relative[:, 1:]).astype(np.int64)
    return (bits << np.arange(bits.shape[1])).sum(axis=1)


def candidate_copies(
    x: np.ndarray, quiet_blocks: np.ndarray, block: int
) -> list[tuple[int, int, int]]:
    """``(first sample, last sample, lag in samples)`` of background stretches whose
    fingerprints recur ``lag`` samples later."""
    grid = quiet_frames(quiet_blocks, block, len(x), 0)
    shifted = quiet_frames(quiet_blocks, block, len(x), SHIFT)
    if len(grid) < MIN_VOTES or len(shifted) < MIN_VOTES:
        return []
    grid_levels = band_levels(x, grid)
    reference = np.median(grid_levels, axis=0)
    grid_hashes = np.concatenate(
        [fingerprints(grid_levels[i : i + CHUNK], reference) for i in range(0, len(grid), CHUNK)]
    )
    del grid_levels  # the shifted frames' levels are never all held: an hour has millions
    times = np.concatenate([grid, shifted])
    hashes = np.concatenate([grid_hashes, _fingerprints_at(x, shifted, reference)])
    order = np.lexsort((times, hashes))
    hashes, times = hashes[order], times[order]
    values, counts = np.unique(hashes, return_counts=True)
    rare = np.isin(hashes, values[counts <= COMMON])
    hashes, times = hashes[rare], times[rare]
    earlier, lags = [], []
    for k in range(1, COMMON):
        if k >= len(hashes):
            break
        same = hashes[k:] == hashes[:-k]
        lag = times[k:][same] - times[:-k][same]
        keep = lag >= MIN_LAG_S * RATE
        earlier.append(times[:-k][same][keep])
        lags.append(lag[keep])
    if not lags or not sum(len(lag) for lag in lags):
        return []
    at, lag = np.concatenate(earlier), np.concatenate(lags)
    return _clusters(at, lag)


def _clusters(at: np.ndarray, lag: np.ndarray) -> list[tuple[int, int, int]]:
    """Votes that agree on the lag (within half a hop) and lie together in time, the most
    voted first (the caller checks only so many)."""
    found: list[tuple[int, int, int, int]] = []
    order = np.argsort(lag, kind="stable")
    at, lag = at[order], lag[order]
    # Runs of lags no more than SHIFT apart: one copy's votes, whichever fingerprinting cast them.
    breaks = np.flatnonzero(np.diff(lag) > SHIFT) + 1
    for times, lags in zip(np.split(at, breaks), np.split(lag, breaks), strict=True):
        if len(times) < MIN_VOTES:
            continue
        sort = np.argsort(times)
        times, lags = times[sort], lags[sort]
        for group in np.split(np.arange(len(times)), np.flatnonzero(np.diff(times) > RATE) + 1):
            span = times[group[-1]] - times[group[0]]
            if len(group) >= MIN_VOTES and span >= MIN_SPAN_S * RATE:
                first, last = int(times[group[0]]), int(times[group[-1]]) + FRAME
                found.append((len(group), first, last, int(np.median(lags[group]))))
    found.sort(key=lambda cluster: -cluster[0])
    return [(first, last, lag) for _, first, last, lag in found]
