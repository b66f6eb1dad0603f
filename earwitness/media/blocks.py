"""Reading a long recording a block at a time, so that memory does not grow with its length.

A decoded recording may be a read-only ``np.memmap`` (``decode.decode_to_memmap``): it costs
no memory until read, but every page read stays resident, and counted against the process,
for as long as the mapping lives. So a pass over the whole recording reads it block by block
(``blocks``, ``read``) and hands each block's pages back (``release``) once done with them;
the operating system keeps them in its file cache, where they cost the process nothing and
are read again quickly. For an ordinary in-memory array all of this is plain slicing.

Full-length passes that reduce to one number (``extremes``) live here too, so that a check
never needs a full-length temporary to ask, say, whether the samples are finite.
"""

from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from math import gcd
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib.array_utils import byte_bounds

# Samples per block in a pass over a recording: 2**22 float64 values are 32 MiB. Large enough
# that ordinary recordings (up to ~4 minutes at 16 kHz) are one block, and per-block overhead
# vanishes against the arithmetic.
BLOCK = 1 << 22

_MADV_DONTNEED = 4
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def _mapped(array: np.ndarray) -> bool:
    """Whether ``array`` (or the array it views) lies in a file mapped shared (read-only or
    read-write): dropping such a page loses nothing, the file has it. Pages of a copy-on-write
    mapping (mode ``c``) may hold the only copy of a change, and are never dropped."""
    base: object = array
    while isinstance(base, np.ndarray):
        if isinstance(base, np.memmap) and getattr(base, "mode", None) in ("r", "r+", "w+"):
            return isinstance(getattr(base, "_mmap", None), mmap.mmap)
        base = base.base
    return False


def release(array: np.ndarray) -> None:
    """Hand back the resident pages under ``array`` when it views a memory-mapped file.

    The data stay in the file (and usually in the OS file cache): reading them again only
    maps them in again. A no-op for ordinary arrays and where ``madvise`` is unavailable.
    """
    if _libc is None or array.size == 0 or not _mapped(array):
        return
    page = mmap.PAGESIZE
    low, high = byte_bounds(array)
    # Whole pages, rounded outwards: the mapping is shared, so dropping a neighbour's page
    # loses nothing and costs at most a re-read from the file cache.
    first, last = low - low % page, -(-high // page) * page
    if last > first:
        _libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(last - first), _MADV_DONTNEED)


def blocks(
    length: int, size: int | None = None, margin: int = 0
) -> Iterator[tuple[int, int, int, int]]:
    """``(start, stop, lo, hi)`` of consecutive blocks covering ``range(length)``: each owns
    ``start:stop`` and reads ``lo:hi``, up to ``margin`` samples more on either side (clipped
    to the recording), for computations that look at neighbours."""
    size = max(int(size or BLOCK), 1)
    for start in range(0, length, size):
        stop = min(start + size, length)
        yield start, stop, max(start - margin, 0), min(stop + margin, length)


def read(samples: np.ndarray, start: int, stop: int, dtype: type = np.float64) -> np.ndarray:
    """A copy of ``samples[start:stop]`` as ``dtype`` (bounds clipped); a memory-mapped
    recording's pages are released afterwards."""
    view = samples[max(start, 0) : max(stop, 0)]
    out: np.ndarray = np.array(view, dtype=dtype)
    release(view)
    return out


def iter_read(
    samples: np.ndarray, size: int | None = None, margin: int = 0, dtype: type = np.float64
) -> Iterator[tuple[int, int, int, np.ndarray]]:
    """``(start, stop, lo, data)``: ``data`` is ``samples[lo:hi]`` (see ``blocks``) as a copy
    in ``dtype``, for a pass over the whole recording."""
    for start, stop, lo, hi in blocks(len(samples), size, margin):
        yield start, stop, lo, read(samples, lo, hi, dtype)


def extremes(samples: np.ndarray, size: int | None = None) -> tuple[float, float]:
    """``(max, min)`` of the samples (NaN when any is NaN, as ``np.max`` says), block by block."""
    if len(samples) == 0:
        raise ValueError("no samples")
    highs, lows = [], []
    for start, stop, _, _ in blocks(len(samples), size):
        view = samples[start:stop]
        highs.append(view.max())
        lows.append(view.min())
        release(view)
    return float(np.max(highs)), float(np.min(lows))


