"""Pure helpers of the tamper benchmark's scores: AUC, the distance from a reported edit
point to a true one, and where a copy-move insertion's copy came from."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

THRESHOLD = 0.5  # an edit point scored at least this much counts as reported
TOLERANCE_S = 0.5  # a reported edit point this close to a true one locates it
WIDE_S = 1.0  # a finding wider than this is placed at its middle


def auc(positives: Iterable[float], negatives: Iterable[float]) -> float:
    """Area under the ROC curve: the chance that a random positive scores above a random
    negative, ties counting one half (Mann–Whitney U from average ranks)."""
    pos, neg = np.asarray(list(positives), float), np.asarray(list(negatives), float)
    if not len(pos) or not len(neg):
        return float("nan")
    values = np.concatenate([pos, neg])
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    start = 0
    while start < len(values):  # tied values share the mean of their ranks
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def distance(point: dict[str, float], time_s: float) -> float:
    start, end = point["start_s"], point["end_s"]
    if end - start > WIDE_S:
        return abs((start + end) / 2 - time_s)
    return 0.0 if start <= time_s <= end else min(abs(start - time_s), abs(end - time_s))


def copied_from(entry: dict[str, Any]) -> list[float]:
    """For an insertion: the ends, in the edited file, of the stretch the copy was taken
    from. The copy-move check reports both places, since nothing in the file tells which one
    is the copy; its points there are neither true edit points nor false ones."""
    if entry["edit_kind"] != "insertion":
        return []
    first, second = entry["edit_times"]
    start = entry["copied_from_s"]
    if start >= first:  # the original lies after the inserted copy, shifted by its length
        start += second - first
    return [start, start + entry["copied_s"]]
