"""The plots of the method's validation: a Tippett plot and an ECE plot per validated system,
drawn from the validation LLRs the shipped calibration stores.

A Tippett plot shows, for each log10 LR threshold, the share of target trials (edited) and of
non-target trials (unedited) whose log10 LR is at least that; an ECE (empirical cross-entropy)
plot shows, over a range of prior odds, how much information the system's LRs leave to be
found (lower is better), against the same LRs after the best monotone recalibration and
against a system that always answers LR = 1.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from earwitness.reports.plots import ALARM_COLOUR, OBSERVATION_COLOUR, palette_png

TARGET_COLOUR = ALARM_COLOUR
NONTARGET_COLOUR = OBSERVATION_COLOUR
PRIOR_LOG10_ODDS = np.linspace(-2.5, 2.5, 101)

_CACHE: dict[tuple[str, str, int], str] = {}
_CACHE_LOCK = threading.Lock()


def validation_png(
    log10_lrs: Sequence[float], labels: Sequence[int], *, cache_key: tuple[str, str] | None = None
) -> str:
    """Tippett (left) and ECE (right) of one system, as base64 PNG.

    ``labels`` are 1 for target trials (edited), 0 for non-target trials. ``cache_key``
    (calibration hash, system key) lets a run of many reports draw each plot once. Raises
    ImportError when the evaluation metrics are not installed, ValueError on unusable data.
    """
    key = (*cache_key, len(log10_lrs)) if cache_key else None
    if key is not None:
        with _CACHE_LOCK:
            if key in _CACHE:
                return _CACHE[key]
    from earwitness.forensics.evaluation.metrics import ece, tippett

    lrs = np.asarray(log10_lrs, dtype=float)
    truth = np.asarray(labels, dtype=int)
    if lrs.shape != truth.shape or not len(lrs):
        raise ValueError("the stored validation LLRs and labels do not match")
    curve = tippett(lrs, truth)
    entropy = ece(lrs, truth, prior_log10_odds=PRIOR_LOG10_ODDS)
    png = _draw(curve, entropy)
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = png
    return png


def _draw(curve: Any, entropy: Any) -> str:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.6, 2.7))
    left, right = figure.subplots(1, 2, gridspec_kw={"wspace": 0.28})
    # Each share holds from just above the previous distinct value up to this one ("pre"),
    # with every trial counted left of the data and none right of it.
    values = np.asarray(curve.log10_lr, dtype=float)
    pad = max(0.25, 0.05 * float(values[-1] - values[0]))
    x = np.concatenate([[values[0] - pad], values, [values[-1] + pad]])
    for shares, colour, style, label in (
        (curve.targets_at_least, TARGET_COLOUR, "-", "edited (targets)"),
        (curve.nontargets_at_least, NONTARGET_COLOUR, "--", "unedited (non-targets)"),
    ):
        y = np.concatenate([[1.0], np.asarray(shares, dtype=float), [0.0]])
        left.step(x, y, where="pre", color=colour, linewidth=1.3, linestyle=style, label=label)
    left.axvline(0.0, color="#8c959f", linewidth=0.7)
    left.set(xlabel="log10 LR threshold", ylabel="share with log10 LR ≥ threshold", ylim=(0, 1.02))
    left.set_title("Tippett plot", fontsize=9)
    left.legend(fontsize=7, loc="best")
    right.plot(entropy.prior_log10_odds, entropy.system, color="#1b1f24", linewidth=1.3)
    right.plot(
        entropy.prior_log10_odds,
        entropy.calibrated,
        color="#1b1f24",
        linewidth=1.0,
        linestyle="--",
    )
    right.plot(
        entropy.prior_log10_odds, entropy.neutral, color="#8c959f", linewidth=1.0, linestyle=":"
    )
    right.legend(["these LRs", "after best recalibration", "LR = 1 always"], fontsize=7)
    right.set(xlabel="prior log10 odds (edited)", ylabel="empirical cross-entropy (bits)")
    right.set_ylim(bottom=0)
    right.set_title("ECE plot", fontsize=9)
    for axis in (left, right):
        axis.tick_params(labelsize=7)
        axis.xaxis.label.set_size(8)
        axis.yaxis.label.set_size(8)
    return palette_png(figure, tight=True, dpi=80)
