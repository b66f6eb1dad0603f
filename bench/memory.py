"""Peak memory of `earwitness examine` (and `report`) on long recordings.

    .venv/bin/python bench/memory.py [--hours 2] [--which wav16,flac48] [--report]
                                     [--report-minutes 20] [--keep]

Writes, under bench/work/memory/ (git-ignored), recordings of real speech clips
(../shared/data/real/speech, looped with pauses of 0.4-3 s), room noise and 50 Hz hum:

- ``wav16``: 16 kHz mono 16-bit WAV;
- ``flac48``: 48 kHz stereo 16-bit FLAC (the right channel a quieter, differently noisy copy).

A recording is made once per length and reused while its file exists. Then runs
``earwitness examine FILE --format json`` (outside any case, so nothing is stored) in a child
process and reports that child's peak resident set size (``ru_maxrss`` from ``wait4``), with
its ratio to the size of the decoded mono float32 samples (4 bytes a sample). ``--report``
also runs ``earwitness report FILE --speakers none`` (needs an installed speech model; slow on
few cores, so it runs on a ``--report-minutes`` cut of the same recording).

Goals (issue 12): examine <= 1.0 GB and report <= 1.5 GB peak on 2-hour recordings.
Where within ``report`` the peak lies, stage by stage: ``bench/stage_memory.py``.

``--via SCRIPT`` runs a Python script in place of the CLI (it must call
``earwitness.cli.main``), e.g. one that swaps the decoder, to measure a change before it is
wired in. Run with ``PYTHONPATH=OTHER_CHECKOUT`` to measure another version of the code.
Temporary files (the decoded samples, resampled and filtered copies) go to ``$TMPDIR``: at
most about 1.7 GB per hour of 48 kHz audio, freed as each check ends.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from earwitness.media.decode import decode_audio, resample  # noqa: E402

SPEECH = ROOT.parent / "shared" / "data" / "real" / "speech"
WORK = ROOT / "bench" / "work" / "memory"
EARWITNESS = [sys.executable, "-c", "from earwitness.cli import main; main()"]
KINDS = {"wav16": (16000, 1, "wav"), "flac48": (48000, 2, "flac")}
BLOCK_S = 60.0  # generated and written a minute at a time


def _voices(rate: int) -> list[np.ndarray]:
    clips = sorted(c for c in SPEECH.rglob("*.wav") if "stereo" not in c.name)
    if not clips:
        raise SystemExit(f"no speech clips under {SPEECH}")
    voices = []
    for clip in clips:
        decoded = decode_audio(clip)
        voice = resample(decoded.samples, decoded.sample_rate, rate)
        voices.append(0.3 * voice / (np.abs(voice).max() + 1e-9))
    return voices


def speech_blocks(seconds: float, rate: int, channels: int, seed: int = 12) -> Iterator[np.ndarray]:
    """The recording as int16 blocks of shape (n, channels): speech, pauses, noise, hum."""
    rng = np.random.default_rng(seed)
    voices = _voices(rate)
    total = int(seconds * rate)
    block = int(BLOCK_S * rate)
    pending = np.zeros(0, dtype=np.float32)
    written, phase = 0, 0.0
    while written < total:
        pieces = [pending]
        held = len(pending)
        while held < block:
            voice = voices[int(rng.integers(len(voices)))]
            pause = np.zeros(int(rng.uniform(0.4, 3.0) * rate), dtype=np.float32)
            pieces += [voice, pause]
            held += len(voice) + len(pause)
        joined = np.concatenate(pieces)
        n = min(block, total - written)
        dry, pending = joined[:n], joined[n:]
        t = np.arange(n) / rate
        hum = 0.004 * np.sin(phase + 2 * np.pi * 50.0 * t)
        phase = float((phase + 2 * np.pi * 50.0 * n / rate) % (2 * np.pi))
        left = dry + hum + 0.002 * rng.standard_normal(n)
        columns = [left]
        if channels == 2:
            columns.append(0.8 * dry + hum + 0.002 * rng.standard_normal(n))
        out = np.stack(columns, axis=1)
        yield (np.clip(out, -1, 1) * 32767).astype("<i2")
        written += n


def write_wav(path: Path, seconds: float, rate: int, channels: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        for block in speech_blocks(seconds, rate, channels):
            out.writeframes(block.tobytes())


def write_flac(path: Path, seconds: float, rate: int, channels: int) -> None:
    import av

    layout = "stereo" if channels == 2 else "mono"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("flac", rate=rate, layout=layout)
        stream.format = "s16"
        for block in speech_blocks(seconds, rate, channels):
            for first in range(0, len(block), 4096):
                part = np.ascontiguousarray(block[first : first + 4096]).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(part, format="s16", layout=layout)
                frame.sample_rate = rate
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


def recording(kind: str, minutes: float) -> Path:
    rate, channels, ext = KINDS[kind]
    path = WORK / f"{kind}-{minutes:g}min.{ext}"
    if not path.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial." + ext)
        started = time.perf_counter()
        (write_wav if ext == "wav" else write_flac)(partial, minutes * 60, rate, channels)
        partial.rename(path)
        print(f"  wrote {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def peak_rss(command: list[str], cwd: Path) -> tuple[int, float, int]:
    """(exit status, wall seconds, peak RSS in bytes) of ``command`` run as a child."""
    started = time.perf_counter()
    with open(cwd / "stderr.txt", "wb") as errors:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, time.perf_counter() - started, usage.ru_maxrss * 1024


def _line(
    what: str, path: Path, minutes: float, rate: int, code: int, wall: float, peak: int
) -> str:
    decoded = minutes * 60 * rate * 4
    return (
        f"| {what} | {path.name} | {path.stat().st_size / 1e6:.0f} MB | "
        f"{decoded / 1e9:.2f} GB | {peak / 1e9:.2f} GB | {peak / decoded:.2f} | {wall:.0f} s | "
        f"{code} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--which", default="wav16,flac48")
    parser.add_argument("--report", action="store_true", help="also measure `report`")
    parser.add_argument("--report-minutes", type=float, default=20.0)
    parser.add_argument("--keep", action="store_true", help="keep the outputs under bench/work")
    parser.add_argument(
        "--via", type=Path, help="a Python script to run in place of the CLI (calls its main)"
    )
    args = parser.parse_args(argv)
    earwitness = [sys.executable, str(args.via.resolve())] if args.via else EARWITNESS
    kinds = [k for k in args.which.split(",") if k]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} CPUs")
    print("| command | file | file size | decoded mono f32 | peak RSS | ratio | wall | exit |")
    print("|---|---|---|---|---|---|---|---|")
    for kind in kinds:
        rate = KINDS[kind][0]
        minutes = args.hours * 60
        path = recording(kind, minutes)
        with tempfile.TemporaryDirectory(dir=WORK) as folder:
            out = Path(folder)
            command = [*earwitness, "examine", str(path), "--format", "json", "-o", "exam.json"]
            code, wall, peak = peak_rss(command, out)
            print(_line("examine", path, minutes, rate, code, wall, peak), flush=True)
            if code:
                print((out / "stderr.txt").read_text()[-2000:], file=sys.stderr)
            if args.keep:
                shutil.copy(out / "exam.json", WORK / f"{path.stem}.examination.json")
        if args.report:
            short = recording(kind, args.report_minutes)
            with tempfile.TemporaryDirectory(dir=WORK) as folder:
                out = Path(folder)
                command = [*earwitness, "report", str(short), "--speakers", "none", "-o", "d"]
                code, wall, peak = peak_rss(command, out)
                line = _line("report", short, args.report_minutes, rate, code, wall, peak)
                print(line, flush=True)
                if code:
                    print((out / "stderr.txt").read_text()[-2000:], file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
