"""How long the command line takes to answer, against starting it at all.

    .venv/bin/python bench/command_start.py [--runs 7] [--compare OTHER_CHECKOUT]

A journalist types a command and waits; the test suite runs the command line about a thousand
times. Most commands do little work on a small case, so what they cost is mostly what they
import. This makes a fresh case (its own config folder) holding one 3-second recording,
examined and transcribed once, then times each command below ``--runs`` times in a fresh
process, in turns, and prints the median of each and its ratio to ``earwitness --version``
(the interpreter and the command line's own imports: the floor every command pays).

With ``--compare`` the same commands run, in turns with this checkout's, from another
checkout of the repository (``git worktree add /tmp/before <commit>``), on the same case:
a before and after measured in the same run. No time is judged: the figures are ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from earwitness.cli import main; main()"]
NAME = "call.wav"

# (label, arguments): a command that answers from the case, an export, and error paths.
COMMANDS: list[tuple[str, list[str]]] = [
    ("earwitness --version (baseline)", ["--version"]),
    ("log", ["log"]),
    ("exhibits", ["exhibits"]),
    ("examine, report taken from the case", ["examine", NAME, "--format", "json"]),
    ("transcribe, transcript taken from the case", ["transcribe", NAME, "--speakers", "none"]),
    ("export to a zip", ["export", "-o", "{out}/package-{run}.zip"]),
    ("carry-review with nothing to carry (an error)", ["carry-review", NAME, "--by", "x"]),
    ("examine of a name not in the case (an error)", ["examine", "nosuch"]),
]


def write_call(path: Path, seconds: float = 3.0, rate: int = 16000) -> None:
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.2 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    samples = tone + 0.01 * rng.standard_normal(len(t))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def command(args: list[str], case: Path, env: dict[str, str], check: bool = True) -> float:
    """Seconds from starting the process to its exit."""
    start = time.perf_counter()
    result = subprocess.run([*CLI, *args], cwd=case, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if check and result.returncode != 0:
        raise SystemExit(f"earwitness {' '.join(args)} failed:\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="another checkout, timed in turns")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.compare:
        trees["--compare"] = args.compare.resolve()
    with tempfile.TemporaryDirectory(prefix="earwitness-start-") as scratch:
        folder = Path(scratch)
        env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"), "CI": "true"}
        env.pop("EARWITNESS_CASE", None)
        case, out = folder / "case", folder / "out"
        out.mkdir()
        write_call(folder / NAME)
        setup = {**env, "PYTHONPATH": str(ROOT)}
        command(["init", str(case)], folder, setup)
        command(["ingest", str(folder / NAME)], case, setup)
        command(["examine", NAME, "--format", "json"], case, setup)
        command(["transcribe", NAME, "--speakers", "none"], case, setup)
        times: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs):
            for label, template in COMMANDS:
                filled = [a.format(out=out, run=run) for a in template]
                for tree, path in trees.items():
                    tree_env = {**env, "PYTHONPATH": str(path)}
                    expected_error = "(an error)" in label
                    seconds = command(filled, case, tree_env, check=not expected_error)
                    times.setdefault((label, tree), []).append(seconds)
                    if filled[0] == "export":  # the next tree writes the same name
                        Path(filled[2]).unlink(missing_ok=True)
    print(f"command start, median of {args.runs} runs (fresh process each), in turns")
    for tree in trees:
        base = statistics.median(times[(COMMANDS[0][0], tree)])
        print(f"\n{tree} ({trees[tree]}):")
        for label, _ in COMMANDS:
            median = statistics.median(times[(label, tree)])
            print(f"  {label:<48} {median:6.2f} s  {median / base:5.2f}× the baseline")


if __name__ == "__main__":
    main()
