"""The ENF check alone, run again on the hummed files of a tamper run: what a change to it moves.

    .venv/bin/python bench/calibration/enf_rerun.py \
        --data bench/work/evaluation-72 --results bench/work/evaluation-72/results.jsonl

``bench/tamper/run.py`` examines every file with every check (16 minutes for the 72-base
set); a change to the ENF check alone needs only its own findings again (about a minute).
This runs the ENF check again on each file whose ground truth has mains hum, as
``check_rerun.py`` runs any check, puts its findings in place of the stored ones and prints,
before and after, over both splits and the validation split alone:

* the edit points that leave an ENF trace located (``goals.located_traceable``), also where
  the hum stands at least 6 and 10 dB in its band;
* how many files got other ENF evidence (any changed score changes the likelihood ratios,
  and the calibration must then be fitted again);
* ENF edit points scored ≥ 0.5 on clean files;
* the AUC of each file's strongest ENF evidence, files whose edits all leave an ENF trace
  against clean files (the check's discrimination before any calibration).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")  # one process per core

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tamper"))

from check_rerun import check_again, with_check  # noqa: E402
from fit import load, split_of  # noqa: E402
from goals import located_traceable, traceable_file  # noqa: E402
from scoring import auc  # noqa: E402

from earwitness.forensics.evaluation.calibration import REPORTED  # noqa: E402

Row = dict[str, Any]
HUM_LEVELS_DB = (6.0, 10.0)


def evidence(row: Row) -> list[float]:
    return sorted(
        round(float(f["evidence"]["evidence"]), 3)
        for f in row["findings"]
        if f["check"] == "enf" and f["kind"] == "edit_point"
    )


def strongest_evidence_auc(rows: list[Row]) -> float:
    """AUC of the file's strongest ENF evidence (0 without a step): traced edits vs clean."""

    def strongest(row: Row) -> float:
        return max(evidence(row), default=0.0)

    edited = [strongest(row) for row in rows if row["entry"]["edited"] and traceable_file(row)]
    clean = [strongest(row) for row in rows if not row["entry"]["edited"]]
    return auc(edited, clean)


def false_points(rows: list[Row]) -> int:
    return sum(
        1
        for row in rows
        if not row["entry"]["edited"]
        for f in row["findings"]
        if f["check"] == "enf" and f["kind"] == "edit_point" and f["score"] >= REPORTED
    )


def compare(before: list[Row], after: list[Row]) -> list[str]:
    """Markdown lines: located before and after, by split and hum level; changed evidence."""
    lines = [
        "| files | hum in its band | located before | located after |",
        "| --- | --- | ---: | ---: |",
    ]
    for split in ("both splits", "validation"):
        chosen = [
            i
            for i, row in enumerate(before)
            if split == "both splits" or split_of(row["entry"]) == split
        ]
        for level in (None, *HUM_LEVELS_DB):
            picked = [
                i
                for i in chosen
                if level is None or (before[i]["entry"].get("enf_band_snr_db") or -99) >= level
            ]
            old = located_traceable([before[i] for i in picked])
            new = located_traceable([after[i] for i in picked])
            lines.append(
                f"| {split} | {'any' if level is None else f'≥ {level:g} dB'} | "
                f"{old[0]}/{old[1]} | {new[0]}/{new[1]} |"
            )
    changed = sum(
        1 for old, new in zip(before, after, strict=True) if evidence(old) != evidence(new)
    )
    lines.append("")
    lines.append(
        f"ENF evidence changed in {changed} of {len(before)} files; ENF points ≥ "
        f"{REPORTED:g} on clean files: {false_points(before)} before, {false_points(after)} after."
    )
    lines.append(
        "AUC of the strongest ENF evidence, traced edits against clean files: "
        f"{strongest_evidence_auc(before):.4f} before, {strongest_evidence_auc(after):.4f} after."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="the generated set's folder")
    parser.add_argument("--results", type=Path, required=True, help="run.py's results")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    hummed = [row for row in load(args.results) if row["entry"].get("enf") not in (None, "none")]
    with multiprocessing.Pool(args.jobs) as pool:
        fresh = pool.map(check_again, [(str(args.data), "enf", row) for row in hummed], chunksize=4)
    after = [
        with_check(row, "enf", check, findings)
        for row, (check, findings) in zip(hummed, fresh, strict=True)
    ]
    print("\n".join(compare(hummed, after)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
