"""``media.heap``: freed large buffers go back to the system, and threads share few arenas.

Each case runs in a fresh interpreter, since both are settings of the whole process. The first
script measures its resident memory after freeing buffers of 24 MiB (past ``MMAP_THRESHOLD``,
under glibc's 32 MiB ceiling for its moving threshold) that were laid between small blocks
that stay alive (the pattern that leaves holes in a heap arena); the second counts the arenas
glibc's ``malloc_stats`` reports while four threads hold memory.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from earwitness.media import heap

HELD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from earwitness.media import heap

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    if sys.argv[1] == "bound":
        assert heap.bound_heap()
    first = np.ones(3 << 20)  # 24 MiB, then freed: glibc raises its threshold past that size
    del first
    before = resident()
    big, small = [], []
    for _ in range(6):
        big.append(np.ones(3 << 20))
        # 8 kB, past NumPy's cache of small buffers: stays alive, between the big blocks
        small.append(np.ones(1000))
    big.clear()
    if sys.argv[1] == "trim":
        heap.trim_heap()
    print(resident() - before)
    """
)
ARENAS = textwrap.dedent(
    """
    import sys
    import threading
    import numpy as np
    from earwitness.media import heap

    if sys.argv[1] == "bound":
        assert heap.bound_heap()
    together = threading.Barrier(5)
    kept = []

    def allocate() -> None:
        kept.append(np.ones(10_000))  # a thread's first malloc picks (or makes) its arena
        together.wait()

    threads = [threading.Thread(target=allocate) for _ in range(4)]
    for thread in threads:
        thread.start()
    together.wait()
    for thread in threads:
        thread.join()
    heap._LIBC.malloc_stats()  # one "Arena N:" line per arena, on stderr
    """
)
MAPPED = textwrap.dedent(
    """
    import ctypes
    import sys
    import numpy as np
    from earwitness.media import heap

    class Info(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
            "fordblks", "keepcost")]

    if not hasattr(heap._LIBC, "mallinfo2"):
        print(-1)
        raise SystemExit
    heap._LIBC.mallinfo2.restype = Info
    assert heap.bound_heap()
    if sys.argv[1] == "short":
        assert heap.set_mmap_threshold(heap.SHORT_RUN_MMAP_THRESHOLD)
    block = np.ones(1 << 20)  # 8 MiB
    print(heap._LIBC.mallinfo2().hblkhd)  # bytes in blocks mapped on their own
    """
)
MIB = 1 << 20
glibc_only = pytest.mark.skipif(heap._LIBC is None, reason="the C library is not glibc")


def _held_after_free(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", HELD, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def _arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", ARENAS, mode], capture_output=True, text=True, check=True
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@glibc_only
def test_without_a_fixed_threshold_freed_buffers_stay_resident() -> None:
    # The problem the module solves, shown so the tests below can fail.
    assert _held_after_free("plain") > 96 * MIB


@glibc_only
def test_bound_heap_hands_freed_buffers_back() -> None:
    assert heap.MMAP_THRESHOLD < 24 * MIB
    assert _held_after_free("bound") < 32 * MIB


@glibc_only
def test_trim_heap_hands_back_the_holes_left_in_the_heap() -> None:
    assert _held_after_free("trim") < 32 * MIB


@glibc_only
def test_bound_heap_keeps_threads_to_few_arenas() -> None:
    assert _arenas("plain") == 5  # the main arena and one per thread
    assert _arenas("bound") == heap.MAX_ARENAS


def _mapped(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", MAPPED, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


@glibc_only
def test_a_short_run_keeps_buffers_of_a_few_mib_in_the_heap() -> None:
    bounded = _mapped("bound")
    if bounded < 0:
        pytest.skip("glibc without mallinfo2")
    assert bounded >= 8 * MIB  # mapped on its own, and unmapped when freed
    assert _mapped("short") < 8 * MIB  # from the heap, kept there for the next one


def test_both_are_harmless_to_call_again() -> None:
    heap.bound_heap()
    assert heap.bound_heap() is (heap._LIBC is not None)
    heap.trim_heap()
