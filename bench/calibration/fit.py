"""Fit the shipped calibration on the tamper benchmark and validate it on the held-out split.

    .venv/bin/python bench/tamper/generate.py && .venv/bin/python bench/tamper/run.py
    .venv/bin/python bench/calibration/fit.py [--results bench/work/tamper/results.jsonl]

Reads the runner's ``results.jsonl`` (every finding and check of every file, with its ground
truth and its ``split``), fits on the ``calibration`` split only, and measures on the
``validation`` split (other base recordings): Cllr, Cllr_min, AUC, Tippett and ECE plots per
check and for the whole file, the goals of issue 14. Writes
``earwitness/forensics/evaluation/calibration-v2.json`` (validation included, so reports can
show it), pins its SHA-256 in ``calibration.py``, draws the plots into
``bench/work/calibration/`` and prints the tables for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "tamper"))
sys.path.insert(0, str(ROOT / "bench" / "calibration"))

from goals import (  # noqa: E402
    apply_files,
    enf_turn_bands,
    goals_of,
    located_traceable,
    located_without_hum,
    low_bit_rate_share,
    markdown,
    traceable_file,
)
from tamper_truth import near_copy_source, near_true_edit, split_of  # noqa: E402

from earwitness.forensics.evaluation import calibration as shipped  # noqa: E402
from earwitness.forensics.evaluation.calibration import (  # noqa: E402
    ENF_JOIN,
    FORMAT,
    POINT_SYSTEMS,
    REPORTED,
    BoundedModel,
    Calibration,
    HalfCycle,
    file_features,
    file_system,
    half_cycle_like,
    point_feature_count,
    point_features,
    point_system,
    score_logit,
)
from earwitness.forensics.evaluation.calibrators import (  # noqa: E402
    LogisticCalibration,
    elub_bounds,
)
from earwitness.forensics.evaluation.metrics import (  # noqa: E402
    cllr,
    cllr_min,
    grouped_interval,
    roc_auc,
)

VERSION = "2"
OUTPUT = ROOT / "earwitness" / "forensics" / "evaluation" / shipped.FILENAME
PLOTS = ROOT / "bench" / "work" / "calibration"
REGULARISATION = 1e-3
INTERVAL_DRAWS = 1000
UNTRACEABLE = "deletion_whole_cycles"  # the class the benchmark makes to leave no trace
POINT_TITLES = {
    "enf": "Edit points of the enf check, turns of the hum's phase",
    ENF_JOIN: "Edit points of the enf check, joins (the hum's level changes)",
}


def load(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    good = [row for row in rows if "error" not in row and "findings" in row]
    if len(good) < len(rows):
        print(f"skipped {len(rows) - len(good)} failed file(s)", file=sys.stderr)
    return good


def base_of(row: dict[str, Any]) -> str:
    """The base recording a row was made from: the unit the split and the intervals draw."""
    entry = row["entry"]
    return str(entry.get("base") or entry.get("path"))


def point_data(
    rows: Iterable[dict[str, Any]], system: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Features (``point_features``, one row per point) of the edit points that weigh by
    ``system`` (``point_system``), labels (1 near a true edit, 0 elsewhere) and each point's
    base recording; points near where an insertion was copied from are neither, and are left
    out."""
    features, labels, bases = [], [], []
    for row in rows:
        entry = row["entry"]
        for finding in row["findings"]:
            if finding["kind"] != "edit_point" or point_system(finding) != system:
                continue
            if near_copy_source(entry, finding):
                continue
            features.append(point_features(finding))
            labels.append(1 if near_true_edit(entry, finding) else 0)
            bases.append(base_of(row))
    matrix = np.asarray(features, dtype=np.float64).reshape(-1, point_feature_count(system))
    return matrix, np.asarray(labels, dtype=int), bases


def file_data(
    rows: Iterable[dict[str, Any]], system: str
) -> tuple[np.ndarray, np.ndarray, list[dict[str, Any]]]:
    chosen = [row for row in rows if file_system(row["checks"]) == system]
    features = np.asarray([file_features(row["findings"]) for row in chosen]).reshape(-1, 4)
    labels = np.asarray([1 if row["entry"]["edited"] else 0 for row in chosen], dtype=int)
    return features, labels, chosen


