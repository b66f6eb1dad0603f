"""Calibrators: turn a check's statistic (a score) into a log10 likelihood ratio.

Every function here speaks log10 likelihood ratios, log10 LR = log10 P(E | Hp) / P(E | Hd), where
Hp is "edited (here)" (label 1, a *target*) and Hd is "unedited" (label 0, a *non-target*).
Positive values support editing, negative values support an unedited original, 0 is neutral.

Both calibrators are fitted *prior-neutral*: the two classes weigh equally however many examples
of each the benchmark holds, so the output is a likelihood ratio and not posterior odds. The
examiner (or court) brings the prior; the calibration brings only the weight of the findings.

- `IsotonicCalibration` (PAV, pool adjacent violators): the monotone, non-parametric map that
  fits the calibration data best; pseudo-counts keep its ends finite.
- `LogisticCalibration`: a straight line in log odds per feature, several features at once; the
  usual choice when checks are combined.
- `elub_bounds`/`bound`: the Empirical Lower and Upper Bound (ELUB) method of Vergeer et al.
  (2016), the range of log10 LR that the validation data can support. A reported LR outside it
  claims more than the data could ever have shown, so it is clipped.

Pure NumPy; deterministic; no I/O. `to_dict`/`from_dict` use plain JSON types only.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

LN10 = math.log(10.0)

# ---------------------------------------------------------------------------- input checks


def labelled_arrays(
    values: npt.ArrayLike, labels: npt.ArrayLike, *, what: str = "log10_lrs"
) -> tuple[np.ndarray, np.ndarray]:
    """`values` as 1-D float64 and `labels` as 1-D int64 (0/1), both classes present.

    Raises ValueError (one line) for mismatched lengths, NaN values, labels other than 0 and 1,
    or a class with no examples: every figure in this package needs both.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    y_raw = np.asarray(labels).reshape(-1)
    if x.shape != y_raw.shape:
        raise ValueError(f"{what} and labels differ in length ({x.size} and {y_raw.size})")
    if np.isnan(x).any():
        raise ValueError(f"{what} contain NaN")
    if not np.isin(y_raw, (0, 1)).all():
        raise ValueError("labels must be 0 (unedited, Hd) or 1 (edited, Hp)")
    y = y_raw.astype(np.int64)
    targets = int(y.sum())
    if targets == 0 or targets == y.size:
        raise ValueError("labels must include both edited (1) and unedited (0) examples")
    return x, y


# ---------------------------------------------------------------------------- PAV


