"""Ingest speed: `earwitness ingest` against `sha256sum` + `cp` of the same files, same run.

    .venv/bin/python bench/ingest.py [--gigabytes 2] [--rounds 3] [--work bench/work/ingest]

Generates WAV files (noise + tones, 48 kHz stereo 16-bit) once, then alternates baseline and
Earwitness runs and prints the ratio of their medians. Goal: ratio <= 1.3. No absolute times
are judged anywhere: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
EARWITNESS = [sys.executable, "-c", "from earwitness.cli import main; main()"]
FILE_BYTES = 256 * 1024 * 1024


def make_media(folder: Path, total_bytes: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    files = []
    for index in range(max(1, total_bytes // FILE_BYTES)):
        path = folder / f"recording-{index:02}.wav"
        files.append(path)
        if path.is_file() and path.stat().st_size >= FILE_BYTES:
            continue
        with wave.open(str(path), "wb") as writer:
            writer.setnchannels(2)
            writer.setsampwidth(2)
            writer.setframerate(48000)
            frames = FILE_BYTES // 4
            for start in range(0, frames, 1 << 20):
                count = min(1 << 20, frames - start)
                block = rng.integers(-3000, 3000, size=(count, 2), dtype=np.int16)
                writer.writeframes(block.tobytes())
    return files


def baseline(files: list[Path], scratch: Path) -> float:
    target = scratch / "copies"
    target.mkdir()
    began = time.perf_counter()
    for path in files:
        subprocess.run(["sha256sum", str(path)], check=True, capture_output=True)
        subprocess.run(["cp", str(path), str(target)], check=True)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - began
    shutil.rmtree(target)
    return elapsed


def earwitness(files: list[Path], scratch: Path) -> float:
    env = {**os.environ, "XDG_CONFIG_HOME": str(scratch / "config"), "CI": "1"}
    case = scratch / "case"
    subprocess.run([*EARWITNESS, "init", str(case)], check=True, env=env, capture_output=True)
    began = time.perf_counter()
    subprocess.run(
        [*EARWITNESS, "ingest", "--case", str(case), *map(str, files)],
        check=True,
        env=env,
        capture_output=True,
    )
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - began
    shutil.rmtree(case)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "ingest")
    args = parser.parse_args()
    files = make_media(args.work / "media", int(args.gigabytes * 1024**3))
    total = sum(p.stat().st_size for p in files)
    base_times, ours = [], []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(dir=args.work) as scratch:
            base_times.append(baseline(files, Path(scratch)))
        with tempfile.TemporaryDirectory(dir=args.work) as scratch:
            ours.append(earwitness(files, Path(scratch)))
    base, mine = statistics.median(base_times), statistics.median(ours)
    print(f"files: {len(files)}, {total / 1e9:.2f} GB, rounds: {args.rounds}")
    print(f"sha256sum + cp: median {base:.2f} s ({total / base / 1e6:.0f} MB/s)")
    print(f"earwitness ingest: median {mine:.2f} s ({total / mine / 1e6:.0f} MB/s)")
    print(f"ratio earwitness / (sha256sum + cp) = {mine / base:.2f} (goal <= 1.3)")


if __name__ == "__main__":
    main()
