"""ENF edit points on hum alone: `check_enf` on ENF-WHU's mains references.

    .venv/bin/python bench/enf_references.py [--minutes 10] [--enf-dir DIR] [--json PATH]

The references in ``../shared/data/real/enf/enf-whu/H1_ref/`` are real Wuhan mains, recorded
at 400 Hz with the hum 60-78 dB above the noise and nothing else in them: no speech, no edits
made by anyone. Every edit point reported there is either a false alarm of the ENF check (the
grid's own ramps, a harmonic that follows the loads) or a real discontinuity of the recording
itself. The script examines the first ``--minutes`` of each and prints every edit point scored
0.5 or more, with the fundamental's phase jump and the change of hum level, so the two kinds
can be told apart (a dropped or doubled half cycle turns the fundamental by 180°), and what the
calibrated examination says of each: the point's log10 LR with its ENFSI term, and the whole
file's (the ENF check alone; the other checks, which need sound, counted as finding nothing).
``--json`` writes the count of half-cycle steps per hour, from which ``bench/calibration/fit.py``
weighs such a step (default ``bench/work/enf_references.json``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from earwitness.forensics.enf.check import check_enf  # noqa: E402
from earwitness.forensics.evaluation.calibration import (  # noqa: E402
    half_cycle_like,
    shipped_calibration,
)
from earwitness.forensics.evaluation.verbal import verbal  # noqa: E402
from earwitness.media.decode import decode_audio  # noqa: E402

REFERENCES = ROOT.parent / "shared" / "data" / "real" / "enf" / "enf-whu" / "H1_ref"
HALF_CYCLE_DEG = 150.0  # a turn this large or more: a half cycle dropped or doubled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--enf-dir", type=Path, default=REFERENCES)
    parser.add_argument("--json", type=Path, default=ROOT / "bench/work/enf_references.json")
    args = parser.parse_args()
    paths = sorted(args.enf_dir.glob("*_ref.wav"))
    if not paths:
        sys.exit(f"{args.enf_dir}: no *_ref.wav references")
    seconds = points = slips = with_points = beyond_weak = half_cycles = 0
    calibration = shipped_calibration()
    highest_file = -np.inf
    started = time.perf_counter()
    print(
        "| reference | time s | score | phase jump ° | level change dB | point log10 LR "
        "| file log10 LR |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for path in paths:
        decoded = decode_audio(path)
        samples = decoded.samples[: int(args.minutes * 60 * decoded.sample_rate)]
        length = len(samples) / decoded.sample_rate
        seconds += length
        result = check_enf(samples, decoded.sample_rate)
        findings = [f.to_dict() for f in result.findings]
        half_cycles += sum(half_cycle_like(f) and f["score"] >= 0.5 for f in findings)
        strong = [f for f in result.findings if f.kind == "edit_point" and f.score >= 0.5]
        with_points += bool(strong)
        file_lr = calibration.file_log10_lr([result.to_dict()], findings, length)
        file_lr = 0.0 if file_lr is None else file_lr
        highest_file = max(highest_file, file_lr)
        beyond_weak += file_lr >= 1.0
        for finding in strong:
            jump = float(np.degrees(finding.evidence["phase_jump_rad"]))
            points += 1
            slips += abs(jump) >= HALF_CYCLE_DEG
            middle = (finding.start_s + finding.end_s) / 2
            point_lr = calibration.finding_log10_lr(finding.to_dict(), length) or 0.0
            print(
                f"| {path.stem} | {middle:.1f} | {finding.score:.3f} | {jump:+.0f} | "
                f"{finding.evidence['level_change_db']:+.1f} | {point_lr:+.2f} "
                f"({verbal(point_lr)}) | {file_lr:+.2f} ({verbal(file_lr)}) |"
            )
    hours = seconds / 3600
    took = time.perf_counter() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "references": len(paths),
                "hours": round(hours, 4),
                "half_cycle_steps": half_cycles,
                "minutes_each": args.minutes,
            }
        )
    )
    print()
    print(
        f"{len(paths)} references, {hours:.1f} h examined in {took:.0f} s; "
        f"{points} edit points ≥ 0.5 in {with_points} references ({points / hours:.2f}/h), "
        f"{slips} of them turning the fundamental by {HALF_CYCLE_DEG:.0f}° or more; "
        f"whole-file log10 LR ≥ 1 (stronger than weak support) in {beyond_weak} references, "
        f"highest {highest_file:+.2f}"
    )


if __name__ == "__main__":
    main()