def _pav_blocks(
    scores: np.ndarray, labels: np.ndarray, pseudo_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct scores (ascending) and the PAV log10 LR at each, possibly ±inf.

    Equal scores are pooled first, so they always get one value. Pool adjacent violators on the
    proportion of targets is run on counts; the pooled blocks are the same whatever class
    weights are used (each block's weighted proportion is a monotone function of its plain
    one), so the prior-neutral LR of a block is simply (k1 / N1) / (k0 / N0).

    `pseudo_count` m adds m non-targets at the highest score and m targets at the lowest
    (counted in N1 and N0 too). This is what lir's `IsotonicCalibrator(add_misleading=m)` does
    with points at max + 1 and min - 1; those points always pool with the extreme scores, so
    placing them on the extreme scores gives the same values and keeps the map scale-free.
    """
    distinct, inverse = np.unique(scores, return_inverse=True)
    k1 = np.bincount(inverse, weights=labels.astype(np.float64), minlength=distinct.size)
    k0 = np.bincount(inverse, weights=1.0 - labels, minlength=distinct.size)
    k0[-1] += pseudo_count
    k1[0] += pseudo_count
    n1 = float(k1.sum())
    n0 = float(k0.sum())

    # Stack of blocks: (targets, non-targets, number of distinct scores pooled).
    t_stack: list[float] = []
    n_stack: list[float] = []
    width: list[int] = []
    for t, n in zip(k1.tolist(), k0.tolist(), strict=True):
        t_stack.append(t)
        n_stack.append(n)
        width.append(1)
        # Pool while the previous block's target share is not below this one's
        # (a/(a+b) >= c/(c+d)  <=>  a*d >= c*b, exact on counts).
        while len(t_stack) > 1 and t_stack[-2] * n_stack[-1] >= t_stack[-1] * n_stack[-2]:
            t = t_stack.pop()
            n = n_stack.pop()
            w = width.pop()
            t_stack[-1] += t
            n_stack[-1] += n
            width[-1] += w
    block_t = np.repeat(np.array(t_stack), width)
    block_n = np.repeat(np.array(n_stack), width)
    with np.errstate(divide="ignore"):
        log10_lr = (np.log10(block_t) - np.log10(n1)) - (np.log10(block_n) - np.log10(n0))
    return distinct, log10_lr


def _interpolate(knots: np.ndarray, knot_log10_lrs: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Linear interpolation between knots in probability (at even prior odds), constant outside.

    Interpolating the probability rather than the log LR is what isotonic regression means
    between two data points, and what lir (through scikit-learn) does; the result is monotone.
    """
    with np.errstate(over="ignore"):
        p_knots = 1.0 / (1.0 + np.power(10.0, -knot_log10_lrs))
    p = np.interp(query, knots, p_knots)
    with np.errstate(divide="ignore"):
        return np.log10(p) - np.log10(1.0 - p)


def pav_log10_lr(scores: npt.ArrayLike, labels: npt.ArrayLike, query: npt.ArrayLike) -> np.ndarray:
    """PAV (isotonic) log10 LR of `query` scores, fitted on `scores`/`labels`, no pseudo-counts.

    This is the *optimal* monotone calibration of the data it is fitted on (used for Cllr_min and
    the "calibrated" ECE curve); it is ±inf where a block holds one class only, so it is a
    yardstick, not something to report. For reporting use `IsotonicCalibration`.
    """
    x, y = labelled_arrays(scores, labels, what="scores")
    knots, values = _pav_blocks(x, y, 0)
    return _interpolate(knots, values, np.asarray(query, dtype=np.float64))


@dataclass(frozen=True)
class IsotonicCalibration:
    """A monotone (non-decreasing) map from a score to a log10 LR, fitted by PAV.

    `scores` are the distinct calibration scores (ascending) and `log10_lrs` the fitted value at
    each. Between them the map interpolates (see `_interpolate`); below the lowest and above the
    highest it stays constant, so it never extrapolates. `pseudo_count` m (default 1, as in lir's
    `add_misleading`) adds m misleading examples at each end: an unedited example at the highest
    score and an edited one at the lowest. That makes every value finite and modest: no value
    exceeds log10((N_unedited + m) / m) (support for "edited" is limited by how many unedited
    examples the calibration saw) nor falls below −log10((N_edited + m) / m).
    """

    scores: tuple[float, ...]
    log10_lrs: tuple[float, ...]
    pseudo_count: int = 1

    @classmethod
    def fit(
        cls, scores: npt.ArrayLike, labels: npt.ArrayLike, *, pseudo_count: int = 1
    ) -> IsotonicCalibration:
        """Fit on calibration `scores` with `labels` (1 edited, 0 unedited)."""
        if pseudo_count < 0:
            raise ValueError("pseudo_count must be 0 or more")
        x, y = labelled_arrays(scores, labels, what="scores")
        if not np.isfinite(x).all():
            raise ValueError("scores must be finite")
        knots, values = _pav_blocks(x, y, pseudo_count)
        return cls(
            scores=tuple(float(v) for v in knots),
            log10_lrs=tuple(float(v) for v in values),
            pseudo_count=pseudo_count,
        )

    def log10_lr(self, scores: npt.ArrayLike) -> np.ndarray:
        """log10 LR of each score (same shape as `scores`)."""
        query = np.asarray(scores, dtype=np.float64)
        if np.isnan(query).any():
            raise ValueError("scores contain NaN")
        result = _interpolate(np.array(self.scores), np.array(self.log10_lrs), query.reshape(-1))
        return result.reshape(query.shape)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: {"method": "isotonic", "scores", "log10_lrs", "pseudo_count"}."""
        return {
            "method": "isotonic",
            "scores": list(self.scores),
            "log10_lrs": list(self.log10_lrs),
            "pseudo_count": self.pseudo_count,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IsotonicCalibration:
        """Inverse of `to_dict`; ValueError when the dict is not a valid isotonic calibration."""
        try:
            if data["method"] != "isotonic":
                raise ValueError(f"not an isotonic calibration: {data['method']!r}")
            knots = tuple(float(v) for v in data["scores"])
            values = tuple(float(v) for v in data["log10_lrs"])
            pseudo_count = int(data["pseudo_count"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"isotonic calibration is malformed: {exc}") from exc
        if not knots or len(knots) != len(values):
            raise ValueError("isotonic calibration needs as many log10_lrs as scores, at least one")
        if any(b <= a for a, b in itertools.pairwise(knots)):
            raise ValueError("isotonic calibration scores must increase strictly")
        if any(b < a for a, b in itertools.pairwise(values)):
            raise ValueError("isotonic calibration log10_lrs must not decrease")
        return cls(scores=knots, log10_lrs=values, pseudo_count=pseudo_count)


# ---------------------------------------------------------------------------- logistic


def _design(features: npt.ArrayLike) -> np.ndarray:
    x = np.asarray(features, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"features must be (n,) or (n, k), not {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("features must be finite")
    return x


def _balanced_loss(
    theta: np.ndarray, design: np.ndarray, y: np.ndarray, weights: np.ndarray, ridge: float
) -> float:
    z = design @ theta
    cross_entropy = np.logaddexp(0.0, z) - y * z
    return float(weights @ cross_entropy + 0.5 * ridge * (theta[1:] @ theta[1:]))


@dataclass(frozen=True)
class LogisticCalibration:
    """log10 LR = intercept + Σ coefficients[j] · feature[j] (coefficients in log10 LR per unit).

    Fitted by class-balanced (prior-neutral) logistic regression: each class carries half the
    weight, so the fitted log odds are a log likelihood ratio. A small L2 penalty (ridge) on the
    coefficients, not the intercept, keeps them finite when the calibration data separate
    perfectly; it is scale-dependent, so give features comparable scales.
    """

    coefficients: tuple[float, ...]
    intercept: float

    @classmethod
    def fit(
        cls,
        features: npt.ArrayLike,
        labels: npt.ArrayLike,
        *,
        regularisation: float = 1e-3,
    ) -> LogisticCalibration:
        """Fit on `features` ((n,) or (n, k)) and `labels` (1 edited, 0 unedited).

        Minimises Σ_i w_i · cross-entropy_i + regularisation / 2 · ‖β‖², with w_i = 1 / (2 N_c)
        for an example of class c (so the weights sum to 1) and β the slopes in natural-log
        units. (scikit-learn's `LogisticRegression(class_weight="balanced", C=C)` solves the same
        problem with regularisation = 1 / (C · n).) Newton's method with step halving;
        deterministic. ValueError if regularisation is not positive or it fails to converge.
        """
        if not regularisation > 0:
            raise ValueError("regularisation must be positive")
        x = _design(features)
        y_arr = np.asarray(labels).reshape(-1)
        if y_arr.size != x.shape[0]:
            raise ValueError(f"features and labels differ in length ({x.shape[0]}, {y_arr.size})")
        _, y = labelled_arrays(np.zeros(x.shape[0]), y_arr, what="features")
        design = np.hstack([np.ones((x.shape[0], 1)), x])
        n1 = float(y.sum())
        n0 = float(y.size - n1)
        weights = np.where(y == 1, 0.5 / n1, 0.5 / n0)
        yf = y.astype(np.float64)
        penalty = np.full(design.shape[1], regularisation)
        penalty[0] = 0.0

        theta = np.zeros(design.shape[1])
        loss = _balanced_loss(theta, design, yf, weights, regularisation)
        for _ in range(200):
            p = 0.5 * (1.0 + np.tanh(0.5 * (design @ theta)))  # the logistic, without overflow
            gradient = design.T @ (weights * (p - yf)) + penalty * theta
            hessian = (design.T * (weights * p * (1.0 - p))) @ design + np.diag(penalty)
            try:
                step = np.linalg.solve(hessian, gradient)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
            scale = 1.0
            while True:
                candidate = theta - scale * step
                new_loss = _balanced_loss(candidate, design, yf, weights, regularisation)
                if new_loss <= loss or scale < 1e-10:
                    break
                scale *= 0.5
            theta, loss = candidate, new_loss
            if np.max(np.abs(scale * step)) < 1e-12 * (1.0 + np.max(np.abs(theta))):
                break
        else:
            raise ValueError("logistic calibration did not converge")
        return cls(
            coefficients=tuple(float(v) / LN10 for v in theta[1:]),
            intercept=float(theta[0]) / LN10,
        )

    def log10_lr(self, features: npt.ArrayLike) -> np.ndarray:
        """log10 LR of each row of `features` ((n,) or (n, k)); returns shape (n,)."""
        x = _design(features)
        if x.shape[1] != len(self.coefficients):
            raise ValueError(
                f"calibration takes {len(self.coefficients)} features, got {x.shape[1]}"
            )
        result: np.ndarray = self.intercept + x @ np.array(self.coefficients)
        return result

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: {"method": "logistic", "coefficients": [...], "intercept": x}."""
        return {
            "method": "logistic",
            "coefficients": list(self.coefficients),
            "intercept": self.intercept,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticCalibration:
        """Inverse of `to_dict`; ValueError when the dict is not a valid logistic calibration."""
        try:
            if data["method"] != "logistic":
                raise ValueError(f"not a logistic calibration: {data['method']!r}")
            coefficients = tuple(float(v) for v in data["coefficients"])
            intercept = float(data["intercept"])
        except (KeyError, TypeError) as exc:
            raise ValueError(f"logistic calibration is malformed: {exc}") from exc
        if not coefficients or not all(map(math.isfinite, (*coefficients, intercept))):
            raise ValueError("logistic calibration needs finite coefficients, at least one")
        return cls(coefficients=coefficients, intercept=intercept)


# ---------------------------------------------------------------------------- ELUB


def elub_bounds(
    log10_lrs: npt.ArrayLike,
    labels: npt.ArrayLike,
    *,
    step: float = 0.01,
    pseudo_count: int = 1,
) -> tuple[float, float]:
    """Empirical Lower and Upper Bounds (Vergeer et al., Science & Justice 56 (2016) 482–491).

    Returns (lower, upper) in log10 LR, lower ≤ 0 ≤ upper: the range of LRs that the validation
    data (`log10_lrs` of a calibrated system with their true `labels`) can support. Beyond it, a
    reported LR claims more than this much data could ever have shown.

    How: for each threshold t (a grid with spacing `step`, as in the paper) the expected cost of
    deciding "edited" when log10 LR > t is P(miss | edited) + 10^t · P(false alarm | unedited),
    with `pseudo_count` misleading examples of each class added (an edited one never accepted,
    an unedited one always accepted). The neutral system (LR = 1 always) costs min(1, 10^t). The
    bounds are the thresholds closest to 0 at which the system costs more than the neutral one,
    moved one step back towards 0; the search never goes beyond the data, nor beyond
    ±log10((N + m) / m), past which m misleading examples alone make the system lose. With
    m = 1 this is what lir's `elub` computes.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    if not step > 0:
        raise ValueError("step must be positive")
    if pseudo_count < 1:
        raise ValueError("pseudo_count must be at least 1")
    m = float(pseudo_count)
    targets = x[y == 1]
    nontargets = x[y == 0]
    lowest = max(float(x.min()), -math.log10((targets.size + m) / m))
    highest = min(float(x.max()), math.log10((nontargets.size + m) / m))
    k_low = min(0, math.floor(lowest / step))
    k_high = max(0, math.floor(highest / step) + 1)
    thresholds = np.linspace(k_low * step, k_high * step, k_high - k_low + 1)

    sorted_targets = np.sort(targets)
    sorted_nontargets = np.sort(nontargets)
    # Examples with log10 LR <= t are rejected ("not edited"), those above it accepted.
    missed = np.searchsorted(sorted_targets, thresholds, side="right") + m
    false_alarms = nontargets.size - np.searchsorted(sorted_nontargets, thresholds, "right") + m
    with np.errstate(over="ignore"):
        cost = missed / (targets.size + m) + np.power(10.0, thresholds) * (
            false_alarms / (nontargets.size + m)
        )
        neutral = np.minimum(1.0, np.power(10.0, thresholds))
    worse = cost > neutral

    left = thresholds[(thresholds <= 0) & worse]
    right = thresholds[(thresholds >= 0) & worse]
    lower = float(left.max()) + step if left.size else float(thresholds[0])
    upper = float(right.min()) - step if right.size else float(thresholds[-1])
    return min(lower, 0.0), max(upper, 0.0)


def bound(log10_lrs: npt.ArrayLike, lower: float, upper: float) -> np.ndarray:
    """`log10_lrs` clipped to [lower, upper] (e.g. the ELUB bounds); NaN stays NaN."""
    if lower > upper:
        raise ValueError(f"lower bound {lower} is above upper bound {upper}")
    return np.clip(np.asarray(log10_lrs, dtype=np.float64), lower, upper)
