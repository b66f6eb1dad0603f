"""The tamper benchmark's ground truth, read from a manifest entry: where the true edit points
are, whether each left an ENF trace, which split the file belongs to.

Tolerant of manifests written before the ENF trace was recorded (every edit then counts as
traceable when the file has hum) and before the split (then even-numbered base recordings
calibrate).
"""

from __future__ import annotations

import re
from typing import Any

from run import TOLERANCE_S, copied_from, distance

__all__ = [
    "TOLERANCE_S",
    "edit_points",
    "is_real",
    "near_copy_source",
    "near_true_edit",
    "split_of",
]


def _at(values: Any, index: int) -> Any:
    if isinstance(values, list) and index < len(values):
        return values[index]
    return None


def edit_points(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """One dict per true edit point: time, turn_deg, step_db, traceable."""
    if not entry.get("edited"):
        return []
    hummed = entry.get("enf") not in (None, "none")
    points = []
    for index, time in enumerate(entry.get("edit_times") or []):
        turn = _at(entry.get("enf_turn_deg"), index)
        step = _at(entry.get("enf_step_db"), index)
        traceable = _at(entry.get("traceable"), index)
        if traceable is None:
            traceable = hummed and (
                turn is None or abs(turn) >= 20 or (step is not None and abs(step) >= 1)
            )
        points.append(
            {"time": float(time), "turn_deg": turn, "step_db": step, "traceable": bool(traceable)}
        )
    return points


def near_true_edit(entry: dict[str, Any], finding: dict[str, Any]) -> bool:
    return any(distance(finding, float(t)) <= TOLERANCE_S for t in entry.get("edit_times") or [])


def near_copy_source(entry: dict[str, Any], finding: dict[str, Any]) -> bool:
    if entry.get("edit_kind") != "insertion":
        return False
    return any(distance(finding, t) <= TOLERANCE_S for t in copied_from(entry))


def is_real(entry: dict[str, Any]) -> bool:
    return entry.get("kind") == "real"


def split_of(entry: dict[str, Any]) -> str:
    if entry.get("split") in ("calibration", "validation"):
        return str(entry["split"])
    number = re.search(r"\d+", str(entry.get("base", "")))
    return "calibration" if number and int(number.group()) % 2 == 0 else "validation"
