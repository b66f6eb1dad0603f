"""Run `earwitness examine` on the generated recordings and score it against the ground truth.

Prints, overall and split by ENF, codec, edit kind and ENF strength: the AUC of
``summary.edit_score`` (edited against clean), the share of true edit points located (an
``edit_point`` finding scored ≥ 0.5 within 0.5 s), and false edit points per hour, as a
markdown table for bench/RESULTS.md; then decoding and examination speed.

    .venv/bin/python bench/tamper/run.py --data bench/work/tamper --jobs 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one process per core; no thread oversubscription

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = 0.5  # an edit point scored at least this much counts as reported
TOLERANCE_S = 0.5  # a reported edit point this close to a true one locates it
WIDE_S = 1.0  # a finding wider than this is placed at its middle


def auc(positives: Iterable[float], negatives: Iterable[float]) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting one half (Mann–Whitney U from average ranks)."""
    pos, neg = np.asarray(list(positives), float), np.asarray(list(negatives), float)
    if not len(pos) or not len(neg):
        return float("nan")
    values = np.concatenate([pos, neg])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):  # tied values share the mean of their ranks
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def distance(point: dict[str, float], time_s: float) -> float:
    start, end = point["start_s"], point["end_s"]
    if end - start > WIDE_S:
        return abs((start + end) / 2 - time_s)
    return 0.0 if start <= time_s <= end else min(abs(start - time_s), abs(end - time_s))


