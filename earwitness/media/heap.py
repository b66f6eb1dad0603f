"""Keeping the C heap from holding on to memory that a long run has already freed.

Whisper's batches (CTranslate2) and the checks (NumPy) allocate and free buffers of one to a
few hundred megabytes many times over. glibc's malloc serves a block larger than its mmap
threshold from ``mmap`` and unmaps it when freed, but it raises that threshold to the size of
every such block freed (up to 32 MiB): after the first batch, buffers of up to 32 MiB come from
the heap arenas instead, where freed space is kept for reuse, scattered between live blocks,
and not handed back. On a 10-minute recording (bench/RESULTS.md, "Peak memory on long
recordings") ``report`` peaked at 1.40-1.60 GB with the moving threshold and at 1.20 GB
with it fixed at 1 MiB; on 2 hours, 1.37 GB.

``bound_heap`` fixes the threshold; ``trim_heap`` hands back the free pages the arenas still
hold. Both change where memory comes from, never what is computed with it, and both do nothing
where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# Blocks from this size up are mapped on their own and unmapped when freed. Each such block
# costs two system calls and fresh zeroed pages (CTranslate2 probably allocates such buffers at
# every decoding step; not profiled): a 10-minute report took 20-35 % longer (once twice as
# long) on the shared 2-core machine. At 4 MiB it was faster, but the peak was 0.04-0.10 GB
# higher, too close to the 1.5 GB goal.
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number in glibc's malloc.h


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
    """Fix malloc's mmap threshold at ``MMAP_THRESHOLD`` for the rest of the process, so large
    buffers go back to the system when freed. Returns whether the C library took it."""
    global _bounded
    if _LIBC is None:
        return False
    if not _bounded:
        _bounded = bool(_LIBC.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    return _bounded


def trim_heap() -> None:
    """Hand the free pages of every malloc arena back to the system (after a stage or a batch:
    what the next one needs is allocated again, at the cost of fresh pages)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
