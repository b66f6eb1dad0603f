"""bench/calibration/check_rerun.py: one check run again, its findings swapped into a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "calibration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "tamper"))

import check_rerun

from tests.conftest import encode_samples


def _finding(check: str, at: float, score: float, kind: str = "edit_point") -> dict:
    return {"kind": kind, "check": check, "start_s": at, "end_s": at + 0.5, "score": score}


def _row(edited: bool, findings: list[dict]) -> dict:
    return {
        "entry": {"edited": edited, "edit_times": [30.0] if edited else [], "path": "x.wav"},
        "checks": [
            {"name": "enf", "status": "ok", "summary": "", "metrics": {}},
            {"name": "discontinuities", "status": "ok", "summary": "old", "metrics": {}},
        ],
        "findings": findings,
        "edit_score": max((f["score"] for f in findings), default=0.0),
        "points": [],
    }


def test_the_check_is_replaced_and_everything_else_kept() -> None:
    enf = _finding("enf", 12.0, 0.3)
    row = _row(True, [enf, _finding("discontinuities", 20.0, 1.0)])
    check = {"name": "discontinuities", "status": "ok", "summary": "new", "metrics": {}}
    fresh = [_finding("discontinuities", 29.9, 0.9), _finding("discontinuities", 5.0, 0.2)]
    after = check_rerun.with_check(row, "discontinuities", check, fresh)
    assert [(f["check"], f["start_s"]) for f in after["findings"]] == [
        ("discontinuities", 5.0),
        ("enf", 12.0),
        ("discontinuities", 29.9),
    ]
    assert after["checks"][0] == row["checks"][0] and after["checks"][1]["summary"] == "new"
    assert after["edit_score"] == 0.9
    assert [p["start_s"] for p in after["points"]] == [29.9]
    assert row["findings"][1]["start_s"] == 20.0  # the original row is left as it was


def test_points_are_counted_at_edits_and_away_from_them() -> None:
    rows = [
        _row(True, [_finding("discontinuities", 29.8, 0.9), _finding("discontinuities", 50, 1)]),
        _row(
            False, [_finding("discontinuities", 10.0, 0.7), _finding("discontinuities", 40, 0.45)]
        ),
        _row(False, [_finding("enf", 10.0, 1.0), _finding("discontinuities", 3, 1.0, "dropout")]),
        {**_row(False, [_finding("discontinuities", 10.0, 1.0)]), "entry": {"truncated": True}},
    ]
    assert check_rerun.point_counts(rows, "discontinuities") == (1, 1, 1)
    assert check_rerun.point_counts(rows, "enf") == (0, 1, 0)


def _joined_wav(folder: Path) -> Path:
    """20 s of noise whose level triples at 10 s, in the pause between tones ("speech")."""
    rate = 16000
    rng = np.random.default_rng(4)
    x = 0.003 * rng.standard_normal(20 * rate)
    x[10 * rate :] *= 3.0
    for start in (2, 6, 13, 16):
        x[start * rate : (start + 2) * rate] += 0.2 * np.sin(np.arange(2 * rate) * 0.2)
    return encode_samples(folder / "joined.wav", x, rate, "pcm_s16le", "wav")


def test_a_check_run_again_finds_what_the_examination_found(tmp_path: Path) -> None:
    """On a file with a join of two backgrounds in a pause, the rerun gives the very findings
    (and ``checks[]`` entry) that a whole examination gives for that check."""
    from earwitness.forensics.examine import ExhibitFacts, examine
    from earwitness.media.decode import decode_audio
    from earwitness.media.probe import probe

    path = _joined_wav(tmp_path)
    check, findings = check_rerun.check_again(
        (str(tmp_path), "discontinuities", {"entry": {"path": "joined.wav"}})
    )
    decoded = decode_audio(path)
    facts = ExhibitFacts("0" * 64, path.name, path.stat().st_size, probe(path).to_dict())
    report = examine(decoded.samples, decoded.sample_rate, facts).report
    expected = [f for f in report["findings"] if f["check"] == "discontinuities"]
    assert [f for f in findings if f["kind"] == "edit_point" and f["score"] >= 0.5]
    assert findings == expected
    assert check == next(c for c in report["checks"] if c["name"] == "discontinuities")


def test_the_command_keeps_files_that_failed_and_refuses_to_overwrite(tmp_path: Path) -> None:
    _joined_wav(tmp_path)
    row = {
        **_row(True, [_finding("enf", 12.0, 0.3)]),
        "entry": {"path": "joined.wav", "edited": True, "edit_times": [10.0]},
    }
    failed = {"entry": {"path": "broken.wav", "edited": False}, "error": "DecodeError: no audio"}
    results, output = tmp_path / "results.jsonl", tmp_path / "again.jsonl"
    results.write_text("\n".join(json.dumps(r) for r in (row, failed)) + "\n")
    arguments = ["--check", "discontinuities", "--data", str(tmp_path), "--jobs", "1"]
    assert check_rerun.main([*arguments, "--results", str(results), "--output", str(output)]) == 0
    again, kept = [json.loads(line) for line in output.read_text().splitlines()]
    assert kept == failed
    assert [f["check"] for f in again["findings"] if f["check"] == "enf"] == ["enf"]
    assert any(
        f["check"] == "discontinuities" and f["score"] >= 0.5 and f["start_s"] < 10 < f["end_s"]
        for f in again["findings"]
    )
    for wrong in (["--output", str(results)], ["--check", "no_such_check", "--output", "x"]):
        with pytest.raises(SystemExit):
            check_rerun.main([*arguments, "--results", str(results), *wrong])
