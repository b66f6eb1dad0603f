"""Peak resident memory of `earwitness report` per stage, on one recording.

    .venv/bin/python bench/stage_memory.py RECORDING [--side-by-side] [--out FOLDER] [--heap HOW]

Runs ``earwitness report RECORDING --speakers none`` in this process (a new case in a temporary
folder, or ``--out``), with a thread that reads the resident set size every 10 ms and charges
it to the stage running at that moment: a stage of the engine (``stage:NAME``), the decoder,
loading Whisper, the voice activity detection, the features and language detection of a batch
of windows (``whisper-call``), the decoding of that batch (``whisper-batch``: CTranslate2's
encoder, beam search and word alignment), or ``other``. Nested stages are charged to the
innermost. Prints each stage's peak, largest first, then the process's ``ru_maxrss``.

The transcription's peak does not grow with the recording's length (it works a batch of 30 s
windows at a time), so a 10-minute recording shows where a 2-hour one peaks. Recordings up
to 30 minutes are examined and transcribed side by side; by default this runs them one after
the other, as ``report`` does for longer recordings (``--side-by-side`` keeps the short
recordings' way).

``--heap`` tries another setting of the C heap than ``media/heap.py``'s (``_SETTING``), to
compare peaks and wall times; the computed numbers are the same under every one.

The functions are wrapped by name: a bench tool, not a test; if a name moves, it says which.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_stack = ["other"]
_peaks: dict[str, int] = {}


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def _sample(stop: threading.Event) -> None:
    while not stop.is_set():
        now, stage = _resident(), _stack[-1]
        _peaks[stage] = max(_peaks.get(stage, 0), now)
        time.sleep(0.01)


def _charged(owner: Any, name: str, label: Callable[..., str] | str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        raise SystemExit(f"{owner.__name__}.{name} is gone: update bench/stage_memory.py")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _stack.append(label(*args, **kwargs) if callable(label) else label)
        try:
            return original(*args, **kwargs)
        finally:
            _stack.pop()

    setattr(owner, name, wrapped)


# Settings of glibc's malloc to try against media/heap.py's own ("default"): "none" (neither
# of its calls), or its trim after each batch and stage with, joined by "-", "threshold-N" (the
# mmap threshold fixed at N MiB instead of 1) or "arenas-N" (at most N malloc arenas), or
# neither ("trim": the threshold left to move, as glibc does by default).
_SETTING = re.compile(r"default|none|trim|(threshold-\d+|arenas-\d+)(-(threshold|arenas)-\d+)?")
_M_MMAP_THRESHOLD, _M_ARENA_MAX = -3, -8  # mallopt's parameter numbers in glibc's malloc.h


def _heap_setting(text: str) -> str:
    if not _SETTING.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a heap setting: {text}")
    return text


def _set_heap(how: str) -> None:
    from earwitness.jobs import report
    from earwitness.media import heap
    from earwitness.speech import asr

    if how == "default":
        # As `report` does before any thread of its own starts: this script's sampling thread
        # would otherwise have an arena of its own before the limit is set.
        heap.bound_heap()
        return
    if heap._LIBC is None:
        raise SystemExit("--heap needs glibc")
    asr.bound_heap = report.bound_heap = lambda: False
    report.set_mmap_threshold = lambda size: False
    if how == "none":
        asr.trim_heap = report.trim_heap = lambda: None
    for name, value in re.findall(r"(threshold|arenas)-(\d+)", how):
        if name == "threshold":
            assert heap._LIBC.mallopt(_M_MMAP_THRESHOLD, int(value) << 20)
        else:
            assert heap._LIBC.mallopt(_M_ARENA_MAX, int(value))


def _instrument(side_by_side: bool) -> None:
    from earwitness.jobs import engine, recording, report
    from earwitness.speech import asr, transcribe

    if not side_by_side:  # as for a long recording: one stage at a time, the bounded heap
        recording.SHORT_RUN_MAX_S = 0
    stage = lambda _run, request, *_a, **_k: f"stage:{request.stage.name}"  # noqa: E731
    _charged(report, "run_stage", stage)
    _charged(engine, "run_stage", stage)
    _charged(recording, "decode", "decode")
    _charged(transcribe, "find_speech", "voice activity")
    _charged(asr.Recognizer, "__init__", "load whisper")
    decode = asr.Recognizer._decode

    def batch(*args: Any, **kwargs: Any) -> Any:
        _stack.append("whisper-call")  # features, language detection: before the batch runs
        try:
            raw, info = decode(*args, **kwargs)
        finally:
            _stack.pop()

        def decoded() -> Iterator[Any]:
            _stack.append("whisper-batch")
            try:
                yield from raw
            finally:
                _stack.pop()

        return decoded(), info

    asr.Recognizer._decode = batch  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--side-by-side", action="store_true")
    parser.add_argument("--out", type=Path, help="folder for the case and dossier")
    parser.add_argument("--heap", type=_heap_setting, default="default", help="C heap setting")
    args = parser.parse_args(argv)
    recording = args.recording.resolve()
    _set_heap(args.heap)
    _instrument(args.side_by_side)
    from earwitness.cli import main as earwitness

    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(stop,), daemon=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.out or Path(scratch)
        started = time.perf_counter()
        sampler.start()
        try:
            earwitness(["report", str(recording), "--speakers", "none", "-o", str(folder / "d")])
        except SystemExit as exit_:
            if exit_.code:
                print(f"report exited {exit_.code}", file=sys.stderr)
        finally:
            time.sleep(0.05)
            stop.set()
            sampler.join()
    wall = time.perf_counter() - started
    print(f"| stage | peak RSS |  ({recording.name}, heap {args.heap}, {wall:.0f} s)")
    print("|---|---:|")
    for name, peak in sorted(_peaks.items(), key=lambda item: -item[1]):
        print(f"| {name} | {peak / 1e9:.2f} GB |")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"| ru_maxrss (whole run) | {maxrss / 1e9:.2f} GB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