def with_missing_class(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """When the calibration data hold one class only (the copy-move check reports almost
    nothing but true edits), one made-up example of the other class at the far end of the
    scale: a non-target at the floor score, or a target at the ceiling. The fit is then
    finite, and ELUB bounds it to about what that many examples of one class can support."""
    if labels.min() == labels.max():
        missing = 1 - int(labels[0])
        end = score_logit(0.0) if missing == 0 else score_logit(1.0)
        extra = np.full((1, features.shape[1]), end)
        return np.vstack([features, extra]), np.concatenate([labels, [missing]])
    return features, labels


def fit_bounded(features: np.ndarray, labels: np.ndarray) -> BoundedModel | None:
    if len(labels) == 0:
        return None
    features, labels = with_missing_class(features, labels)
    model = LogisticCalibration.fit(features, labels, regularisation=REGULARISATION)
    if any(c < 0 for c in model.coefficients):
        # A higher score must never weigh less: data too few to say how scores relate to
        # edits. Drop the slopes that came out negative and refit on the rest.
        keep = [j for j, c in enumerate(model.coefficients) if c >= 0]
        model = refit_keeping(features, labels, keep)
    raw = model.log10_lr(features)
    lower, upper = elub_bounds(raw, labels)
    return BoundedModel(model, round(float(lower), 4), round(float(upper), 4))


def refit_keeping(features: np.ndarray, labels: np.ndarray, keep: list[int]) -> LogisticCalibration:
    """A fit on the columns ``keep`` only, returned with zero weight on the others."""
    if not keep:
        intercept = LogisticCalibration.fit(np.zeros((len(labels), 1)), labels).intercept
        return LogisticCalibration((0.0,) * features.shape[1], intercept)
    model = LogisticCalibration.fit(features[:, keep], labels, regularisation=REGULARISATION)
    coefficients = [0.0] * features.shape[1]
    for j, c in zip(keep, model.coefficients, strict=True):
        coefficients[j] = max(c, 0.0)
    return LogisticCalibration(tuple(coefficients), model.intercept)


def system_entry(
    key: str, title: str, llrs: np.ndarray, labels: np.ndarray, bases: list[str]
) -> dict[str, Any] | None:
    """One validated system: its figures, each with the 90 % interval over base recordings
    drawn again (``grouped_interval``), and the LRs the plots are drawn from."""
    if len(set(labels.tolist())) < 2:
        return None
    entry: dict[str, Any] = {
        "key": key,
        "title": title,
        "targets": int(labels.sum()),
        "nontargets": int((1 - labels).sum()),
        "bases": len(set(bases)),
        "cllr": round(cllr(llrs, labels), 4),
        "cllr_min": round(cllr_min(llrs, labels), 4),
        "auc": round(roc_auc(llrs, labels), 4),
    }
    for name, metric in (("cllr", cllr), ("auc", roc_auc)):
        interval = grouped_interval(metric, llrs, labels, bases, draws=INTERVAL_DRAWS)
        if interval is not None:
            entry[f"{name}_interval"] = [round(interval[0], 3), round(interval[1], 3)]
    entry["log10_lrs"] = [round(float(v), 3) for v in llrs]
    entry["labels"] = [int(v) for v in labels]
    return entry


def half_cycle_model(calibrate: list[dict[str, Any]], references: Path) -> HalfCycle | None:
    """The two rates ``HalfCycle`` weighs a half-cycle step by: the share of edited
    calibration files with hum that show a reported one, and genuine slips per hour of the
    ENF-WHU references (``bench/enf_references.py --json``)."""
    if not references.exists():
        print(f"no {references}: half-cycle steps not weighed apart", file=sys.stderr)
        return None
    measured = json.loads(references.read_text())
    edited = [
        row
        for row in calibrate
        if row["entry"]["edited"] and file_system(row["checks"]) == "file-enf"
    ]
    showing = sum(
        any(half_cycle_like(f) and f["score"] >= REPORTED for f in row["findings"])
        for row in edited
    )
    # One made-up file of each kind, so neither rate is ever exactly zero.
    share = (showing + 1) / (len(edited) + 2)
    slips = (measured["half_cycle_steps"] + 1) / measured["hours"]
    return HalfCycle(round(share, 4), round(slips, 4))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=ROOT / "bench/work/tamper/results.jsonl")
    parser.add_argument("--manifest-note", default="bench/tamper (default set)")
    parser.add_argument(
        "--output",
        type=Path,
        default=OUTPUT,
        help="where to write the calibration; only the shipped file gets its hash pinned",
    )
    parser.add_argument("--plots", type=Path, default=PLOTS)
    parser.add_argument(
        "--references",
        type=Path,
        default=ROOT / "bench/work/enf_references.json",
        help="genuine half-cycle slips per hour, from bench/enf_references.py --json",
    )
    args = parser.parse_args(argv)
    rows = load(args.results)
    calibrate = [row for row in rows if split_of(row["entry"]) == "calibration"]
    validate = [row for row in rows if split_of(row["entry"]) == "validation"]
    print(f"{len(calibrate)} calibration files, {len(validate)} validation files")

    points: dict[str, BoundedModel] = {}
    systems: list[dict[str, Any]] = []
    for check in POINT_SYSTEMS:
        features, labels, _ = point_data(calibrate, check)
        model = fit_bounded(features, labels)
        if model is None:
            print(f"no calibration for {check}: {len(labels)} points", file=sys.stderr)
            continue
        points[check] = model
        v_features, v_labels, v_bases = point_data(validate, check)
        llrs = np.asarray([model.log10_lr(row) for row in v_features])
        entry = system_entry(
            f"point-{check}",
            POINT_TITLES.get(check, f"Edit points of the {check} check"),
            llrs,
            v_labels,
            v_bases,
        )
        if entry:
            systems.append(entry)

    files: dict[str, BoundedModel] = {}
    titles = {"file-enf": "Whole file, mains hum present", "file-no-enf": "Whole file, no hum"}
    for system in titles:
        features, labels, _ = file_data(calibrate, system)
        model = fit_bounded(features, labels)
        if model is None:
            continue
        files[system] = model
    half_cycle = half_cycle_model(calibrate, args.references)
    fitted = Calibration("fit", "", {}, "", points, files, {}, {}, half_cycle)
    for system, title in titles.items():
        _, v_labels, chosen = file_data(validate, system)
        if system in files:
            entry = system_entry(
                system, title, apply_files(fitted, chosen), v_labels, [base_of(r) for r in chosen]
            )
            if entry:
                systems.append(entry)

    # The goals' population with ENF counts only edits that leave an ENF trace. Without hum,
    # the class made to leave no trace at all is shown apart too (not a goal's population).
    enf_rows = [row for row in validate if file_system(row["checks"]) == "file-enf"]
    traced = [row for row in enf_rows if not row["entry"]["edited"] or traceable_file(row)]
    quiet_rows = [row for row in validate if file_system(row["checks"]) == "file-no-enf"]
    visible = [row for row in quiet_rows if row["entry"].get("edit_kind") != UNTRACEABLE]
    for key, title, chosen in (
        ("file-enf-traceable", "Whole file, mains hum present, edits leaving an ENF trace", traced),
        (
            "file-no-enf-traceable",
            "Whole file, no hum, without the untraceable class (whole-cycle deletions in a "
            "stationary background)",
            visible,
        ),
    ):
        labels = np.asarray([int(row["entry"]["edited"]) for row in chosen])
        entry = system_entry(
            key, title, apply_files(fitted, chosen), labels, [base_of(r) for r in chosen]
        )
        if entry:
            systems.append(entry)
    goals = goals_of(systems, validate, fitted)

    limits = {
        "enf_turn_deg_by_snr": enf_turn_bands(calibrate),
        "untraceable": dict(
            zip(("located", "count"), located_traceable(validate)[2:], strict=True)
        ),
        "low_bit_rate": low_bit_rate_share(validate),
        "without_hum": located_without_hum(validate),
    }
    document = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {
            "summary": (
                f"{args.manifest_note}: {len(calibrate)} files calibrate, {len(validate)} "
                "validate (other base recordings)"
            ),
            "results_sha256": hashlib.sha256(args.results.read_bytes()).hexdigest(),
            "calibration_files": len(calibrate),
            "validation_files": len(validate),
        },
        "method": METHOD,
        "points": {k: v.to_dict() for k, v in points.items()},
        "files": {k: v.to_dict() for k, v in files.items()},
        "limits": limits,
        "half_cycle": half_cycle.to_dict() if half_cycle else None,
        "validation": {"split": SPLIT_WORDS, "systems": systems, "goals": goals},
    }
    raw = (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()
    args.output.write_bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    if args.output.resolve() == OUTPUT.resolve():
        pin(digest)
    print(f"wrote {args.output} (SHA-256 {digest})")
    print(markdown(systems, goals, limits))
    draw_plots(systems, args.plots)
    print(f"Tippett and ECE plots in {args.plots}/")
    return 0


def draw_plots(systems: list[dict[str, Any]], folder: Path) -> None:
    """Each validated system's Tippett and ECE plot, as the reports draw them, into ``folder``."""
    import base64

    from earwitness.reports.validation_plots import validation_png

    folder.mkdir(parents=True, exist_ok=True)
    for system in systems:
        png = validation_png(system["log10_lrs"], system["labels"])
        (folder / f"{system['key']}.png").write_bytes(base64.b64decode(png))


def pin(digest: str) -> None:
    """Rewrite the pinned SHA-256 in calibration.py to the file just written."""
    source = Path(shipped.__file__)
    text = source.read_text()
    updated = re.sub(r'PINNED_SHA256 = "[0-9a-f]{64}"', f'PINNED_SHA256 = "{digest}"', text)
    source.write_text(updated)


SPLIT_WORDS = (
    "Fixed by base recording: synthetic conversations with even numbers and the first real "
    "recordings calibrate; the others, with all their edits and transcodes, validate. No base "
    "recording is in both."
)
METHOD = (
    "Each check scores what it measures (0 = no indication, 1 = certain). A logistic "
    "calibration per check turns the logit of an edit point's score into a log10 likelihood "
    "ratio for 'edited here' against 'not edited here' (for a step where the mains hum's level "
    "changes, a join, also how narrowly its place is known), fitted on the points that check "
    "reported near true edits and elsewhere in the calibration split of the tamper benchmark. "
    "For the whole file, a logistic fusion of each check's highest edit-point score and of the "
    "number of other observations gives the log10 likelihood ratio for 'edited' against "
    "'unedited original', with one model for recordings with mains hum and one without. Both "
    "are prior-neutral (class-balanced) and clipped to the empirical lower and upper bounds "
    "(ELUB) of their calibration data, so no value exceeds what the data can support. "
    "Validation uses other base recordings: Cllr, Cllr_min, AUC, Tippett and ECE plots; "
    "each Cllr and AUC with the interval holding 90 % of its values when the held-out base "
    "recordings are drawn again with replacement, all their edits and transcodes together."
)

if __name__ == "__main__":
    raise SystemExit(main())
