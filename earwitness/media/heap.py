"""Keeping the C heap from holding on to memory that a long run has already freed.

Whisper's batches (CTranslate2) and the checks (NumPy) allocate and free buffers of one to a
few hundred megabytes many times over. glibc's malloc serves a block larger than its mmap
threshold from ``mmap`` and unmaps it when freed, but it raises that threshold to the size of
every such block freed (up to 32 MiB): after the first batch, buffers of up to 32 MiB come from
the heap arenas instead, where freed space is kept for reuse, scattered between live blocks,
and not handed back. And each thread that allocates gets an arena of its own (up to eight per
core), each keeping its own freed space. On a 10-minute recording (bench/RESULTS.md, "Peak
memory on long recordings") ``report`` peaked at 1.41-1.44 GB with glibc's defaults, at
1.19-1.21 GB with the threshold fixed at 1 MiB and at 1.22-1.23 GB with it fixed at 16 MiB and
two arenas. On the 2-hour recording the 16 MiB setting reached 1.51 GB (over the 1.5 GB goal:
what the arenas keep grows with the run) where 1 MiB stayed at 1.37 GB, so this module fixes
the threshold at 1 MiB and keeps two arenas, and pays for it in speed.

``bound_heap`` fixes both; ``set_mmap_threshold`` raises the threshold for a run too short for
this to matter; ``trim_heap`` hands back the free pages the arenas still hold. They change
where memory comes from, never what is computed with it, and do nothing where the C library is
not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# Blocks from this size up are mapped on their own and unmapped when freed. Each such block
# costs two system calls and fresh zeroed pages, and CTranslate2 seems to allocate blocks of a
# few MiB at every decoding step: at 1 MiB a 10-minute report took 2-97 % longer than at 16 MiB
# (about 25 % in the middle, in alternated runs on a loaded machine), but only 1 MiB kept a
# 2-hour report under 1.5 GB.
MMAP_THRESHOLD = 1 << 20
# The threshold while a recording short enough for its stages to run side by side is reported
# (jobs/report.py): the memory that grows with a long run never grows far, and the system
# calls and fresh pages of 1 MiB cost more than a tenth of the time. On the 12-minute report
# (bench/RESULTS.md, 2026-12-06, in turns): 1 MiB 65.5-67.8 s and 1.83 GB, 16 MiB
# 55.8-59.3 s and 1.93-1.94 GB; glibc's own threshold, which climbs to 32 MiB: 50.4 s and
# 2.22 GB.
SHORT_RUN_MMAP_THRESHOLD = 16 << 20
# The threads share this many arenas, so fewer hold freed space apart: with the threshold
# fixed at 16 MiB and no limit (glibc's: eight per core) the peak was 0.03-0.07 GB higher;
# with one arena, 0.02-0.03 GB higher.
MAX_ARENAS = 2
_M_MMAP_THRESHOLD = -3  # mallopt's parameter numbers in glibc's malloc.h
_M_ARENA_MAX = -8


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    if not (hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim")):
        return None  # another C library: its heap is left as it is
    return libc


_LIBC = _glibc()
_bounded = False


def bound_heap() -> bool:
    """Fix malloc's mmap threshold at ``MMAP_THRESHOLD`` and its number of arenas at
    ``MAX_ARENAS`` for the rest of the process, so large buffers go back to the system when
    freed and the others are kept in few places. Call it before the threads that allocate
    start: arenas already made stay. Returns whether the C library took both."""
    global _bounded
    if _LIBC is None:
        return False
    if not _bounded:
        threshold = _LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        arenas = _LIBC.mallopt(_M_ARENA_MAX, MAX_ARENAS)
        _bounded = bool(threshold and arenas)
    return _bounded


def set_mmap_threshold(size: int) -> bool:
    """Map blocks from ``size`` bytes up on their own from now on (a run's threshold, after
    ``bound_heap``). Returns whether the C library took it."""
    return _LIBC is not None and bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, size))


def trim_heap() -> None:
    """Hand the free pages of every malloc arena back to the system (after a stage or a batch:
    what the next one needs is allocated again, at the cost of fresh pages)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
