"""Validation metrics for a system that reports log10 likelihood ratios.

Inputs are the log10 LRs a system gave on validation examples whose truth is known, with labels
1 for "edited" (Hp, targets) and 0 for "unedited" (Hd, non-targets). What each figure tells an
examiner:

- `cllr`: the log-likelihood-ratio cost, in bits. 0 is perfect; 1 is what a system that always
  says LR = 1 ("no idea") costs; above 1 the system does harm (it misleads more than it helps).
  It counts both how well the two classes are separated and how honest the numbers are.
- `cllr_min`: the cost left after the best possible monotone recalibration (PAV): the part due
  to limited discrimination. `cllr_cal` = cllr − cllr_min: the part due to miscalibration,
  LRs that are too strong or too weak for what the system can actually tell apart.
- `roc_auc`: the probability that a random edited example scores above a random unedited one
  (ties count one half); discrimination only, blind to calibration.
- `tippett`: for every value x, the share of each class with log10 LR ≥ x (the Tippett plot).
- `ece`: the empirical cross-entropy over a range of prior odds (the ECE plot): the information
  still missing about the truth after the findings, for the system, after PAV and for LR = 1.
  At prior odds 1 (log10 0) the system's ECE equals its Cllr.
- `misleading_rates`: the share of edited examples whose LR pointed to "unedited" and of
  unedited examples whose LR pointed to "edited" (rates of misleading evidence).
- `grouped_interval`: how far any of these figures could move had other recordings been held
  out: the spread of the figure when whole groups (base recordings, with all their edits and
  transcodes) are drawn again with replacement.

Pure NumPy; results agree with the NFI's `lir` library (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import rankdata

from earwitness.forensics.evaluation.calibrators import labelled_arrays, pav_log10_lr

LN10 = math.log(10.0)
LN2 = math.log(2.0)


def _bits_lost(log10_lrs: np.ndarray, toward_target: bool) -> np.ndarray:
    """−log2 of the posterior probability of the true class at even prior odds, per example.

    For a target that is log2(1 + 1/LR), for a non-target log2(1 + LR); computed as
    log(1 + e^z) so that very large or infinite LRs neither overflow nor lose precision.
    """
    z = -log10_lrs * LN10 if toward_target else log10_lrs * LN10
    return np.logaddexp(0.0, z) / LN2


def cllr(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Log-likelihood-ratio cost (Brümmer & du Preez 2006), in bits, classes weighted equally.

    Cllr = ½ · mean over targets of log2(1 + 1/LR) + ½ · mean over non-targets of log2(1 + LR).
    0 is perfect, 1 is the cost of always reporting LR = 1; infinite if an example of one class
    got an infinite LR for the other.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    target_cost = float(np.mean(_bits_lost(x[y == 1], toward_target=True)))
    nontarget_cost = float(np.mean(_bits_lost(x[y == 0], toward_target=False)))
    return 0.5 * (target_cost + nontarget_cost)


def pav_transform(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> np.ndarray:
    """The log10 LRs after the optimal monotone recalibration on these very data (PAV).

    May hold ±inf (a pooled block holding one class only); that is the point of an optimum.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    return pav_log10_lr(x, y, x)


def cllr_min(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Cllr after PAV recalibration: the cost due to limited discrimination alone, in bits.

    0 when the classes are perfectly separated, 1 when the LRs carry no information at all.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    return cllr(pav_log10_lr(x, y, x), y)


def cllr_cal(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Cllr − Cllr_min: the cost due to miscalibration (LRs too strong or too weak), in bits."""
    return cllr(log10_lrs, labels) - cllr_min(log10_lrs, labels)


def roc_auc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Area under the ROC curve from ranks (Mann–Whitney); tied scores count one half.

    The probability that a random edited example scores higher than a random unedited one.
    """
    x, y = labelled_arrays(scores, labels, what="scores")
    ranks = rankdata(x, method="average")
    n1 = float(y.sum())
    n0 = float(y.size - n1)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1.0) / 2.0) / (n1 * n0))


@dataclass(frozen=True)
class Tippett:
    """A Tippett plot's data: for each distinct log10 LR x (ascending), the share of targets
    (edited) and of non-targets (unedited) with log10 LR ≥ x."""

    log10_lr: np.ndarray
    targets_at_least: np.ndarray
    nontargets_at_least: np.ndarray


