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
from collections.abc import Callable
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one process per core; no thread oversubscription

from scoring import THRESHOLD, TOLERANCE_S, auc, copied_from, distance  # noqa: E402
from tables import new_tables, synthetic_set  # noqa: E402

CODEC_ORDER = ("wav", "mp3", "aac", "opus", "opus16", "opus24", "aac32", "mp3_64", "aac32_opus24")

ROOT = Path(__file__).resolve().parents[2]


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
        # Everything a calibration is fitted on, so that it never needs a re-run: every
        # finding and every check as the report has them (new optional fields included),
        # and the summary.
        findings=report["findings"],
        checks=[{k: v for k, v in c.items() if k not in ("findings",)} for c in report["checks"]],
        summary=report["summary"],
    )
    return result


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
        *[
            (
                f"{split} split{extra}",
                where(lambda e, s=split, t=test: e.get("split") == s and t(e)),
            )
            for split in ("calibration", "validation")
            for extra, test in (
                ("", lambda e: True),
                (", ENF present", lambda e: e["enf"] != "none"),
                (", ENF absent", lambda e: e["enf"] == "none"),
            )
        ],
        ("ENF present", where(lambda e: e["enf"] != "none")),
        ("ENF absent", where(lambda e: e["enf"] == "none")),
        ("ENF 50 Hz (ENF-WHU)", where(lambda e: e["enf"] == 50)),
        ("ENF 60 Hz (shifted ENF-WHU)", where(lambda e: e["enf"] == 60)),
        ("ENF band SNR ≥ 10 dB", where(lambda e: e.get("enf_band_snr_db", -99) >= 10)),
        ("ENF band SNR < 10 dB", where(lambda e: -99 < e.get("enf_band_snr_db", -99) < 10)),
    ]
    for codec in CODEC_ORDER:
        rows.append((f"codec {codec}", where(lambda e, c=codec: e["codec"] == c)))
        rows.append(
            (
                f"codec {codec}, ENF present",
                where(lambda e, c=codec: e["codec"] == c and e["enf"] != "none"),
            )
        )
    for kind in ("deletion", "insertion", "splice", "deletion_whole_cycles"):
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
    parser.add_argument("--split", choices=("calibration", "validation"), help="only this split")
    parser.add_argument("--kind", choices=("synthetic", "real"), help="only this kind")
    parser.add_argument("--jobs", type=int, default=2, help="processes")
    parser.add_argument(
        "--results", type=Path, help="per-file results (default DATA/results.jsonl)"
    )
    args = parser.parse_args(argv)
    with open(args.data / "manifest.jsonl", encoding="utf-8") as manifest:
        entries = [json.loads(line) for line in manifest if line.strip()]
    if args.codec:
        entries = [e for e in entries if e["codec"] in args.codec]
    if args.split:
        entries = [e for e in entries if e.get("split") == args.split]
    if args.kind:
        entries = [e for e in entries if e.get("kind", "synthetic") == args.kind]
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
    print("Synthetic recordings (not truncated): edited against clean, clean with artefacts")
    print("included; the old rows.")
    print()
    print(table(synthetic_set(ok)))
    print()
    print(new_tables(ok))
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
