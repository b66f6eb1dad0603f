"""bench/calibration/fit.py: fits on the calibration split only, validates on the other, bounds
every LR by ELUB, writes a file the examination can load, and states its goals honestly."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "calibration"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "tamper"))

import fit

from earwitness.forensics.evaluation import calibration


def _row(base: int, edited: bool, hum: bool, score: float, rng: np.random.Generator) -> dict:
    edit_at = 30.0
    findings = []
    if edited or rng.random() < 0.3:  # genuine files get a few low candidates too
        at = edit_at if edited else float(rng.uniform(5, 55))
        check = "enf" if hum else "discontinuities"
        findings.append(
            {
                "kind": "edit_point",
                "check": check,
                "start_s": at - 0.1,
                "end_s": at + 0.1,
                "score": score,
            }
        )
    return {
        "entry": {
            "base": f"b{base:03}",
            "split": "calibration" if base % 2 == 0 else "validation",
            "kind": "synthetic",
            "edited": edited,
            "edit_kind": "deletion" if edited else "clean",
            "edit_times": [edit_at] if edited else [],
            "enf": 50 if hum else "none",
            "codec": "wav",
            "traceable": [True] if edited and hum else None,
            "truncated": False,
        },
        "findings": findings,
        "checks": [
            {
                "name": "enf",
                "status": "ok" if hum else "not_applicable",
                "metrics": {"present": hum, "snr_db": 12.0},
            }
        ],
    }


@pytest.fixture
def results(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    rows = []
    for base in range(40):
        hum = base % 4 < 2
        for edited in (False, True):
            score = float(rng.uniform(0.6, 1.0) if edited else rng.uniform(0.0, 0.5))
            rows.append(_row(base, edited, hum, score, rng))
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_fit_writes_a_loadable_bounded_calibration_without_touching_the_shipped_one(
    results: Path, tmp_path: Path
) -> None:
    shipped = Path(calibration.__file__).read_bytes()
    target = tmp_path / "cal.json"
    assert (
        fit.main(
            ["--results", str(results), "--output", str(target), "--plots", str(tmp_path / "plots")]
        )
        == 0
    )
    assert Path(calibration.__file__).read_bytes() == shipped  # nothing pinned for a test file
    raw = target.read_bytes()
    loaded = calibration.load_verified(raw, hashlib.sha256(raw).hexdigest())
    assert set(loaded.files) == {"file-enf", "file-no-enf"}
    keys = {system["key"] for system in loaded.validation["systems"]}
    assert {"file-enf", "file-no-enf", "point-enf"} <= keys
    for system in loaded.validation["systems"]:
        assert len(system["log10_lrs"]) == system["targets"] + system["nontargets"]
        assert system["cllr_min"] <= system["cllr"] + 1e-9
        assert system["bases"] >= 2
        for name in ("cllr", "auc"):  # 90 % over base recordings drawn again
            low, high = system[f"{name}_interval"]
            assert low <= high
            assert low - 0.05 <= system[name] <= high + 0.05
    model = loaded.files["file-enf"]
    hum = [{"name": "enf", "status": "ok", "metrics": {"present": True}}]
    strong = loaded.file_log10_lr(hum, [{"kind": "edit_point", "check": "enf", "score": 1.0}])
    weak = loaded.file_log10_lr(hum, [])
    assert strong is not None and weak is not None
    assert model.lower <= weak < 0 < strong <= model.upper  # separable data, bounded LRs
    assert list((tmp_path / "plots").glob("*.png"))


def test_the_validation_split_is_other_base_recordings(results: Path) -> None:
    rows = fit.load(results)
    calibrating = {
        row["entry"]["base"] for row in rows if fit.split_of(row["entry"]) == "calibration"
    }
    validating = {
        row["entry"]["base"] for row in rows if fit.split_of(row["entry"]) == "validation"
    }
    assert calibrating and validating and not calibrating & validating


def test_goals_report_unmet_ones_as_unmet(results: Path) -> None:
    rows = fit.load(results)
    validate = [row for row in rows if fit.split_of(row["entry"]) == "validation"]
    goals = fit.goals_of([{"key": "file-no-enf", "cllr": 0.9, "auc": 0.7}], validate, {})
    by_goal = {goal["goal"]: goal for goal in goals}
    assert by_goal["Cllr ≤ 0.6 without ENF"]["met"] is False
    assert by_goal["AUC ≥ 0.85 without ENF"]["met"] is False
    assert by_goal["Cllr ≤ 0.3 with ENF (edits leaving a trace)"]["met"] is False  # absent


def test_the_untraceable_class_is_shown_apart_without_hum(results: Path, tmp_path: Path) -> None:
    """Whole-cycle deletions in a stationary background are made to leave no trace; without
    hum the file system is validated with them and, apart, without them."""
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    for row in rows:
        entry = row["entry"]
        if entry["edited"] and entry["enf"] == "none" and entry["split"] == "validation":
            entry["edit_kind"] = fit.UNTRACEABLE
            row["findings"] = []  # as found: nothing
            break
    else:
        raise AssertionError("the fixture has no edited validation file without hum")
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    target = tmp_path / "cal.json"
    fit.main(["--results", str(results), "--output", str(target), "--plots", str(tmp_path / "p")])
    systems = {s["key"]: s for s in json.loads(target.read_text())["validation"]["systems"]}
    assert systems["file-no-enf-traceable"]["targets"] == systems["file-no-enf"]["targets"] - 1
    assert systems["file-no-enf-traceable"]["auc"] >= systems["file-no-enf"]["auc"]


def test_the_limits_say_what_was_located_without_hum(results: Path, tmp_path: Path) -> None:
    """A report on a recording without hum states what validation located in such recordings,
    by kind of edit: whole-cycle deletions count as deletions, and only validation counts."""
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    quiet = [
        row
        for row in rows
        if row["entry"]["edited"]
        and row["entry"]["enf"] == "none"
        and row["entry"]["split"] == "validation"
    ]
    quiet[0]["findings"] = []  # missed
    quiet[1]["entry"]["edit_kind"] = fit.UNTRACEABLE  # found all the same
    results.write_text("".join(json.dumps(row) + "\n" for row in rows))
    target = tmp_path / "cal.json"
    fit.main(["--results", str(results), "--output", str(target), "--plots", str(tmp_path / "p")])
    measured = json.loads(target.read_text())["limits"]["without_hum"]
    count = len(quiet)
    assert measured == {
        "located": count - 1,
        "count": count,
        "kinds": {"deletion": [count - 1, count]},
    }
