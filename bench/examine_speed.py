"""Speed of `earwitness examine` on a long WAV, against just decoding it, on one core.

    .venv/bin/python bench/examine_speed.py [--minutes 60] [--rate 16000] [--rounds 2]

Writes a recording of real speech clips (../shared/data/real/speech, looped with pauses), room
noise and 50 Hz hum as 16-bit mono WAV, then times, in the same process and alternating:
decoding it (`decode_audio`) and decoding plus examining it (what `examine` does). BLAS and
FFT threads are held to one, and the process to one CPU where the OS allows, so the figure is
per core. Goals: examine at >= 100x real time, and at most 3x the decode time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from threadpoolctl import threadpool_limits  # noqa: E402

from earwitness.forensics.examine import ExhibitFacts, examine  # noqa: E402
from earwitness.media.decode import decode_audio, resample  # noqa: E402
from earwitness.media.probe import probe  # noqa: E402

SPEECH = ROOT.parent / "shared" / "data" / "real" / "speech"


def write_recording(path: Path, minutes: float, rate: int, seed: int = 60) -> None:
    rng = np.random.default_rng(seed)
    clips = [c for c in sorted(SPEECH.rglob("*.wav")) if "stereo" not in c.name]
    voices = []
    for clip in clips:
        decoded = decode_audio(clip)
        voice = resample(decoded.samples, decoded.sample_rate, rate)
        voices.append(0.3 * voice / (np.abs(voice).max() + 1e-9))
    total = int(minutes * 60 * rate)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        written, phase = 0, 0.0
        while written < total:
            voice = voices[int(rng.integers(len(voices)))]
            block = np.concatenate([voice, np.zeros(int(rng.uniform(0.4, 3.0) * rate))])
            block = block[: total - written]
            t = np.arange(len(block)) / rate
            hum = 0.004 * np.sin(phase + 2 * np.pi * 50.0 * t)
            phase = float((phase + 2 * np.pi * 50.0 * len(block) / rate) % (2 * np.pi))
            noisy = block + hum + 0.002 * rng.standard_normal(len(block))
            out.writeframes((np.clip(noisy, -1, 1) * 32767).astype("<i2").tobytes())
            written += len(block)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=16000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "long.wav"
        write_recording(path, args.minutes, args.rate)
        facts = ExhibitFacts(
            sha256="0" * 64,
            filename=path.name,
            size_bytes=path.stat().st_size,
            media=probe(path).to_dict(),
        )
        seconds = args.minutes * 60
        decode_times, examine_times = [], []
        with threadpool_limits(1):
            for _ in range(args.rounds):
                started = time.perf_counter()
                decoded = decode_audio(path)
                decode_times.append(time.perf_counter() - started)
                del decoded
                started = time.perf_counter()
                decoded = decode_audio(path)
                report = examine(decoded.samples, decoded.sample_rate, facts).report
                examine_times.append(time.perf_counter() - started)
                del decoded
        decode_s = statistics.median(decode_times)
        examine_s = statistics.median(examine_times)
        print(
            f"{args.minutes:g} min WAV, {args.rate} Hz mono 16-bit, one core, {args.rounds} rounds"
        )
        print(f"decode:           median {decode_s:6.1f} s ({seconds / decode_s:6.0f}x real time)")
        print(
            f"decode + examine: median {examine_s:6.1f} s ({seconds / examine_s:6.0f}x real time)"
        )
        print(f"ratio (decode + examine) / decode = {examine_s / decode_s:.2f} (goal <= 3)")
        print(f"checks: {[c['name'] + ':' + c['status'] for c in report['checks']]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
