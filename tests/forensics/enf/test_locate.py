"""Placing a join where the hum starts, on synthetic phasors with known answers."""

import numpy as np
import pytest

from earwitness.forensics.enf.locate import locate_join, span
from earwitness.forensics.enf.track import BASE_RATE

JOIN = 30 * BASE_RATE  # hum from 30 s on


def phasors(amplitude: float, seed: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """60 s of unit-variance noise, a constant phasor of ``amplitude`` from ``JOIN`` on, and
    just before the join a 1.5 s loud word whose own energy near the hum is coherent (its
    variance is known to be high, but it carries a phasor of its own)."""
    rng = np.random.default_rng(seed)
    n = 60 * BASE_RATE
    variance = np.ones(n)
    word = slice(JOIN - 30, JOIN)
    variance[word] = 25.0
    z = (rng.normal(size=n) + 1j * rng.normal(size=n)) * np.sqrt(variance / 2)
    z[JOIN:] += amplitude * np.exp(0.7j)
    z[word] += 2.0 * np.exp(-2j)
    return [(1, z, variance)]


@pytest.mark.parametrize("seed", range(6))
def test_join_where_hum_starts_is_placed_within_a_quarter_second(seed: int) -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    # The search had it 1.5 s early, at the start of the word (as in the tamper benchmark).
    found = locate_join(phasors(1.0, seed), JOIN - 30, 8.0, bounds, 0.5, 2.0)
    assert found is not None
    index, low, high, left, right = found
    assert abs(index - JOIN) <= 0.25 * BASE_RATE
    # The span may cover the word (the hum is barely measured under it) but not the quiet
    # stretches either side, where the noise is low and the hum's absence or presence clear.
    assert JOIN - 30 - 0.25 * BASE_RATE <= low <= JOIN <= high <= JOIN + 0.5 * BASE_RATE
    assert abs(right) > 3 * abs(left)  # the hum is on the right


def test_weaker_hum_gives_a_wider_span_that_still_holds_the_join() -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    widths = []
    for amplitude in (1.0, 0.3):
        found = locate_join(phasors(amplitude, 7), JOIN, 8.0, bounds, 0.5, 2.0)
        assert found is not None
        _, low, high, _, _ = found
        assert low <= JOIN <= high
        widths.append(high - low)
    assert widths[1] > widths[0]


def test_no_room_between_bounds_gives_none() -> None:
    bounds = np.array([100, 110])
    assert locate_join(phasors(1.0, 0), 105, 8.0, bounds, 0.5, 2.0) is None


def test_span_is_where_the_evidence_stays_within_the_drop() -> None:
    evidence = np.array([0.0, 5.0, 9.0, 10.0, 9.5, 8.5, 2.0])
    assert span(evidence, 3) == (2, 4)
    assert span(evidence, 3, drop=3.0) == (2, 5)
