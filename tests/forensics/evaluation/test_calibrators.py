"""Calibrators and ELUB bounds: properties, and agreement with lir (and scikit-learn)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lir.algorithms.bayeserror import elub
from lir.algorithms.isotonic_regression import IsotonicCalibrator
from sklearn.linear_model import LogisticRegression

from earwitness.forensics.evaluation.calibrators import (
    IsotonicCalibration,
    LogisticCalibration,
    bound,
    elub_bounds,
    pav_log10_lr,
)
from tests.forensics.evaluation.data import scored, simulated

# ---------------------------------------------------------------------------- isotonic


@settings(max_examples=100, deadline=None)
@given(scored(), st.integers(0, 3))
def test_pav_output_is_monotone(data: tuple[np.ndarray, np.ndarray], pseudo_count: int) -> None:
    x, y = data
    query = np.linspace(x.min() - 1, x.max() + 1, 200)
    if pseudo_count == 0:
        values = pav_log10_lr(x, y, query)
    else:
        values = IsotonicCalibration.fit(x, y, pseudo_count=pseudo_count).log10_lr(query)
    assert not np.isnan(values).any()
    assert np.all(values[1:] >= values[:-1] - 1e-9)  # (diff would turn inf - inf into NaN)


@settings(max_examples=100, deadline=None)
@given(scored())
def test_pseudo_counts_keep_isotonic_values_finite_and_within_data(data):
    x, y = data
    calibration = IsotonicCalibration.fit(x, y)
    values = calibration.log10_lr(np.r_[x, x.min() - 100, x.max() + 100])
    assert np.isfinite(values).all()
    # One misleading example per class: no LR beyond (N + 1) in either direction.
    assert values.max() <= math.log10(np.sum(y == 0) + 1) + 1e-9
    assert values.min() >= -math.log10(np.sum(y == 1) + 1) - 1e-9


def test_isotonic_by_hand() -> None:
    # Scores 1, 2, 3, 4 with labels 0, 1, 0, 1: PAV pools 2 and 3, so the blocks are
    # {1: 0 of 1}, {2, 3: 1 of 2}, {4: 1 of 1}; LR = (k1 / 2) / (k0 / 2).
    values = pav_log10_lr([1, 2, 3, 4], [0, 1, 0, 1], [1, 2, 3, 4, 0, 9])
    assert values.tolist() == [-math.inf, 0.0, 0.0, math.inf, -math.inf, math.inf]
    # Midway between two fitted points the probability is interpolated: (0.5 + 1) / 2 = 0.75.
    assert pav_log10_lr([1, 2, 3, 4], [0, 1, 0, 1], [3.5])[0] == pytest.approx(math.log10(3))


def test_isotonic_round_trips_through_json() -> None:
    x, y = simulated(3)
    calibration = IsotonicCalibration.fit(x, y)
    again = IsotonicCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    assert again == calibration
    query = np.linspace(-5, 5, 33)
    np.testing.assert_array_equal(again.log10_lr(query), calibration.log10_lr(query))
    assert calibration.log10_lr(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize(
    "broken",
    [
        {"method": "logistic", "scores": [1.0], "log10_lrs": [0.0], "pseudo_count": 1},
        {"method": "isotonic", "scores": [2.0, 1.0], "log10_lrs": [0.0, 1.0], "pseudo_count": 1},
        {"method": "isotonic", "scores": [1.0, 2.0], "log10_lrs": [1.0, 0.0], "pseudo_count": 1},
        {"method": "isotonic", "scores": [1.0], "log10_lrs": [], "pseudo_count": 1},
        {"method": "isotonic", "scores": [1.0]},
    ],
)
def test_isotonic_from_dict_rejects_what_it_did_not_write(broken: dict) -> None:
    with pytest.raises(ValueError):
        IsotonicCalibration.from_dict(broken)


@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("pseudo_count", [0, 1, 2])
def test_pav_calibration_agrees_with_lir(seed: int, pseudo_count: int) -> None:
    x, y = simulated(seed, tied=seed % 2 == 0)
    query = np.r_[x, np.random.default_rng(seed).normal(0.0, 3.0, 50)]
    reference = IsotonicCalibrator(add_misleading=pseudo_count).fit(x.copy(), y.astype(float))
    expected = reference.transform(query.copy())
    if pseudo_count == 0:
        ours = pav_log10_lr(x, y, query)
    else:
        ours = IsotonicCalibration.fit(x, y, pseudo_count=pseudo_count).log10_lr(query)
    np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------------------- logistic


def test_logistic_recovers_a_known_likelihood_ratio() -> None:
    # Unit-variance Gaussians at ±1: the true LR of x is exp(2x), log10 LR = 2x / ln 10.
    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(1.0, 1.0, 4000), rng.normal(-1.0, 1.0, 1000)]
    y = np.r_[np.ones(4000, dtype=int), np.zeros(1000, dtype=int)]
    calibration = LogisticCalibration.fit(x, y, regularisation=1e-6)
    assert calibration.coefficients[0] == pytest.approx(2.0 / math.log(10), rel=0.08)
    # Class-balanced: four times as many edited examples must not shift LR = 1 away from x = 0.
    assert calibration.intercept == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("seed", range(12))
def test_logistic_agrees_with_balanced_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 150, seed % 3 + 1
    y = (rng.random(n) < 0.3).astype(int)
    y[:2] = 0, 1
    x = rng.normal(0.0, 1.0, (n, k)) + y[:, None] * rng.uniform(0.5, 2.0, k)
    regularisation = 10 ** rng.uniform(-4, -1)
    ours = LogisticCalibration.fit(x, y, regularisation=regularisation)
    reference = LogisticRegression(
        class_weight="balanced", C=1.0 / (regularisation * n), tol=1e-12, max_iter=10000
    ).fit(x, y)
    np.testing.assert_allclose(
        np.array(ours.coefficients) * math.log(10), reference.coef_[0], atol=1e-6
    )
    assert ours.intercept * math.log(10) == pytest.approx(reference.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(
        ours.log10_lr(x), reference.decision_function(x) / math.log(10), atol=1e-6
    )


def test_logistic_stays_finite_on_perfectly_separated_data() -> None:
    x = np.r_[np.linspace(-2, -1, 10), np.linspace(1, 2, 10)]
    y = np.r_[np.zeros(10, dtype=int), np.ones(10, dtype=int)]
    calibration = LogisticCalibration.fit(x, y)
    assert 0 < calibration.coefficients[0] < 10
    assert np.isfinite(calibration.log10_lr(x)).all()


def test_logistic_round_trips_through_json_and_checks_feature_count() -> None:
    x, y = simulated(5)
    features = np.c_[x, x**2]
    calibration = LogisticCalibration.fit(features, y)
    again = LogisticCalibration.from_dict(json.loads(json.dumps(calibration.to_dict())))
    assert again == calibration
    np.testing.assert_array_equal(again.log10_lr(features), calibration.log10_lr(features))
    with pytest.raises(ValueError, match="takes 2 features"):
        calibration.log10_lr(x)
    with pytest.raises(ValueError, match="positive"):
        LogisticCalibration.fit(x, y, regularisation=0.0)
    with pytest.raises(ValueError):
        LogisticCalibration.from_dict({"method": "logistic", "coefficients": [], "intercept": 0})


# ---------------------------------------------------------------------------- ELUB


@settings(max_examples=100, deadline=None)
@given(scored())
def test_elub_bounds_straddle_zero(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    lower, upper = elub_bounds(x, y)
    assert lower <= 0.0 <= upper
    assert upper <= math.log10(np.sum(y == 0) + 1) + 0.01 + 1e-9
    assert lower >= -math.log10(np.sum(y == 1) + 1) - 0.01 - 1e-9


def test_elub_of_a_perfect_system_is_set_by_the_amount_of_data() -> None:
    # 99 non-targets all at LR 1/1000, 9 targets at LR 1000, one misleading example added per
    # class. For 0 <= t < 3 the system costs 1/10 + 10^t / 100 against the neutral 1: it loses
    # once 10^t > 90, so the last grid point kept is 1.95 (log10 90 = 1.954). For t < 0 the
    # neutral costs 10^t and the system loses while 0.1 > 0.99 * 10^t, i.e. t <= -1.00.
    y = np.r_[np.zeros(99, dtype=int), np.ones(9, dtype=int)]
    x = np.where(y == 1, 3.0, -3.0)
    lower, upper = elub_bounds(x, y)
    assert upper == pytest.approx(1.95, abs=1e-9)
    assert lower == pytest.approx(-0.99, abs=1e-9)


@pytest.mark.parametrize("seed", range(40))
def test_elub_agrees_with_lir(seed: int) -> None:
    x, y = simulated(seed, tied=seed % 2 == 0)
    expected = elub(x.copy(), y.copy())  # lir clips its input in place
    assert elub_bounds(x, y) == pytest.approx(expected, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-20, 20, allow_nan=False), max_size=30),
    st.floats(-5, 0, allow_nan=False),
    st.floats(0, 5, allow_nan=False),
)
def test_bound_clips_to_the_range_and_leaves_the_rest(values, lower, upper) -> None:
    x = np.array(values)
    clipped = bound(x, lower, upper)
    assert np.all((clipped >= lower) & (clipped <= upper))
    inside = (x >= lower) & (x <= upper)
    np.testing.assert_array_equal(clipped[inside], x[inside])


def test_bound_rejects_crossed_bounds() -> None:
    with pytest.raises(ValueError, match="above upper"):
        bound([0.0], 1.0, -1.0)
