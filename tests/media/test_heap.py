"""``media.heap``: freed buffers of a few megabytes go back to the system.

Each case runs in a fresh interpreter, since the mmap threshold is a setting of the whole
process, and measures its resident memory after freeing 64 buffers of 4 MiB that were laid
between small blocks that stay alive (the pattern that leaves holes in a heap arena).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from earwitness.media import heap

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    from earwitness.media import heap

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    if sys.argv[1] == "bound":
        assert heap.bound_heap()
    first = np.ones(1 << 19)  # 4 MiB, then freed: glibc raises its threshold past that size
    del first
    before = resident()
    big, small = [], []
    for _ in range(64):
        big.append(np.ones(1 << 19))
        small.append(np.ones(100))  # stays alive, between the big blocks
    big.clear()
    if sys.argv[1] == "trim":
        heap.trim_heap()
    print(resident() - before)
    """
)
MIB = 1 << 20
glibc_only = pytest.mark.skipif(heap._LIBC is None, reason="the C library is not glibc")


def _held_after_free(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


@glibc_only
def test_without_a_fixed_threshold_freed_buffers_stay_resident() -> None:
    # The problem the module solves, shown so the two tests below can fail.
    assert _held_after_free("plain") > 128 * MIB


@glibc_only
def test_bound_heap_hands_freed_buffers_back() -> None:
    assert _held_after_free("bound") < 32 * MIB


@glibc_only
def test_trim_heap_hands_back_the_holes_left_in_the_heap() -> None:
    assert _held_after_free("trim") < 32 * MIB


def test_both_are_harmless_to_call_again() -> None:
    heap.bound_heap()
    assert heap.bound_heap() is (heap._LIBC is not None)
    heap.trim_heap()
