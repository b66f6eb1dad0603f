"""Validation metrics: their defining properties, and agreement with the NFI's `lir` library.

lir works in log10 LRs too (its `logodds_to_odds` is 10 ** x), so values compare directly; its
ECE takes LRs and prior probabilities, which the tests convert to.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lir.algorithms.isotonic_regression import IsotonicCalibrator
from lir.data.models import LLRData
from lir.metrics import cllr as lir_cllr
from lir.metrics import cllr_min as lir_cllr_min
from lir.plotting.expected_calibration_error import calculate_ece
from sklearn.metrics import roc_auc_score

from earwitness.forensics.evaluation.metrics import (
    cllr,
    cllr_cal,
    cllr_min,
    ece,
    grouped_interval,
    misleading_rates,
    roc_auc,
    tippett,
)
from tests.forensics.evaluation.data import scored, simulated

# ---------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(scored())
def test_cllr_min_never_exceeds_cllr(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    assert cllr_min(x, y) <= cllr(x, y) + 1e-12
    assert cllr_cal(x, y) >= -1e-12


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=2, max_size=50))
def test_cllr_of_a_system_that_always_says_lr_1_is_one_bit(labels: list[int]) -> None:
    labels[0], labels[1] = 0, 1
    y = np.array(labels)
    assert cllr(np.zeros(y.size), y) == pytest.approx(1.0, abs=1e-12)
    assert cllr_min(np.zeros(y.size), y) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(scored(), st.floats(0.01, 5))
def test_perfect_separation_has_cllr_min_zero(data: tuple[np.ndarray, np.ndarray], gap: float):
    x, y = data
    separated = np.where(y == 1, np.abs(x) + gap, -np.abs(x) - gap)
    assert cllr_min(separated, y) == 0.0
    assert roc_auc(separated, y) == 1.0


def test_cllr_by_hand() -> None:
    # Targets at LR 10 and 1/10, non-targets at LR 1 and 100:
    # ½·½·(log2 1.1 + log2 11) + ½·½·(log2 2 + log2 101)
    expected = 0.25 * (math.log2(1.1) + math.log2(11)) + 0.25 * (1.0 + math.log2(101))
    assert cllr([1.0, -1.0, 0.0, 2.0], [1, 1, 0, 0]) == pytest.approx(expected, rel=1e-12)


def test_cllr_does_not_overflow_on_huge_or_infinite_lrs() -> None:
    assert cllr([400.0, -400.0], [1, 0]) == pytest.approx(0.0, abs=1e-300)
    assert cllr([math.inf, -math.inf], [1, 0]) == 0.0
    assert cllr([-math.inf, -1.0], [1, 0]) == math.inf


def test_roc_auc_counts_ties_one_half() -> None:
    assert roc_auc([1.0, 1.0], [1, 0]) == 0.5
    assert roc_auc([0.0, 1.0, 1.0, 2.0], [0, 1, 0, 1]) == pytest.approx(0.875)  # 3.5 of 4 pairs


@settings(max_examples=80, deadline=None)
@given(scored())
def test_tippett_curves_fall_from_one(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    plot = tippett(x, y)
    assert np.array_equal(plot.log10_lr, np.unique(x))
    for curve, cls in ((plot.targets_at_least, 1), (plot.nontargets_at_least, 0)):
        assert np.all(np.diff(curve) <= 0)
        assert curve[0] == pytest.approx(np.mean(x[y == cls] >= x.min()))
        for value, share in zip(plot.log10_lr, curve, strict=True):
            assert share == pytest.approx(np.mean(x[y == cls] >= value))


def test_misleading_rates_count_lr_1_as_neither() -> None:
    x = [-1.0, 0.0, 2.0, 3.0, 0.0, 0.5, -2.0, -0.1]
    y = [1, 1, 1, 1, 0, 0, 0, 0]
    assert misleading_rates(x, y) == (0.25, 0.25)


@settings(max_examples=60, deadline=None)
@given(scored())
def test_ece_at_even_odds_is_cllr_and_neutral_is_one_bit(data: tuple[np.ndarray, np.ndarray]):
    x, y = data
    curve = ece(x, y, [-1.0, 0.0, 1.0])
    assert curve.neutral[1] == pytest.approx(1.0, abs=1e-12)
    assert curve.system[1] == pytest.approx(cllr(x, y), rel=1e-9)
    assert curve.calibrated[1] == pytest.approx(cllr_min(x, y), rel=1e-9, abs=1e-12)
    # After PAV the system is never worse than the prior alone, at any prior.
    assert np.all(curve.calibrated <= curve.neutral + 1e-9)


def test_ece_default_priors_span_minus_to_plus_two_and_a_half() -> None:
    curve = ece([1.0, -1.0], [1, 0])
    assert curve.prior_log10_odds[0] == -2.5 and curve.prior_log10_odds[-1] == 2.5
    assert curve.system.shape == curve.calibrated.shape == curve.neutral.shape == (101,)


@pytest.mark.parametrize(
    ("values", "labels", "message"),
    [
        ([1.0, 2.0], [1, 1], "both"),
        ([1.0, 2.0], [1, 2], "0 \\(unedited"),
        ([1.0], [1, 0], "differ in length"),
        ([math.nan, 1.0], [1, 0], "NaN"),
    ],
)
def test_bad_input_is_one_clear_error(values: list[float], labels: list[int], message: str):
    with pytest.raises(ValueError, match=message):
        cllr(values, labels)


# ---------------------------------------------------------------------------- lir agreement


@pytest.mark.parametrize("seed", range(40))
def test_cllr_and_cllr_min_agree_with_lir(seed: int) -> None:
    x, y = simulated(seed, tied=seed % 2 == 0)
    assert cllr(x, y) == pytest.approx(lir_cllr(LLRData(features=x.copy(), labels=y)), rel=1e-9)
    reference = lir_cllr_min(LLRData(features=x.copy(), labels=y))
    assert cllr_min(x, y) == pytest.approx(reference, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_ece_agrees_with_lir(seed: int) -> None:
    x, y = simulated(seed, tied=seed % 3 == 0)
    priors = np.linspace(-2.5, 2.5, 21)
    prior_probability = 1.0 / (1.0 + 10.0 ** (-priors))
    curve = ece(x, y, priors)
    pav = IsotonicCalibrator().fit_transform(x.copy(), y)
    np.testing.assert_allclose(curve.system, calculate_ece(10.0**x, y, prior_probability))
    np.testing.assert_allclose(curve.calibrated, calculate_ece(10.0**pav, y, prior_probability))
    np.testing.assert_allclose(curve.neutral, calculate_ece(np.ones_like(x), y, prior_probability))


@pytest.mark.parametrize("seed", range(20))
def test_roc_auc_agrees_with_scikit_learn(seed: int) -> None:
    x, y = simulated(seed, tied=True)
    assert roc_auc(x, y) == pytest.approx(roc_auc_score(y, x), rel=1e-12)


# ------------------------------------------------------------------ intervals over groups


def test_grouped_interval_holds_the_figure_and_is_reproducible() -> None:
    rng = np.random.default_rng(3)
    groups = [f"b{i // 10}" for i in range(200)]  # 20 recordings of 10 examples each
    labels = np.tile([0, 1], 100)
    llrs = labels * 1.0 + rng.normal(0, 1, 200)
    low, high = grouped_interval(roc_auc, llrs, labels, groups)
    assert low < roc_auc(llrs, labels) < high
    assert (low, high) == grouped_interval(roc_auc, llrs, labels, groups)  # seeded
    assert grouped_interval(roc_auc, llrs, labels, groups, seed=1) != (low, high)


def test_grouped_interval_is_wider_when_groups_share_their_evidence() -> None:
    """Ten near-copies of each recording are not ten recordings: the same figure drawn from
    few groups spreads more than from as many independent examples."""
    rng = np.random.default_rng(5)
    labels = np.tile([0, 1], 100)
    shared = np.repeat(rng.normal(0, 1.5, 20), 10)  # one draw per recording, repeated
    llrs = labels * 1.0 + shared + rng.normal(0, 0.1, 200)
    few = grouped_interval(cllr, llrs, labels, [i // 10 for i in range(200)])
    many = grouped_interval(cllr, llrs, labels, list(range(200)))
    assert few is not None and many is not None
    assert few[1] - few[0] > 1.5 * (many[1] - many[0])


def test_grouped_interval_needs_two_groups_and_matching_lengths() -> None:
    assert grouped_interval(roc_auc, [1.0, -1.0], [1, 0], ["a", "a"]) is None
    with pytest.raises(ValueError, match="groups"):
        grouped_interval(roc_auc, [1.0, -1.0], [1, 0], ["a"])
