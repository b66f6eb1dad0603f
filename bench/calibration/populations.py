"""The shipped calibration without hum, for each population the goal might count.

    .venv/bin/python bench/calibration/populations.py \
        --results bench/work/evaluation-full/results-final.jsonl

Issue 14's goal without ENF (AUC ≥ 0.85, Cllr ≤ 0.6) counts every edit. Without mains hum, a
deletion inside a pause joins two stretches of one stationary background: nothing is left to
see at the cut, whether or not it spans whole mains cycles (a notion that needs hum to mean
anything). So this prints the whole-file figures of the validation split's files without
hum, with the shipped calibration (nothing is fitted here):

* every edit (the goal's population now);
* without the whole-cycle class (the row ``fit.py`` adds to the calibration's validation);
* without any deletion that lies inside a pause (the benchmark's ``in_pause``).

Each with its 90 % interval over base recordings, as ``fit.py`` measures it. With
``--refit``, also each population's figures when the no-hum model is fitted on the
calibration split's files of that same population (the other models kept): what a changed
goal population would bring with a calibration of its own.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fit import (
    ROOT,
    UNTRACEABLE,
    apply_files,
    base_of,
    file_data,
    fit_bounded,
    load,
    split_of,
    system_entry,
)

from earwitness.forensics.evaluation.calibration import (
    Calibration,
    file_system,
    shipped_calibration,
)

Entry = dict[str, Any]


def deleted_in_a_pause(entry: Entry) -> bool:
    return str(entry.get("edit_kind", "")).startswith("deletion") and bool(entry.get("in_pause"))


POPULATIONS: dict[str, tuple[str, Callable[[Entry], bool]]] = {
    "every-edit": ("every edit (the goal's population)", lambda entry: True),
    "no-whole-cycle": (
        "without whole-cycle deletions",
        lambda entry: entry.get("edit_kind") != UNTRACEABLE,
    ),
    "no-pause-deletion": (
        "without deletions inside a pause",
        lambda entry: not deleted_in_a_pause(entry),
    ),
}


def _population(
    rows: list[dict[str, Any]], split: str, counted: Callable[[Entry], bool]
) -> list[dict[str, Any]]:
    """The ``split``'s files without hum: the clean ones and the edited ones ``counted``."""
    return [
        row
        for row in rows
        if split_of(row["entry"]) == split
        and file_system(row["checks"]) == "file-no-enf"
        and (not row["entry"]["edited"] or counted(row["entry"]))
    ]


def figures(
    rows: list[dict[str, Any]], calibration: Calibration, *, refit: bool = False
) -> list[dict[str, Any]]:
    """One ``fit.system_entry`` per population, over the validation files without hum; with
    ``refit``, the no-hum model is first fitted on the calibration split's same population."""
    entries = []
    for key, (title, counted) in POPULATIONS.items():
        used = calibration
        if refit:
            features, labels, _ = file_data(
                _population(rows, "calibration", counted), "file-no-enf"
            )
            model = fit_bounded(features, labels)
            if model is None:
                continue
            used = replace(calibration, files={**calibration.files, "file-no-enf": model})
        chosen = _population(rows, "validation", counted)
        labels = np.asarray([int(row["entry"]["edited"]) for row in chosen])
        entry = system_entry(
            key, title, apply_files(used, chosen), labels, [base_of(row) for row in chosen]
        )
        if entry:
            entries.append(entry)
    return entries


def markdown(entries: list[dict[str, Any]]) -> str:
    def spread(entry: dict[str, Any], name: str) -> str:
        low, high = entry.get(f"{name}_interval", (None, None))
        shown = f"{entry[name]:.3f}"
        return shown if low is None else f"{shown} ({low:.2f}–{high:.2f})"

    lines = [
        "| no hum, validation split | targets | non-targets | Cllr (90 % over bases) | "
        "Cllr_min | AUC (90 % over bases) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in entries:
        lines.append(
            f"| {entry['title']} | {entry['targets']} | {entry['nontargets']} | "
            f"{spread(entry, 'cllr')} | {entry['cllr_min']:.3f} | {spread(entry, 'auc')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=ROOT / "bench/work/tamper/results.jsonl")
    parser.add_argument(
        "--refit",
        action="store_true",
        help="also fit the no-hum model on each population's calibration files",
    )
    args = parser.parse_args(argv)
    rows = load(args.results)
    print("With the shipped calibration:\n")
    print(markdown(figures(rows, shipped_calibration())))
    if args.refit:
        print("\nWith the no-hum model fitted on the calibration split's same population:\n")
        print(markdown(figures(rows, shipped_calibration(), refit=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