def examine_file(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Decode, probe and examine one file; its edit points and the time each step took."""
    from earwitness.forensics.examine import ExhibitFacts, examine
    from earwitness.media.decode import decode_audio
    from earwitness.media.probe import probe

    data, entry = job
    path = Path(data) / entry["path"]
    result: dict[str, Any] = {"entry": entry}
    try:
        started = time.perf_counter()
        decoded = decode_audio(path)
        decoded_at = time.perf_counter()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        facts = ExhibitFacts(
            sha256=digest,
            filename=path.name,
            size_bytes=path.stat().st_size,
            media=probe(path).to_dict(),
        )
        probed_at = time.perf_counter()
        report = examine(decoded.samples, decoded.sample_rate, facts).report
        done_at = time.perf_counter()
    except Exception as exc:  # one broken file must not end the benchmark
        result["error"] = f"{exc.__class__.__name__}: {exc}"
        return result
    result.update(
        audio_s=decoded.duration_s,
        decode_s=decoded_at - started,
        probe_s=probed_at - decoded_at,
        examine_s=done_at - probed_at,
        edit_score=float(report["summary"]["edit_score"]),
        points=[
            {k: f[k] for k in ("start_s", "end_s", "score", "check")}
            for f in report["findings"]
            if f["kind"] == "edit_point" and f["score"] >= THRESHOLD
        ],
        check_errors=[c["name"] for c in report["checks"] if c["status"] == "error"],
        enf_status=next((c["status"] for c in report["checks"] if c["name"] == "enf"), None),
    )
    return result


def copied_from(entry: dict[str, Any]) -> list[float]:
    """For an insertion: the ends, in the edited file, of the stretch the copy was taken
    from. The copy-move check reports both places, since nothing in the file tells which one
    is the copy; its points there are neither true edit points nor false ones."""
    if entry["edit_kind"] != "insertion":
        return []
    first, second = entry["edit_times"]
    start = entry["copied_from_s"]
    if start >= first:  # the original lies after the inserted copy, shifted by its length
        start += second - first
    return [start, start + entry["copied_s"]]


def scores(results: list[dict[str, Any]]) -> dict[str, Any]:
    """AUC, located share and false edit points per hour for one group of results."""
    edited = [r for r in results if r["entry"]["edited"]]
    clean = [r for r in results if not r["entry"]["edited"]]
    located = total = false_edited = 0
    for r in edited:
        times = r["entry"]["edit_times"]
        total += len(times)
        located += sum(any(distance(p, t) <= TOLERANCE_S for p in r["points"]) for t in times)
        expected = times + copied_from(r["entry"])
        false_edited += sum(
            all(distance(p, t) > TOLERANCE_S for t in expected) for p in r["points"]
        )
    clean_hours = sum(r["audio_s"] for r in clean) / 3600
    edited_hours = sum(r["audio_s"] for r in edited) / 3600
    return {
        "files": len(results),
        "auc": auc([r["edit_score"] for r in edited], [r["edit_score"] for r in clean]),
        "located": located / total if total else float("nan"),
        "points": total,
        "false_clean_per_h": (
            sum(len(r["points"]) for r in clean) / clean_hours if clean_hours else float("nan")
        ),
        "false_edited_per_h": false_edited / edited_hours if edited_hours else float("nan"),
        "clean_hours": clean_hours,
    }


def groups(results: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """The rows of the table: every split the issue asks for, and a few that explain them."""

    def where(test: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [r for r in results if test(r["entry"])]

    def edited_or_clean(test: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return where(lambda e: not e["edited"] or test(e))

    rows = [
        ("all", results),
        ("ENF present", where(lambda e: e["enf"] != "none")),
        ("ENF absent", where(lambda e: e["enf"] == "none")),
        ("ENF 50 Hz (ENF-WHU)", where(lambda e: e["enf"] == 50)),
        ("ENF 60 Hz (shifted ENF-WHU)", where(lambda e: e["enf"] == 60)),
        ("ENF band SNR ≥ 10 dB", where(lambda e: e.get("enf_band_snr_db", -99) >= 10)),
        ("ENF band SNR < 10 dB", where(lambda e: -99 < e.get("enf_band_snr_db", -99) < 10)),
    ]
    for codec in ("wav", "mp3", "aac", "opus"):
        rows.append((f"codec {codec}", where(lambda e, c=codec: e["codec"] == c)))
        rows.append(
            (
                f"codec {codec}, ENF present",
                where(lambda e, c=codec: e["codec"] == c and e["enf"] != "none"),
            )
        )
    for kind in ("deletion", "insertion", "splice"):
        rows.append(
            (f"{kind} (vs all clean)", edited_or_clean(lambda e, k=kind: e["edit_kind"] == k))
        )
    rows.append(("cut in pauses (vs all clean)", edited_or_clean(lambda e: e.get("in_pause"))))
    rows.append(("cut anywhere (vs all clean)", edited_or_clean(lambda e: not e.get("in_pause"))))
    return [(name, members) for name, members in rows if members]


def by_check(results: list[dict[str, Any]]) -> str:
    """Which check reported the edit points: near a true one, at the place a copy was taken
    from, or false on clean/edited files."""
    counts: dict[str, Counter[str]] = {
        key: Counter() for key in ("true", "source", "clean", "edited")
    }
    for r in results:
        times, sources = r["entry"]["edit_times"], copied_from(r["entry"])
        for point in r["points"]:
            if any(distance(point, t) <= TOLERANCE_S for t in times):
                where = "true"
            elif any(distance(point, t) <= TOLERANCE_S for t in sources):
                where = "source"
            else:
                where = "edited" if r["entry"]["edited"] else "clean"
            counts[where][point["check"]] += 1
    names = sorted(set().union(*counts.values()))
    return "; ".join(
        f"{name}: {counts['true'][name]} at true edits"
        + (f", {counts['source'][name]} where a copy came from" if counts["source"][name] else "")
        + f", {counts['clean'][name]} false on clean, {counts['edited'][name]} false on edited"
        for name in names
    )


def _fmt(value: float, percent: bool = False) -> str:
    if value != value:  # NaN
        return "–"
    return f"{100 * value:.1f} %" if percent else f"{value:.3f}" if value < 10 else f"{value:.1f}"


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| group | files | AUC | edit points located (±0.5 s) | false points/h, clean "
        "| false points/h, edited |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, members in groups(results):
        s = scores(members)
        located = f"{_fmt(s['located'], percent=True)} of {s['points']}" if s["points"] else "–"
        lines.append(
            f"| {name} | {s['files']} | {_fmt(s['auc'])} | {located} "
            f"| {_fmt(s['false_clean_per_h'])} | {_fmt(s['false_edited_per_h'])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "bench" / "work" / "tamper")
    parser.add_argument("--limit", type=int, help="examine only the first N files of the manifest")
    parser.add_argument("--codec", action="append", help="only this codec (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument(
        "--results", type=Path, help="per-file results (default DATA/results.jsonl)"
    )
    args = parser.parse_args(argv)
    with open(args.data / "manifest.jsonl", encoding="utf-8") as manifest:
        entries = [json.loads(line) for line in manifest if line.strip()]
    if args.codec:
        entries = [e for e in entries if e["codec"] in args.codec]
    entries = entries[: args.limit] if args.limit else entries
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    jobs = [(str(args.data), entry) for entry in entries]
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for count, result in enumerate(pool.imap_unordered(examine_file, jobs), start=1):
            results.append(result)
            if count % 20 == 0 or count == len(jobs):
                print(
                    f"  {count}/{len(jobs)} files, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
    wall = time.perf_counter() - started
    results.sort(key=lambda r: r["entry"]["path"])
    with open(args.results or args.data / "results.jsonl", "w", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
    failed = [r for r in results if "error" in r]
    for r in failed[:10]:
        print(f"FAILED {r['entry']['path']}: {r['error']}")
    ok = [r for r in results if "error" not in r]
    if not ok:
        print("no file could be examined")
        return 1
    audio = sum(r["audio_s"] for r in ok)
    decode, probe, examine = (sum(r[k] for r in ok) for k in ("decode_s", "probe_s", "examine_s"))
    print()
    print(table(ok))
    print()
    print(
        f"{len(ok)} files examined ({len(failed)} failed), {audio / 3600:.2f} h of audio, "
        f"{wall:.0f} s wall with {args.jobs} processes"
    )
    print(
        f"decode {decode:.1f} s ({audio / decode:.0f}x real time), probe+hash {probe:.1f} s, "
        f"examine {examine:.1f} s ({audio / examine:.1f}x real time per process)"
    )
    print(f"edit points ≥ {THRESHOLD} by check: {by_check(ok) or 'none'}")
    errors = Counter(name for r in ok for name in r["check_errors"])
    statuses = Counter(str(r["enf_status"]) for r in ok)
    print(f"check errors: {dict(errors) or 'none'}; ENF check status: {dict(statuses)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
