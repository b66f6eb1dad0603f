"""Package verification speed and memory: `earwitness verify-package` against `sha256sum`.

    .venv/bin/python bench/verify_package.py [--gigabytes 2] [--rounds 3]
                                             [--work bench/work/verify_package]

What it measures. A case holding ``--gigabytes`` of recordings (five equal files of random
bytes: what they contain does not change the cost of hashing them) is built once under
``--work`` and exported twice through the real CLI, as a zipped bag and as a bag folder; each
is reused while it is there (delete ``bag.zip`` or ``bag/`` to export again). Each round then
times, one after the other, for each bag:

- the baseline the issue defines: ``sha256sum`` over the same bytes (the zip file; every file
  of the folder, in one ``sha256sum`` process);
- ``earwitness verify-package BAG`` through the real console script, whose peak resident
  memory is read from ``os.wait4`` (``ru_maxrss`` of that child alone).

``verify-package`` reads every payload file once and checks both its SHA-256 and its SHA-512
(both manifests), streams the zip members without unpacking them (``zipfile`` also checks each
member's CRC-32), and checks the custody log and catalog. Every file is read once untimed
first (warm page cache on both sides) and the sides alternate for ``--rounds`` rounds; the
ratio of the medians is the result (goal: <= 1.3), with peak memory (goal: <= 200 MB). Only
ratios are judged: absolute times depend on the machine and on whoever else is using it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EARWITNESS = [sys.executable, "-c", "from earwitness.cli import main; main()"]
FILES = 5
GOAL_RATIO = 1.3
GOAL_PEAK_MB = 200
INTACT = (0, 4)  # 4: intact, signed by a key this machine has not been told to trust


def cli(*args: str | Path, env: dict[str, str]) -> None:
    result = subprocess.run([*EARWITNESS, *map(str, args)], env=env, capture_output=True, text=True)
    if result.returncode not in (0, 3):  # 3: random bytes are preserved but not decodable
        sys.exit(f"earwitness {args[0]} failed ({result.returncode}):\n{result.stderr}")


def build(work: Path, gigabytes: float, env: dict[str, str]) -> tuple[Path, Path]:
    """The case and its two exports, each made once and reused while it is there."""
    case, zipped, folder = work / "case", work / "bag.zip", work / "bag"
    if not (case / ".earwitness" / "custody.jsonl").is_file():
        shutil.rmtree(work, ignore_errors=True)
        (work / "media").mkdir(parents=True)
        rng = np.random.default_rng(13)
        size = int(gigabytes * 1e9 / FILES)
        for n in range(FILES):
            with open(work / "media" / f"recording-{n}.bin", "wb") as sink:
                for start in range(0, size, 1 << 24):
                    sink.write(rng.bytes(min(1 << 24, size - start)))
        cli("init", case, env=env)
        cli("ingest", "--case", case, *sorted((work / "media").iterdir()), env=env)
        shutil.rmtree(work / "media")  # the case holds them now
    if not zipped.is_file():
        cli("export", "--case", case, "-o", zipped, env=env)
    if not (folder / "bagit.txt").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        cli("export", "--case", case, "-o", folder, env=env)
    return zipped, folder


def files_of(bag: Path) -> list[Path]:
    return [bag] if bag.is_file() else sorted(p for p in bag.rglob("*") if p.is_file())


def warm(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as source:
            while source.read(1 << 24):
                pass


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """(seconds, exit code, peak resident MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, process.returncode, usage.ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "verify_package")
    options = parser.parse_args()
    work = options.work.resolve()
    env = {**os.environ, "XDG_CONFIG_HOME": str(work / "config"), "EARWITNESS_ACTOR": "bench"}
    zipped, folder = build(work, options.gigabytes, env)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rows = []
    for bag in (zipped, folder):
        paths = files_of(bag)
        megabytes = sum(p.stat().st_size for p in paths) / 1e6
        warm(paths)
        baseline, ours, peaks = [], [], []
        for _ in range(options.rounds):
            seconds, rc, _ = timed(["sha256sum", *map(str, paths)], env)
            assert rc == 0
            baseline.append(seconds)
            seconds, rc, peak = timed([*EARWITNESS, "verify-package", str(bag)], env)
            if rc not in INTACT:
                sys.exit(f"verify-package {bag} exited {rc}")
            ours.append(seconds)
            peaks.append(peak)
        rows.append(
            (bag.name, megabytes, statistics.median(baseline), statistics.median(ours), max(peaks))
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print()
    print("| bag | MB | `sha256sum` | `verify-package` | ratio | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, megabytes, baseline_s, ours_s, peak in rows:
        ratio = ours_s / baseline_s
        print(
            f"| {name} | {megabytes:.0f} | {baseline_s:.2f} s | {ours_s:.2f} s | {ratio:.2f} "
            f"| {peak} MB |"
        )
    worst_ratio = max(r[3] / r[2] for r in rows)
    worst_peak = max(r[4] for r in rows)
    print()
    print(
        f"goal ratio <= {GOAL_RATIO}: {'met' if worst_ratio <= GOAL_RATIO else 'NOT met'} "
        f"(worst {worst_ratio:.2f}); goal peak <= {GOAL_PEAK_MB} MB: "
        f"{'met' if worst_peak <= GOAL_PEAK_MB else 'NOT met'} (worst {worst_peak} MB)"
    )


if __name__ == "__main__":
    main()