def tippett(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> Tippett:
    """Cumulative proportions of each class at or above every distinct log10 LR.

    Read at x = 0: the share of edited examples with LR ≥ 1 (the rest were misleading) and of
    unedited examples with LR ≥ 1. Well-separated curves mean strong evidence; a non-target
    curve reaching far to the right means the system can mislead badly.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    values = np.unique(x)
    targets = np.sort(x[y == 1])
    nontargets = np.sort(x[y == 0])
    below_t = np.searchsorted(targets, values, side="left")
    below_n = np.searchsorted(nontargets, values, side="left")
    return Tippett(
        log10_lr=values,
        targets_at_least=(targets.size - below_t) / targets.size,
        nontargets_at_least=(nontargets.size - below_n) / nontargets.size,
    )


@dataclass(frozen=True)
class ECECurve:
    """An ECE plot's data, in bits, one value per prior log10 odds of "edited".

    `system`: the reported LRs; `calibrated`: the same after PAV (the best they could be with
    this discrimination); `neutral`: LR = 1 always (the prior alone). The gap between `system`
    and `calibrated` is miscalibration; where `system` rises above `neutral`, the LRs would
    mislead a decision maker holding that prior.
    """

    prior_log10_odds: np.ndarray
    system: np.ndarray
    calibrated: np.ndarray
    neutral: np.ndarray


def _cross_entropy(
    log10_lrs: np.ndarray, labels: np.ndarray, prior_log10_odds: np.ndarray
) -> np.ndarray:
    """ECE(prior) = P(Hp) · mean over targets of −log2 P(Hp | E)
    + P(Hd) · mean over non-targets of −log2 P(Hd | E), posteriors from the prior and the LR."""
    posterior = log10_lrs[None, :] + prior_log10_odds[:, None]
    targets = labels == 1
    target_bits = _bits_lost(posterior[:, targets], toward_target=True).mean(axis=1)
    nontarget_bits = _bits_lost(posterior[:, ~targets], toward_target=False).mean(axis=1)
    p_target = 1.0 / (1.0 + np.power(10.0, -prior_log10_odds))
    p_nontarget = 1.0 / (1.0 + np.power(10.0, prior_log10_odds))
    result: np.ndarray = p_target * target_bits + p_nontarget * nontarget_bits
    return result


def ece(
    log10_lrs: npt.ArrayLike,
    labels: npt.ArrayLike,
    prior_log10_odds: npt.ArrayLike = np.linspace(-2.5, 2.5, 101),  # noqa: B008 (read-only)
) -> ECECurve:
    """Empirical cross-entropy (Ramos & González-Rodríguez) for the system, after PAV, neutral.

    At prior log10 odds 0 the neutral curve is exactly 1 bit and the system's value is its Cllr.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    priors = np.asarray(prior_log10_odds, dtype=np.float64).reshape(-1)
    if not np.isfinite(priors).all():
        raise ValueError("prior log10 odds must be finite")
    return ECECurve(
        prior_log10_odds=priors,
        system=_cross_entropy(x, y, priors),
        calibrated=_cross_entropy(pav_log10_lr(x, y, x), y, priors),
        neutral=_cross_entropy(np.zeros_like(x), y, priors),
    )


def misleading_rates(log10_lrs: npt.ArrayLike, labels: npt.ArrayLike) -> tuple[float, float]:
    """(share of targets with LR < 1, share of non-targets with LR > 1).

    The rates of misleading evidence: edited examples whose findings pointed to "unedited", and
    unedited examples whose findings pointed to "edited". LR = 1 exactly misleads neither way.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    return float(np.mean(x[y == 1] < 0)), float(np.mean(x[y == 0] > 0))


def grouped_interval(
    metric: Callable[[np.ndarray, np.ndarray], float],
    log10_lrs: npt.ArrayLike,
    labels: npt.ArrayLike,
    groups: Sequence[Hashable],
    *,
    level: float = 0.9,
    draws: int = 1000,
    seed: int = 0,
) -> tuple[float, float] | None:
    """The central ``level`` interval of ``metric`` over a cluster bootstrap: ``draws`` times,
    as many groups as there are are drawn with replacement and the metric is computed on all
    their examples; draws that hold one class only are skipped. None with fewer than two
    groups or fewer than ten usable draws.

    The examples of one group are not independent (an edited recording and its six transcodes
    share their speech, room and hum), so resampling examples would make a figure look far
    surer than the handful of recordings behind it allows; whole groups are what varies when
    other recordings are held out. Seeded: the same data give the same interval.
    """
    x, y = labelled_arrays(log10_lrs, labels)
    if len(groups) != x.size:
        raise ValueError(f"{len(groups)} groups for {x.size} examples")
    keys = list(dict.fromkeys(groups))
    if len(keys) < 2:
        return None
    members: dict[Hashable, list[int]] = {key: [] for key in keys}
    for index, key in enumerate(groups):
        members[key].append(index)
    indices = [np.asarray(members[key]) for key in keys]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        chosen = np.concatenate([indices[i] for i in rng.integers(0, len(keys), len(keys))])
        drawn = y[chosen]
        if drawn.min() != drawn.max():
            values.append(metric(x[chosen], drawn))
    if len(values) < 10:
        return None
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)
