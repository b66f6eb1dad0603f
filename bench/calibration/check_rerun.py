"""One check run again on every file of a tamper run: a new results file in minutes.

    .venv/bin/python bench/calibration/check_rerun.py --check discontinuities \
        --data bench/work/evaluation-72 --results bench/work/evaluation-72/results.jsonl \
        --output bench/work/evaluation-72/results-rerun.jsonl

``bench/tamper/run.py`` examines every file with every check (16 minutes for the 72-base
set). A change to one check needs only that check again. This decodes and probes each file as
the run does, runs the named check as ``forensics.examine`` runs it (calibrated with the
shipped calibration, as the run stores them), and writes the run's rows with that check's
findings and its ``checks[]`` entry replaced, and each row's ``points`` and ``edit_score``
made anew. ``fit.py --output …`` (which leaves the shipped calibration alone),
``populations.py`` and ``goals`` read the new file as they read a full run.

What stays from the original run: the files that failed to examine (as they were), every
other check's findings (their stored log10 LRs are those of the calibration that run used; the
fit and the populations compute their own), the timings, and the whole-file LR that
``run.py``'s own tables print. Prints, for the check, its edit points scored ≥ 0.5 at true
edits, false on clean files and false on edited files, before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one process per core

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tamper"))

from scoring import THRESHOLD  # noqa: E402
from tamper_truth import near_true_edit  # noqa: E402

Row = dict[str, Any]


def check_again(job: tuple[str, str, Row]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The named check's ``checks[]`` entry and findings on one file of the run, as the
    examination's report has them (plain JSON values, rounded as it rounds them)."""
    from earwitness.forensics.evaluation.calibration import shipped_calibration
    from earwitness.forensics.examination import clean
    from earwitness.forensics.examine import calibrated
    from earwitness.forensics.options import ExamOptions
    from earwitness.forensics.recording import ExhibitFacts, Recording
    from earwitness.forensics.registry import examinations
    from earwitness.media.decode import decode_audio
    from earwitness.media.probe import probe

    data, name, row = job
    path = Path(data) / row["entry"]["path"]
    [declaration] = [d for d in examinations() if d.name == name]
    decoded = decode_audio(path)
    facts = ExhibitFacts(
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        filename=path.name,
        size_bytes=path.stat().st_size,
        media=probe(path).to_dict(),
    )
    recording = Recording(decoded.samples, decoded.sample_rate, facts)
    result = declaration.run(recording, ExamOptions())
    calibration = shipped_calibration()
    findings = [
        clean(calibrated(finding, calibration, recording.duration_s).to_dict())
        for finding in result.findings
    ]
    return clean(result.to_dict()), findings


def with_check(row: Row, name: str, check: dict[str, Any], findings: list[dict[str, Any]]) -> Row:
    """``row`` with check ``name``'s entry and findings replaced (the others kept in their
    order), and its ``points`` and ``edit_score`` made from the findings it now has."""
    kept = [f for f in row["findings"] if f["check"] != name]
    merged = sorted(kept + findings, key=lambda f: (f["start_s"], -f["score"]))
    edits = [f for f in merged if f["kind"] == "edit_point"]
    checks = [check if c["name"] == name else c for c in row.get("checks", [])]
    return {
        **row,
        "checks": checks,
        "findings": merged,
        "edit_score": max((f["score"] for f in edits), default=0.0),
        "points": [
            {k: f[k] for k in ("start_s", "end_s", "score", "check")}
            for f in edits
            if f["score"] >= THRESHOLD
        ],
    }


def point_counts(rows: list[Row], name: str) -> tuple[int, int, int]:
    """Check ``name``'s edit points scored ≥ THRESHOLD: at a true edit, on clean files, and on
    edited files away from their edits (truncated files left out, as the run's tables do)."""
    true = clean = edited = 0
    for row in rows:
        entry = row["entry"]
        if entry.get("truncated"):
            continue
        for finding in row.get("findings", []):
            if finding["check"] != name or finding["kind"] != "edit_point":
                continue
            if finding["score"] < THRESHOLD:
                continue
            if near_true_edit(entry, finding):
                true += 1
            elif entry["edited"]:
                edited += 1
            else:
                clean += 1
    return true, clean, edited


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", required=True, help="the check's name, as reports give it")
    parser.add_argument("--data", type=Path, required=True, help="the generated set's folder")
    parser.add_argument("--results", type=Path, required=True, help="run.py's results")
    parser.add_argument("--output", type=Path, required=True, help="the new results file")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    from earwitness.forensics.registry import examinations

    names = [d.name for d in examinations()]
    if args.check not in names:
        parser.error(f"--check {args.check!r}: not a check; one of {', '.join(names)}")
    if args.output.resolve() == args.results.resolve():
        parser.error("--output must not be the results file it is made from")
    text = args.results.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    examined = [row for row in rows if "error" not in row]  # a file that failed stays so
    jobs = [(str(args.data), args.check, row) for row in examined]
    with multiprocessing.Pool(args.jobs) as pool:
        fresh = iter(pool.map(check_again, jobs, chunksize=4))
    after = [row if "error" in row else with_check(row, args.check, *next(fresh)) for row in rows]
    with args.output.open("w") as out:
        for row in after:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(after)} files, {args.check} run again; written to {args.output}")
    print("| edit points ≥ 0.5 | at true edits | false on clean files | false on edited files |")
    print("| --- | ---: | ---: | ---: |")
    for label, chosen in (("before", rows), ("after", after)):
        true, clean, edited = point_counts(chosen, args.check)
        print(f"| {label} | {true} | {clean} | {edited} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
