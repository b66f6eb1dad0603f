"""Comparing ENF tracks: errors on a common time grid, Pearson correlation, pooled figures.

Tracks are (times s, Hz) with NaN where a tool gives no value (libhum masks points it finds
unreliable). A track is compared on the other's time grid by linear interpolation, which
leaves NaN next to a missing point, so a masked point never counts as a small error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Track = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Pair:
    """One file: the errors (Hz) at points both tracks cover, the correlation there, and how
    many of the truth's points were covered."""

    errors: np.ndarray
    corr: float
    total: int


def on_grid(track: Track, grid: np.ndarray, lag_s: float = 0.0) -> np.ndarray:
    """``track`` (shifted earlier by ``lag_s``) read at ``grid``; NaN outside its span."""
    times, values = track
    if len(times) == 0:
        return np.full(len(grid), np.nan)
    shifted = times - lag_s
    out = np.interp(grid, shifted, values, left=np.nan, right=np.nan)
    return np.where((grid >= shifted[0]) & (grid <= shifted[-1]), out, np.nan)


def pair(truth: Track, track: Track, lag_s: float = 0.0) -> Pair:
    times, reference = truth
    values = on_grid(track, times, lag_s)
    valid = np.isfinite(values) & np.isfinite(reference)
    errors = values[valid] - reference[valid]
    corr = float("nan")
    if valid.sum() >= 3 and np.std(values[valid]) > 0 and np.std(reference[valid]) > 0:
        corr = float(np.corrcoef(values[valid], reference[valid])[0, 1])
    return Pair(errors, corr, int(np.isfinite(reference).sum()))


def pooled(pairs: list[Pair]) -> dict[str, float]:
    """RMSE (mHz) over every compared point of every file; correlation as the mean of the
    per-file correlations weighted by points compared (pooling points across files would
    credit the differences between files' means, which any tool gets right); coverage."""
    errors = np.concatenate([p.errors for p in pairs]) if pairs else np.zeros(0)
    weights = np.array([len(p.errors) for p in pairs], float)
    corrs = np.array([p.corr for p in pairs])
    ok = np.isfinite(corrs) & (weights > 0)
    total = sum(p.total for p in pairs)
    return {
        "rmse_mhz": float(np.sqrt(np.mean(errors**2)) * 1000) if len(errors) else float("nan"),
        "p95_abs_mhz": float(np.percentile(np.abs(errors), 95) * 1000)
        if len(errors)
        else float("nan"),
        "corr": float(np.sum(corrs[ok] * weights[ok]) / weights[ok].sum())
        if ok.any()
        else float("nan"),
        "corr_min": float(np.min(corrs[ok])) if ok.any() else float("nan"),
        "coverage": len(errors) / total if total else 0.0,
        "points": len(errors),
    }


def best_lag(truths: list[Track], tracks: list[Track], max_lag_s: float, step_s: float) -> float:
    """The shift (s) that best lines ``tracks`` up with ``truths`` (smallest pooled mean
    square error after removing each file's mean difference): a causal filter in a tool
    delays its track, and a delay is not an error in the frequency estimate."""
    best, best_cost = 0.0, np.inf
    for lag in np.arange(-max_lag_s, max_lag_s + step_s / 2, step_s):
        squares, count = 0.0, 0
        for truth, track in zip(truths, tracks, strict=True):
            errors = pair(truth, track, float(lag)).errors
            if len(errors):
                squares += float(np.sum((errors - errors.mean()) ** 2))
                count += len(errors)
        if count and squares / count < best_cost:
            best, best_cost = float(lag), squares / count
    return best


def grid_bias_share(truth: Track, track: Track, lag_s: float, bin_hz: float) -> float:
    """Share of the error variance explained by where the true frequency falls between the
    bins of a ``bin_hz`` spectrum (a least-squares fit of sin and cos of that position): near
    1 means the error is the estimator's interpolation bias, not noise."""
    times, reference = truth
    values = on_grid(track, times, lag_s)
    valid = np.isfinite(values) & np.isfinite(reference)
    if valid.sum() < 10:
        return float("nan")
    error = values[valid] - reference[valid]
    position = 2 * np.pi * reference[valid] / bin_hz
    basis = np.column_stack([np.sin(position), np.cos(position), np.ones(valid.sum())])
    fitted = basis @ np.linalg.lstsq(basis, error, rcond=None)[0]
    return float(1 - np.var(error - fitted) / np.var(error))
