"""bench/calibration/enf_rerun.py: the ENF findings swapped in, and what they move."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "calibration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "tamper"))

import enf_rerun
from check_rerun import with_check

ENF_CHECK = {"name": "enf", "status": "ok", "summary": "", "metrics": {}}


def _point(check: str, start: float, end: float, evidence: float) -> dict:
    score = 1.0 if evidence > 20 else 0.1
    return {
        "kind": "edit_point",
        "check": check,
        "start_s": start,
        "end_s": end,
        "score": score,
        "evidence": {"evidence": evidence},
    }


def _row(edited: bool, findings: list[dict]) -> dict:
    return {
        "entry": {
            "base": "b001",
            "split": "validation",
            "edited": edited,
            "edit_kind": "deletion" if edited else "clean",
            "edit_times": [44.78] if edited else [],
            "traceable": [True] if edited else [],
            "enf": "50",
            "enf_band_snr_db": 9.0,
        },
        "findings": findings,
    }


def test_a_span_narrowed_onto_the_cut_counts_as_located_and_nothing_else_moves() -> None:
    other = _point("discontinuities", 10.0, 10.5, 0.0)
    wide = _point("enf", 41.4, 45.075, 74.57)  # centre 1.5 s from the cut
    edited = _row(True, [other, wide])
    clean = _row(False, [_point("enf", 20.0, 20.5, 9.0)])
    narrowed = with_check(edited, "enf", ENF_CHECK, [_point("enf", 44.575, 45.075, 74.57)])
    assert narrowed["findings"][0] == other  # the other checks' findings are kept
    assert [f["start_s"] for f in narrowed["findings"] if f["check"] == "enf"] == [44.575]

    lines = enf_rerun.compare([edited, clean], [narrowed, clean])
    assert "| both splits | any | 0/1 | 1/1 |" in lines
    assert "| validation | ≥ 6 dB | 0/1 | 1/1 |" in lines
    assert "| validation | ≥ 10 dB | 0/0 | 0/0 |" in lines
    assert lines[-2].startswith("ENF evidence changed in 0 of 2 files")
    assert lines[-2].endswith("0 before, 0 after.")
    assert lines[-1].endswith("clean files: 1.0000 before, 1.0000 after.")


def test_other_evidence_and_false_points_are_counted() -> None:
    clean = _row(False, [])
    flagged = with_check(clean, "enf", ENF_CHECK, [_point("enf", 20.0, 20.5, 30.0)])
    lines = enf_rerun.compare([clean], [flagged])
    assert lines[-2] == (
        "ENF evidence changed in 1 of 1 files; ENF points ≥ 0.5 on clean files: 0 before, 1 after."
    )