@contextlib.contextmanager
def temporary_file(
    directory: Path | None = None, prefix: str = "earwitness-"
) -> Iterator[tuple[BinaryIO, Path]]:
    """A new file open for writing, removed on leaving (where the system allows: a mapping
    made of it inside keeps its data, and POSIX frees it with the mapping)."""
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=".bin", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle, path
    finally:
        with contextlib.suppress(OSError):  # Windows keeps a mapped file until it is freed
            path.unlink()


def spill(
    parts: Iterable[tuple[int, np.ndarray]],
    length: int,
    dtype: type = np.float64,
    directory: Path | None = None,
) -> np.ndarray:
    """The ``(first index, block)`` pairs of ``parts`` (in order, covering ``range(length)``)
    written to a temporary file and mapped back read-only: a derived signal as long as the
    recording (a resampled copy, a filtered one) that need not sit in memory."""
    if length == 0:
        return np.zeros(0, dtype=dtype)
    with temporary_file(directory) as (handle, path):
        written = 0
        for first, block in parts:
            if first != written:
                raise ValueError("blocks must follow each other")
            handle.write(np.ascontiguousarray(block, dtype=dtype).tobytes())
            written += len(block)
        if written != length:
            raise ValueError(f"{written} values written, {length} expected")
        handle.flush()
        return np.memmap(path, dtype=dtype, mode="r", shape=(length,))


def scratch(
    shape: int | tuple[int, ...], dtype: type = np.float64, directory: Path | None = None
) -> np.memmap:
    """A writable array of zeros in a temporary file, for a derived signal written out of
    order; ``release`` its pages as it fills."""
    with temporary_file(directory) as (_, path):
        return np.memmap(path, dtype=dtype, mode="w+", shape=shape)


def _ratio(sample_rate: int, rate: int) -> tuple[int, int]:
    common = gcd(int(rate), int(sample_rate))
    return int(rate) // common, int(sample_rate) // common


def resampled_length(length: int, sample_rate: int, rate: int) -> int:
    """How many samples ``length`` samples at ``sample_rate`` become at ``rate``."""
    up, down = _ratio(sample_rate, rate)
    return -(-length * up // down)


def resample_blocks(
    samples: np.ndarray,
    sample_rate: int,
    rate: int,
    size: int | None = None,
    *,
    finite: bool = False,
    dtype: type = np.float64,
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first output index, block)``: ``samples`` at ``rate``, about ``size`` input samples
    at a time, each block identical to that part of ``scipy.signal.resample_poly``'s result
    for the whole signal as ``dtype`` (which it computes in).

    ``resample_poly`` sums each output over a fixed span of input samples in a fixed order, so
    filtering a block read with a margin wider than that span, starting on a multiple of the
    decimation factor, yields exactly the whole signal's outputs for its middle. ``finite``:
    NaN and infinities (a damaged float file) are read as ``np.nan_to_num`` gives them."""
    n = len(samples)
    if sample_rate == rate:
        for start, _, _, data in iter_read(samples, size, dtype=dtype):
            yield start, np.nan_to_num(data, copy=False) if finite else data
        return
    # Imported here: scipy.signal takes over a second to import, and most commands that read
    # media (a report taken from the case, every error path) never resample.
    from scipy import signal

    up, down = _ratio(sample_rate, rate)
    half_len = 10 * max(up, down)  # resample_poly's filter reaches this far (output rate x up)
    margin = (2 * half_len // up // down + 2) * down
    size = max((size or BLOCK) // down, 1) * down
    total = -(-n * up // down)
    for start, stop, lo, data in iter_read(samples, size, margin, dtype):
        if finite:
            np.nan_to_num(data, copy=False)
        filtered = signal.resample_poly(data, up, down)
        first = start * up // down
        last = total if stop == n else stop * up // down
        offset = (start - lo) * up // down
        yield first, filtered[offset : offset + last - first]
