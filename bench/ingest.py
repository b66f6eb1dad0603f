"""Ingest speed: `earwitness ingest` against `sha256sum` + `cp` of the same files, same run.

    .venv/bin/python bench/ingest.py [--gigabytes 2] [--rounds 3] [--work bench/work/ingest]

What it measures. The media set (by default 2 GB: a few WAV files of up to 400 MB, 16-bit PCM,
48 kHz stereo, noise plus steady tones; and a few smaller FLAC and MP3 files encoded with PyAV,
so more than one container is probed) is generated once into ``--work/media`` and reused while
the files are whole. Each round then times, one after the other:

- the baseline the issue defines: for each file ``sha256sum FILE`` then ``cp FILE DEST/``,
  sequential subprocesses, into a fresh folder on the same filesystem;
- ``earwitness init`` of a fresh case (not timed), then ``earwitness ingest --case CASE FILES...``
  through the real console script, with ``XDG_CONFIG_HOME`` in a temporary folder so the signing
  key made there never touches ``~/.config``.

Page caches cannot be dropped here, so every file is read once untimed before the first round
(both sides read from a warm cache) and the sides alternate for ``--rounds`` rounds; the ratio
of the medians is the result (goal: <= 1.3). ``earwitness`` fsyncs each object before it records
it while ``cp`` leaves its copies dirty in memory, so a second ratio is printed in which both
sides end with ``sync``. Copies and cases are deleted after every side. Only ratios are judged:
absolute times depend on the machine and on whoever else is using it.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
RATE = 48_000
CHANNELS = 2
FRAME_BYTES = 2 * CHANNELS
WAV_HEADER_BYTES = 44
WAV_MAX_BYTES = 400_000_000
BLOCK_FRAMES = 1 << 18  # 1 MiB of 16-bit stereo per block: memory stays small
# (container, seconds at --gigabytes 2): a few smaller compressed files beside the WAVs.
COMPRESSED = [("flac", 120.0), ("flac", 90.0), ("mp3", 300.0), ("mp3", 240.0)]
GOAL = 1.3


def signal(seed: int, frames: int, block_frames: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """Noise plus three steady tones as int16 (frames, 2) blocks; the same for the same seed."""
    rng = np.random.default_rng(seed)
    tones = [(110.0 * (seed % 5 + 1), 4000.0), (1000.0, 2500.0), (50.0 * (seed % 3 + 1), 1500.0)]
    for start in range(0, frames, block_frames):
        count = min(block_frames, frames - start)
        t = (start + np.arange(count)) / RATE
        mono = sum(amp * np.sin(2 * np.pi * freq * t) for freq, amp in tones)
        noise = rng.standard_normal((count, CHANNELS), dtype=np.float32) * 1200.0
        yield np.clip(noise + mono[:, None], -32768, 32767).astype(np.int16)


def write_wav(path: Path, frames: int, seed: int) -> None:
    part = path.with_name(path.name + ".part")
    with wave.open(str(part), "wb") as writer:
        writer.setnchannels(CHANNELS)
        writer.setsampwidth(2)
        writer.setframerate(RATE)
        for block in signal(seed, frames):
            writer.writeframes(block.tobytes())
    part.replace(path)


def write_compressed(path: Path, container: str, seconds: float, seed: int) -> None:
    part = path.with_name(path.name + ".part")
    codec = "libmp3lame" if container == "mp3" else container
    with av.open(str(part), mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=RATE, layout="stereo")
        if container == "mp3":
            stream.bit_rate = 192_000
        pts = 0
        for block in signal(seed, int(seconds * RATE), block_frames=RATE):
            frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="stereo")
            frame.sample_rate = RATE
            frame.pts = pts
            pts += block.shape[0]
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    part.replace(path)


def make_media(folder: Path, total_bytes: int) -> list[Path]:
    """The media set, generated where missing; WAVs fill what the compressed files leave."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    scale = min(1.0, total_bytes / 2e9)
    for index, (container, seconds) in enumerate(COMPRESSED):
        seconds = max(1.0, round(seconds * scale))
        path = folder / f"tones-{index:02}-{seconds:g}s.{container}"
        if not (path.is_file() and path.stat().st_size > 0):
            print(f"generating {path.name}", file=sys.stderr)
            write_compressed(path, container, seconds, seed=100 + index)
        files.append(path)
    left = max(0, total_bytes - sum(p.stat().st_size for p in files))
    count = max(1, math.ceil(left / WAV_MAX_BYTES))
    frames = max(RATE, (left // count - WAV_HEADER_BYTES) // FRAME_BYTES)
    for index in range(count):
        path = folder / f"tones-{index:02}.wav"
        if not (path.is_file() and path.stat().st_size == WAV_HEADER_BYTES + frames * FRAME_BYTES):
            print(f"generating {path.name} ({frames * FRAME_BYTES / 1e6:.0f} MB)", file=sys.stderr)
            write_wav(path, frames, seed=index)
        files.append(path)
    return sorted(files, key=lambda p: (p.suffix != ".wav", p.name))


def read_all(files: list[Path]) -> None:
    """Read every file once, untimed, so both sides start from the same warm page cache."""
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(8 << 20):
                pass


def earwitness_command() -> list[str]:
    script = Path(sys.executable).parent / "earwitness"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from earwitness.cli import main; main()"]


def sync() -> None:
    subprocess.run(["sync"], check=True)


def baseline(files: list[Path], scratch: Path) -> tuple[float, float]:
    """Seconds for sha256sum + cp of every file, then the same with a final sync."""
    target = scratch / "copies"
    target.mkdir()
    began = time.perf_counter()
    for path in files:
        subprocess.run(["sha256sum", str(path)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cp", str(path), str(target)], check=True)
    done = time.perf_counter()
    sync()
    synced = time.perf_counter()
    shutil.rmtree(target)
    sync()
    return done - began, synced - began


def earwitness(files: list[Path], scratch: Path) -> tuple[float, float]:
    """Seconds for `earwitness ingest` of every file into a fresh case, then with a final sync."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(scratch / "config"), "CI": "1"}
    env.pop("EARWITNESS_CASE", None)
    case = scratch / "case"
    command = earwitness_command()
    subprocess.run([*command, "init", str(case)], check=True, env=env, capture_output=True)
    began = time.perf_counter()
    result = subprocess.run(
        [*command, "ingest", "--case", str(case), *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
    )
    done = time.perf_counter()
    sync()
    synced = time.perf_counter()
    ingested = result.stdout.splitlines()
    if result.returncode != 0 or len(ingested) != len(files):
        sys.exit(f"earwitness ingest exited {result.returncode}:\n{result.stdout}{result.stderr}")
    shutil.rmtree(case)
    sync()
    return done - began, synced - began


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=2.0, help="size of the media set")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument(
        "--work",
        type=Path,
        default=REPO / "bench" / "work" / "ingest",
        help="work folder: media/ is kept there, copies and cases come and go",
    )
    args = parser.parse_args()
    if args.rounds < 1 or args.gigabytes <= 0:
        parser.error("--rounds and --gigabytes must be positive")
    files = make_media(args.work / "media", int(args.gigabytes * 1e9))
    total = sum(p.stat().st_size for p in files)
    kinds = ", ".join(
        f"{sum(p.suffix == s for p in files)} {s[1:]}" for s in (".wav", ".flac", ".mp3")
    )
    read_all(files)
    sync()
    base: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    for number in range(1, args.rounds + 1):
        for side, times in ((baseline, base), (earwitness, ours)):
            with tempfile.TemporaryDirectory(dir=args.work, prefix="round-") as scratch:
                times.append(side(files, Path(scratch)))
        print(
            f"round {number}: sha256sum + cp {base[-1][0]:.2f} s (sync {base[-1][1]:.2f} s), "
            f"earwitness {ours[-1][0]:.2f} s (sync {ours[-1][1]:.2f} s)",
            file=sys.stderr,
        )
    b_plain, b_sync = (statistics.median(t[i] for t in base) for i in (0, 1))
    e_plain, e_sync = (statistics.median(t[i] for t in ours) for i in (0, 1))
    print(f"files: {len(files)} ({kinds}), {total / 1e9:.2f} GB, rounds: {args.rounds}")
    print(f"sha256sum + cp:    median {b_plain:.2f} s ({total / b_plain / 1e6:.0f} MB/s)")
    print(f"earwitness ingest: median {e_plain:.2f} s ({total / e_plain / 1e6:.0f} MB/s)")
    print(f"ratio earwitness / (sha256sum + cp) = {e_plain / b_plain:.2f} (goal <= {GOAL})")
    print(
        f"with a final sync on both sides: {b_sync:.2f} s vs {e_sync:.2f} s, "
        f"ratio = {e_sync / b_sync:.2f}"
    )


if __name__ == "__main__":
    main()
