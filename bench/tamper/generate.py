"""Generate recordings with ground truth for the `earwitness examine` accuracy benchmark.

Each clean recording is a conversation of synthetic speakers (Festival for Russian, espeak-ng
for Belarusian and English) in a synthetic room, with background noise, a long silence before
one speech onset, for half of them a room change, and, for two thirds of them, mains hum that
wanders like a real grid (ENF-WHU). Each is edited four ways on the captured signal (deletion,
copy-move insertion, splice with another recording, deletion of whole mains cycles), its pure
hum edited alike so the ENF trace of every cut is measured (``enf_truth.py``); a copy with
dropouts is made; all are encoded as WAV, MP3, AAC and Opus, some at messenger bit rates, and
some truncated. Real unedited recordings and their transcodes join them (``real.py``).
``manifest.jsonl`` lists every file with its split, the times of its edit points and their
ENF trace.

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
from collections import Counter
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
from edits import (
    CHAINS,
    CODECS,
    EXTENSIONS,
    MESSENGER_CODECS,
    Edit,
    deletion,
    deletion_whole_cycles,
    encode,
    insertion,
    splice,
)
from enf_truth import ground_truth
from negatives import dropouts, gradual
from real import find, make_real
from texts import SENTENCES
from truncate import truncated
from voices import festival_russian_available, pick_voices, synthesize

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REAL = ROOT.parent / "shared" / "data" / "real"
DEFAULT_ENF = DEFAULT_REAL / "enf" / "enf-whu" / "H1_ref"
LANGUAGES = ["ru", "be", "en"]
ENF_CLASSES: list[int | None] = [50, 60, None]
RATES, RATE_WEIGHTS = [16000, 44100, 48000], [0.6, 0.2, 0.2]


def enf_class(index: int) -> int | None:
    """A Latin square: every three files have every hum class, every nine every pairing
    with a language."""
    return ENF_CLASSES[(index + index // len(LANGUAGES)) % len(ENF_CLASSES)]


def split_of(index: int) -> tuple[str, int]:
    """The split of base recording ``index`` and its rank within that split. The first,
    third, fifth… base of each hum class calibrate, the second, fourth… validate: with the
    Latin square every hum class and every language is halved exactly (4 + 4 of each at the
    default 24). Every version of a base (edits, codecs, artefacts, truncations) goes with
    its base."""

    def split(i: int) -> str:
        earlier = sum(enf_class(j) == enf_class(i) for j in range(i))
        return "calibration" if earlier % 2 == 0 else "validation"

    mine = split(index)
    return mine, sum(split(j) == mine for j in range(index))


def plan(index: int, args: argparse.Namespace, references: list[Path]) -> dict[str, Any]:
    """What base recording ``index`` will be (languages and hum classes are balanced)."""
    rng = np.random.default_rng([args.seed, index, 0])
    enf = enf_class(index)
    split, rank = split_of(index)
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
        # Artefacts, messenger codecs and truncations rotate with the rank within the split,
        # so each split has its share of each.
        "rank": rank,
        "room_change": rank % 2 == 1,
        "split": split,
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
    # One long silence (only noise and hum) before a speech onset, as when a speaker waits.
    extra = np.random.default_rng([p["seed"], p["index"], 4])
    silence_at, silence_s = extra.uniform(0.15, 0.5) * total, round(extra.uniform(3.0, 10.0), 2)
    onset: float | None = None
    for (who, _), audio in zip(turns, spoken, strict=True):
        assert audio is not None
        if previous >= 0:
            gap = rng.uniform(0.3, 2.0) if who == previous else rng.uniform(0.3, 1.2)
            if onset is None and position >= silence_at:
                gap = silence_s
                onset = (position + gap * rate) / rate
            position += gap * rate
        start = int(position)
        if start + len(audio) > total - int(0.8 * rate):
            break
        tracks[who, start : start + len(audio)] += audio
        intervals.append((start / rate, (start + len(audio)) / rate))
        position, previous = start + len(audio), who
    responses = [room_impulse_response(rate, p["rt60"], rng) for _ in tracks]
    speech = sum(reverberate(t, r) for t, r in zip(tracks, responses, strict=True))
    change: dict[str, Any] = {}
    if p["room_change"]:
        # The speakers move (or a door opens): another response and another background,
        # faded in over 0.5–2 s; the hum comes from the recorder and runs on.
        change = {
            "room_change_s": [round(extra.uniform(0.25, 0.7) * total / rate, 3)],
            "rt60_after": round(float(extra.uniform(0.2, 0.8)), 3),
            "noise_after": str(extra.choice(["pink", "brown"])),
            "snr_db_after": round(float(extra.uniform(20.0, 40.0)), 1),
        }
        change["room_change_s"].append(
            round(change["room_change_s"][0] + extra.uniform(0.5, 2.0), 3)
        )
        after = sum(
            reverberate(t, room_impulse_response(rate, change["rt60_after"], extra)) for t in tracks
        )
        a, b = change["room_change_s"]
        moved = gradual(total, rate, a, b - a)
        speech = (1 - moved) * speech + moved * after
    active = np.zeros(total, dtype=bool)
    for a, b in intervals:
        active[int(a * rate) : int(b * rate)] = True
    speech_rms = np.sqrt(np.mean(speech[active] ** 2))
    level = 10 ** (p["speech_dbfs"] / 20) / speech_rms
    speech *= level
    speech_rms *= level
    noise = coloured_noise(total, rate, p["noise"], rng) * speech_rms * 10 ** (-p["snr_db"] / 20)
    if change:
        other = coloured_noise(total, rate, change["noise_after"], extra)
        other *= speech_rms * 10 ** (-change["snr_db_after"] / 20)
        noise = np.sqrt(1 - moved) * noise + np.sqrt(moved) * other
    mix = speech + noise
    info: dict[str, Any] = {}
    pure = np.zeros(total)
    if p["enf"]:
        hum, info = mains_hum(total, rate, float(p["enf"]), Path(p["enf_reference"]), rng)
        hum_rms = speech_rms * 10 ** (p["hum_db"] / 20)
        tone = float(info.pop("fundamental_rms")) * hum_rms
        info["enf_band_snr_db"] = round(band_snr_db(tone, mix, rate, float(p["enf"])), 1)
        pure = hum * hum_rms
        mix += pure
    peak = np.max(np.abs(mix))
    if peak > 0.89:
        mix *= 0.89 / peak
        pure *= 0.89 / peak
    margin = min(0.1 + 0.3 * p["rt60"], 0.35)  # a careful editor lets the reverb die away
    edges = [(0.0, 0.0), *intervals, (total / rate, total / rate)]
    pauses = [
        (round(b1 + (margin if b1 else 0.05), 4), round(a2 - 0.05, 4))
        for (_, b1), (a2, _) in itertools.pairwise(edges)
        if a2 - 0.05 - (b1 + (margin if b1 else 0.05)) >= 0.05
    ]
    # The mix and, beside it, its pure hum: edits cut both alike, so the ENF trace of every
    # cut can be measured on the hum alone (enf_truth.py).
    np.save(
        Path(p["mix_dir"]) / f"{p['base']}.npy", np.stack([mix, pure], axis=1).astype(np.float32)
    )
    long_pause = next((q for q in pauses if onset and q[0] < onset <= q[1] + 0.06), None)
    return {
        **p,
        **info,
        **change,
        "onset_after_silence_s": round(onset, 3) if onset else None,
        "silence_s": silence_s if onset else None,
        "long_pause": long_pause,
        "voices": [v.to_dict() for v in voices],
        "utterances": len(intervals),
        "speech_s": round(sum(b - a for a, b in intervals), 2),
        "pauses": pauses,
    }


EDIT_KINDS = ["deletion", "insertion", "splice", "deletion_whole_cycles"]
STANDARD_CODECS = list(CODECS)
DROPOUT_CODECS = ["wav", "aac", "opus24", "aac32_opus24"]
KEEP = (
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
    "onset_after_silence_s",
    "silence_s",
    "room_change_s",
    "rt60_after",
    "noise_after",
    "snr_db_after",
)


def codec_artefacts(codec: str) -> list[str]:
    if codec in CHAINS:
        return ["codec_chain", "messenger_bitrate"]
    return ["messenger_bitrate"] if codec in MESSENGER_CODECS else []


def _edits(meta: dict[str, Any], other: dict[str, Any], x: np.ndarray, y: np.ndarray) -> list[Edit]:
    rng = np.random.default_rng([meta["seed"], meta["index"], 2])
    rate, pauses = meta["sample_rate"], meta["pauses"]
    made = [
        deletion(x, rate, pauses, rng),
        insertion(x, rate, pauses, rng),
        splice(x, rate, pauses, y, other["sample_rate"], other["pauses"], other["base"], rng),
    ]
    long_pause = meta["long_pause"] or max(pauses, key=lambda q: q[1] - q[0])
    cycles_rng = np.random.default_rng([meta["seed"], meta["index"], 5])
    made.append(deletion_whole_cycles(x, rate, tuple(long_pause), meta["enf"], cycles_rng))
    return made


def _truncated_line(
    common: dict[str, Any],
    kind: str,
    extra: dict[str, Any],
    cut: dict[str, Any],
    artefacts: list[str],
) -> dict[str, Any]:
    """A truncated copy's manifest line: only the edit points that survive the cut (at
    least 0.5 s before the end of what still decodes) count; none left, it is unedited."""
    times = extra.get("edit_times", [])
    kept = [i for i, t in enumerate(times) if t < cut["payload_s"] - 0.5]
    per_point = ("enf_turn_deg", "enf_step_db", "traceable")
    return {
        **common,
        **{k: v for k, v in extra.items() if k != "edit_times" and k not in per_point},
        **{k: [extra[k][i] for i in kept] for k in per_point if k in extra},
        **cut,
        "edited": bool(kept),
        "edit_times": [times[i] for i in kept],
        "edit_kind": kind if kept else "clean",
        "artefacts": [*artefacts, "truncated"],
    }


def make_versions(job: tuple[dict[str, Any], dict[str, Any], str]) -> list[dict[str, Any]]:
    """The clean recording, a copy with dropouts, and four edited copies, in the codecs each
    is meant for (``versions_plan``); truncated copies of some; the ENF ground truth of every
    edit point, measured on the pure hum that was edited along with the mix."""
    meta, other, out = job
    rate, index = meta["sample_rate"], meta["index"]
    x = np.load(Path(meta["mix_dir"]) / f"{meta['base']}.npy").astype(np.float64)
    y = np.load(Path(other["mix_dir"]) / f"{other['base']}.npy").astype(np.float64)
    base_artefacts = (["onset_after_silence"] if meta.get("onset_after_silence_s") else []) + (
        ["room_change"] if meta.get("room_change_s") else []
    )
    rank = meta["rank"]
    messenger_kind = EDIT_KINDS[rank % len(EDIT_KINDS)]
    versions: list[tuple[str, str, np.ndarray, dict[str, Any], list[str]]] = [
        ("clean", "clean", x, {}, STANDARD_CODECS + list(MESSENGER_CODECS))
    ]
    spoilt, places = dropouts(x[:, 0], rate, np.random.default_rng([meta["seed"], index, 6]))
    versions.append(
        (
            "clean",
            "dropouts",
            np.stack([spoilt, x[:, 1]], axis=1),
            {"dropouts": places},
            DROPOUT_CODECS,
        )
    )
    for edit in _edits(meta, other, x, y):
        truth = ground_truth(
            edit.samples[:, 1], rate, meta["enf"], edit.edit_times, edit.crossfade_ms
        )
        extra = {
            "edit_times": [round(t, 4) for t in edit.edit_times],
            "in_pause": edit.in_pause,
            "crossfade_ms": edit.crossfade_ms,
            **edit.detail,
            **truth,
        }
        codecs = STANDARD_CODECS + (list(MESSENGER_CODECS) if edit.kind == messenger_kind else [])
        versions.append((edit.kind, edit.kind, edit.samples, extra, codecs))
    common = {
        "base": meta["base"],
        "kind": "synthetic",
        "split": meta["split"],
        "enf": meta["enf"] or "none",
        "seed": meta["seed"],
        **{k: meta[k] for k in KEEP if meta.get(k) is not None},
    }
    lines = []
    for kind, name, samples, extra, codecs in versions:
        artefacts = base_artefacts + (["dropouts"] if name == "dropouts" else [])
        for codec in codecs:
            relative = Path(codec) / f"{meta['base']}-{name}.{EXTENSIONS[codec]}"
            encode(samples[:, 0], rate, Path(out) / relative, codec)
            lines.append(
                {
                    "path": str(relative),
                    **common,
                    "edited": kind != "clean",
                    "edit_times": extra.get("edit_times", []),
                    "edit_kind": kind,
                    "codec": codec,
                    "duration": round(len(samples) / rate, 4),
                    "truncated": False,
                    "artefacts": artefacts + codec_artefacts(codec),
                    **{k: v for k, v in extra.items() if k != "edit_times"},
                }
            )
        if (name == "clean" and rank % 4 in (0, 3)) or (name == "deletion" and rank % 4 == 2):
            for cut in truncated(samples[:, 0], rate, Path(out), f"{meta['base']}-{name}"):
                lines.append(_truncated_line(common, kind, extra, cut, artefacts))
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
    parser.add_argument(
        "--real-dir",
        type=Path,
        default=DEFAULT_REAL,
        help="real unedited recordings (speech/, diarization/); read in place, never copied",
    )
    parser.add_argument("--no-real", action="store_true", help="synthetic recordings only")
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
            # The other recording of a splice comes from the same split: no base in both.
            same = [
                m
                for m in metas
                if m["language"] == meta["language"]
                and m["split"] == meta["split"]
                and m is not meta
            ]
            other = same[int(rng.integers(len(same)))] if same else meta
            jobs.append((meta, other, str(args.out)))
        lines = [line for group in pool.map(make_versions, jobs, chunksize=1) for line in group]
        real = [] if args.no_real else find(args.real_dir)
        if not real and not args.no_real:
            print(f"no real recordings in {args.real_dir}: synthetic ones only")
        real_jobs = [
            (number, str(path), base, split, str(args.out), args.seed, [str(r) for r in references])
            for number, (path, base, split) in enumerate(real)
        ]
        lines += [line for group in pool.map(make_real, real_jobs, chunksize=1) for line in group]
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
    for split in ("calibration", "validation"):
        mine = [line for line in lines if line["split"] == split]
        kinds = Counter(
            f"{line['kind']} {'edited' if line['edited'] else 'unedited'}"
            + (" truncated" if line["truncated"] else "")
            for line in mine
        )
        bases = len({line["base"] for line in mine})
        print(f"{split}: {len(mine)} files from {bases} bases ({dict(sorted(kinds.items()))})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
