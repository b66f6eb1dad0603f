"""Generate recordings with ground truth for the `earwitness examine` accuracy benchmark.

Each clean recording is a conversation of synthetic speakers (Festival for Russian, espeak-ng
for Belarusian and English) in a synthetic room, with background noise and, for two thirds of
them, mains hum that wanders like a real grid (ENF-WHU). Each is then edited three ways on the
captured signal (deletion, copy-move insertion, splice with another recording), and all four
versions are encoded as WAV, MP3, AAC and Opus. ``manifest.jsonl`` lists every file with the
times of its edit points.

    .venv/bin/python bench/tamper/generate.py --out bench/work/tamper --count 24
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from acoustics import (
    band_snr_db,
    coloured_noise,
    enf_references,
    mains_hum,
    reverberate,
    room_impulse_response,
)
from edits import CODECS, deletion, encode, insertion, splice
from texts import SENTENCES
from voices import festival_russian_available, pick_voices, synthesize

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ENF = ROOT.parent / "shared" / "data" / "real" / "enf" / "enf-whu" / "H1_ref"
LANGUAGES = ["ru", "be", "en"]
ENF_CLASSES: list[int | None] = [50, 60, None]
RATES, RATE_WEIGHTS = [16000, 44100, 48000], [0.6, 0.2, 0.2]


def plan(index: int, args: argparse.Namespace, references: list[Path]) -> dict[str, Any]:
    """What base recording ``index`` will be (languages and hum classes are balanced)."""
    rng = np.random.default_rng([args.seed, index, 0])
    # A Latin square: every three files have every hum class, every nine every pairing.
    enf = ENF_CLASSES[(index + index // len(LANGUAGES)) % len(ENF_CLASSES)]
    return {
        "base": f"b{index:03}",
        "index": index,
        "seed": args.seed,
        "language": LANGUAGES[index % len(LANGUAGES)],
        "enf": enf,
        "enf_reference": str(references[int(rng.integers(len(references)))]) if enf else None,
        "sample_rate": int(rng.choice(RATES, p=RATE_WEIGHTS)),
        "seconds": round(float(rng.uniform(args.seconds, 1.2 * args.seconds)), 2),
        "rt60": round(float(rng.uniform(0.2, 0.8)), 3),
        "noise": str(rng.choice(["pink", "brown"])),
        "snr_db": round(float(rng.uniform(20.0, 40.0)), 1),
        "hum_db": round(float(rng.uniform(-50.0, -30.0)), 1) if enf else None,
        "speech_dbfs": round(float(rng.uniform(-26.0, -20.0)), 1),
        "mix_dir": str(Path(args.out) / "_mix"),
    }


def _script(p: dict[str, Any], rng: np.random.Generator, speakers: int) -> list[tuple[int, str]]:
    """Who says what, turn by turn; enough text for the planned length."""
    sentences = SENTENCES[p["language"]]
    turns: list[tuple[int, str]] = []
    speaker = 0
    for _ in range(int(p["seconds"] / 1.4) + 4):
        if rng.random() < 0.6:
            speaker = int((speaker + rng.integers(1, speakers)) % speakers)
        turns.append((speaker, str(sentences[int(rng.integers(len(sentences)))])))
    return turns


def build_clean(p: dict[str, Any]) -> dict[str, Any]:
    """Synthesise, place, reverberate and mix one clean recording; save it for the edits."""
    rng = np.random.default_rng([p["seed"], p["index"], 1])
    rate, total = p["sample_rate"], int(p["seconds"] * p["sample_rate"])
    voices = pick_voices(p["language"], rng, int(rng.integers(2, 4)))
    turns = _script(p, rng, len(voices))
    spoken: list[np.ndarray | None] = [None] * len(turns)
    for number, voice in enumerate(voices):
        mine = [i for i, (who, _) in enumerate(turns) if who == number]
        for i, audio in zip(
            mine, synthesize(voice, [turns[i][1] for i in mine], rate), strict=True
        ):
            spoken[i] = audio
    tracks = np.zeros((len(voices), total))
    intervals: list[tuple[float, float]] = []
    position = rng.uniform(0.5, 1.5) * rate
    previous = -1
    for (who, _), audio in zip(turns, spoken, strict=True):
        assert audio is not None
        if previous >= 0:
            gap = rng.uniform(0.3, 2.0) if who == previous else rng.uniform(0.3, 1.2)
            position += gap * rate
        start = int(position)
        if start + len(audio) > total - int(0.8 * rate):
            break
        tracks[who, start : start + len(audio)] += audio
        intervals.append((start / rate, (start + len(audio)) / rate))
        position, previous = start + len(audio), who
    speech = sum(
        reverberate(track, room_impulse_response(rate, p["rt60"], rng)) for track in tracks
    )
    active = np.zeros(total, dtype=bool)
    for a, b in intervals:
        active[int(a * rate) : int(b * rate)] = True
    speech_rms = np.sqrt(np.mean(speech[active] ** 2))
    level = 10 ** (p["speech_dbfs"] / 20) / speech_rms
    speech *= level
    speech_rms *= level
    noise = coloured_noise(total, rate, p["noise"], rng) * speech_rms * 10 ** (-p["snr_db"] / 20)
    mix = speech + noise
    info: dict[str, Any] = {}
    if p["enf"]:
        hum, info = mains_hum(total, rate, float(p["enf"]), Path(p["enf_reference"]), rng)
        hum_rms = speech_rms * 10 ** (p["hum_db"] / 20)
        tone = float(info.pop("fundamental_rms")) * hum_rms
        info["enf_band_snr_db"] = round(band_snr_db(tone, mix, rate, float(p["enf"])), 1)
        mix += hum * hum_rms
    peak = np.max(np.abs(mix))
    if peak > 0.89:
        mix *= 0.89 / peak
    margin = min(0.1 + 0.3 * p["rt60"], 0.35)  # a careful editor lets the reverb die away
    edges = [(0.0, 0.0), *intervals, (total / rate, total / rate)]
    pauses = [
        (round(b1 + (margin if b1 else 0.05), 4), round(a2 - 0.05, 4))
        for (_, b1), (a2, _) in itertools.pairwise(edges)
        if a2 - 0.05 - (b1 + (margin if b1 else 0.05)) >= 0.05
    ]
    np.save(Path(p["mix_dir"]) / f"{p['base']}.npy", mix.astype(np.float32))
    return {
        **p,
        **info,
        "voices": [v.to_dict() for v in voices],
        "utterances": len(intervals),
        "speech_s": round(sum(b - a for a, b in intervals), 2),
        "pauses": pauses,
    }


def make_versions(job: tuple[dict[str, Any], dict[str, Any], str]) -> list[dict[str, Any]]:
    """The clean recording and its three edited copies, each in every codec."""
    meta, other, out = job
    rng = np.random.default_rng([meta["seed"], meta["index"], 2])
    rate = meta["sample_rate"]
    x = np.load(Path(meta["mix_dir"]) / f"{meta['base']}.npy").astype(np.float64)
    y = np.load(Path(other["mix_dir"]) / f"{other['base']}.npy").astype(np.float64)
    versions: list[tuple[str, np.ndarray, dict[str, Any]]] = [("clean", x, {})]
    for edit in (
        deletion(x, rate, meta["pauses"], rng),
        insertion(x, rate, meta["pauses"], rng),
        splice(
            x, rate, meta["pauses"], y, other["sample_rate"], other["pauses"], other["base"], rng
        ),
    ):
        versions.append(
            (
                edit.kind,
                edit.samples,
                {
                    "edit_times": [round(t, 4) for t in edit.edit_times],
                    "in_pause": edit.in_pause,
                    "crossfade_ms": edit.crossfade_ms,
                    **edit.detail,
                },
            )
        )
    keep = (
        "language",
        "sample_rate",
        "rt60",
        "noise",
        "snr_db",
        "hum_db",
        "voices",
        "enf_source",
        "enf_offset_s",
        "enf_band_snr_db",
        "enf_deviation_hz_min",
        "enf_deviation_hz_max",
    )
    lines = []
    for kind, samples, extra in versions:
        for codec, ext in CODECS.items():
            relative = Path(codec) / f"{meta['base']}-{kind}.{ext}"
            encode(samples, rate, Path(out) / relative, codec)
            lines.append(
                {
                    "path": str(relative),
                    "base": meta["base"],
                    "edited": kind != "clean",
                    "edit_times": extra.get("edit_times", []),
                    "edit_kind": kind,
                    "enf": meta["enf"] or "none",
                    "codec": codec,
                    "duration": round(len(samples) / rate, 4),
                    "seed": meta["seed"],
                    **{k: v for k, v in extra.items() if k != "edit_times"},
                    **{k: meta[k] for k in keep if meta.get(k) is not None},
                }
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "work" / "tamper")
    parser.add_argument("--count", type=int, default=24, help="clean base recordings")
    parser.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="shortest base recording; lengths are drawn from 1–1.2 times it",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--enf-dir",
        type=Path,
        default=DEFAULT_ENF,
        help="ENF-WHU H1_ref folder (real 50 Hz mains at 400 Hz)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    references = enf_references(args.enf_dir)
    if not references:
        parser.error(f"no *_ref.wav in {args.enf_dir}")
    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "_mix").mkdir(parents=True)
    if not festival_russian_available():
        print("Festival's Russian voice is not available: Russian uses espeak-ng ru")
    plans = [plan(i, args, references) for i in range(args.count)]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        metas = pool.map(build_clean, plans, chunksize=1)
        print(f"{len(metas)} clean recordings in {time.monotonic() - started:.0f} s")
        jobs = []
        for meta in metas:
            rng = np.random.default_rng([args.seed, meta["index"], 3])
            same = [m for m in metas if m["language"] == meta["language"] and m is not meta]
            other = same[int(rng.integers(len(same)))] if same else meta
            jobs.append((meta, other, str(args.out)))
        lines = [line for group in pool.map(make_versions, jobs, chunksize=1) for line in group]
    shutil.rmtree(args.out / "_mix")
    with open(args.out / "manifest.jsonl", "w", encoding="utf-8") as manifest:
        for line in lines:
            manifest.write(json.dumps(line, ensure_ascii=False) + "\n")
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    hours = sum(line["duration"] for line in lines) / 3600
    print(
        f"{len(lines)} files, {hours:.2f} h of audio, {size / 1e6:.0f} MB, "
        f"{time.monotonic() - started:.0f} s -> {args.out / 'manifest.jsonl'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
