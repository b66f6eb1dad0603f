"""bench/calibration/populations.py: the shipped calibration's figures without hum, for every
edit and without the edits a stationary background hides."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "calibration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "tamper"))

import populations

from earwitness.forensics.evaluation.calibration import shipped_calibration


def _quiet_row(
    base: int, kind: str, in_pause: bool, found: bool, split: str = "validation"
) -> dict:
    """A file without hum; an edit the discontinuities check found or missed."""
    findings = []
    if found:
        findings.append(
            {
                "kind": "edit_point",
                "check": "discontinuities",
                "start_s": 29.9,
                "end_s": 30.1,
                "score": 0.95,
            }
        )
    return {
        "entry": {
            "base": f"b{base:03}",
            "split": split,
            "edited": kind != "clean",
            "edit_kind": kind,
            "in_pause": in_pause,
            "enf": "none",
        },
        "findings": findings,
        "checks": [{"name": "enf", "status": "not_applicable", "metrics": {"present": False}}],
    }


def test_deletions_in_pauses_are_left_out_of_one_population_only(tmp_path: Path) -> None:
    rows = []
    for base in range(1, 13, 2):
        rows.append(_quiet_row(base, "clean", False, found=False))
        rows.append(_quiet_row(base, "insertion", True, found=True))
        rows.append(_quiet_row(base, "deletion", True, found=False))  # nothing to see
        rows.append(_quiet_row(base, "deletion_whole_cycles", True, found=False))
        rows.append(_quiet_row(base, "deletion", False, found=True))  # cut inside speech
    rows.append({"entry": {"base": "b099", "split": "calibration"}, "error": "unreadable"})
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))

    entries = {
        e["key"]: e for e in populations.figures(populations.load(results), shipped_calibration())
    }
    assert [entries[key]["targets"] for key in populations.POPULATIONS] == [24, 18, 12]
    assert all(entry["nontargets"] == 6 for entry in entries.values())
    assert entries["no-pause-deletion"]["auc"] == 1.0  # every edit left counted was found
    assert entries["every-edit"]["auc"] < entries["no-whole-cycle"]["auc"] < 1.0
    table = populations.markdown(list(entries.values()))
    assert table.count("\n") == 4 and "without deletions inside a pause | 12 | 6 |" in table


def test_the_figures_are_the_shipped_calibrations() -> None:
    row = _quiet_row(1, "insertion", True, found=True)
    shipped = shipped_calibration()
    llr = populations.apply_files(shipped, [row])
    expected = shipped.file_log10_lr(row["checks"], row["findings"])
    assert np.allclose(llr, [expected])


def test_refitted_each_population_is_judged_by_a_model_of_its_own() -> None:
    """Where the discontinuities check finds every edit the population counts, a model fitted
    on that population's calibration files weighs the check more than the shipped one."""
    rows = []
    for base, split in [(b, "validation") for b in range(1, 13, 2)] + [
        (b, "calibration") for b in range(2, 14, 2)
    ]:
        rows.append(_quiet_row(base, "clean", False, found=False, split=split))
        rows.append(_quiet_row(base, "insertion", True, found=True, split=split))
        rows.append(_quiet_row(base, "deletion", True, found=False, split=split))
    shipped = shipped_calibration()
    as_shipped = {e["key"]: e for e in populations.figures(rows, shipped)}
    refitted = {e["key"]: e for e in populations.figures(rows, shipped, refit=True)}
    assert refitted.keys() == as_shipped.keys()
    assert refitted["no-pause-deletion"]["cllr"] < as_shipped["no-pause-deletion"]["cllr"]
    assert refitted["no-pause-deletion"]["auc"] == as_shipped["no-pause-deletion"]["auc"] == 1.0
    # never fitted on validation files: without calibration files there is nothing to show
    validation_only = [row for row in rows if row["entry"]["split"] == "validation"]
    assert populations.figures(validation_only, shipped, refit=True) == []
