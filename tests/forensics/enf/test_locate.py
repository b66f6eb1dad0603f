"""Placing a join where the hum starts, on synthetic phasors with known answers."""

import numpy as np
import pytest

from earwitness.forensics.enf.locate import join_near, locate_join, span
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
    index, low, high, left, right = found.index, found.low, found.high, found.left, found.right
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
        assert found.low <= JOIN <= found.high
        widths.append(found.high - found.low)
    assert widths[1] > widths[0]


def test_no_room_between_bounds_gives_none() -> None:
    bounds = np.array([100, 110])
    assert locate_join(phasors(1.0, 0), 105, 8.0, bounds, 0.5, 2.0) is None


def test_span_is_where_the_evidence_stays_within_the_drop() -> None:
    evidence = np.array([0.0, 5.0, 9.0, 10.0, 9.5, 8.5, 2.0])
    assert span(evidence, 3) == (2, 4)
    assert span(evidence, 3, drop=3.0) == (2, 5)


def hum_then_louder_noise(noisy: bool = True) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """60 s: hum until ``JOIN``, then no hum under noise twice as strong, as where another
    recording with a louder background and no hum is joined on; without the noise itself
    (``noisy`` false) the likelihood rises steadily towards the join from either side."""
    rng = np.random.default_rng(3)
    n = 60 * BASE_RATE
    variance = np.ones(n)
    variance[JOIN:] = 2.0
    z = (rng.normal(size=n) + 1j * rng.normal(size=n)) * np.sqrt(variance / 2) * noisy
    z[:JOIN] += np.exp(0.3j)
    return [(1, z, variance)]


def test_join_found_seconds_into_the_hum_free_side_is_followed_back() -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    # The sliding windows peaked 5 s into the hum-free side, beyond the 2 s searched at
    # once (as in the tamper benchmark): each range's best is its end, so the search goes on.
    found = locate_join(hum_then_louder_noise(False), JOIN + 100, 8.0, bounds, 0.5, 2.0)
    assert found is not None
    assert found.index == JOIN
    assert abs(found.left) > 3 * abs(found.right)  # the hum is on the left


def test_following_a_join_never_goes_further_than_the_window_that_found_it() -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    at = JOIN + 12 * BASE_RATE  # the join lies outside the 8 s window
    found = locate_join(hum_then_louder_noise(False), at, 8.0, bounds, 0.5, 2.0)
    assert found is not None
    assert at - found.index <= (8.0 + 2.0) * BASE_RATE
    assert found.index > JOIN + 1 * BASE_RATE


def test_a_best_place_inside_the_range_is_not_followed() -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    first = join_near(hum_then_louder_noise(), JOIN + 20, 8.0, bounds, 0.5, 2.0)
    found = locate_join(hum_then_louder_noise(), JOIN + 20, 8.0, bounds, 0.5, 2.0)
    assert first is not None and found == first
    assert abs(found.index - JOIN) <= 0.5 * BASE_RATE


def test_a_join_with_hum_on_both_sides_is_not_followed() -> None:
    bounds = np.array([30, 60 * BASE_RATE - 30])
    weaker = hum_then_louder_noise(False)
    weaker[0][1][JOIN:] += 0.4 * np.exp(2.0j)  # −8 dB: hum on both sides of the join
    first = join_near(weaker, JOIN + 100, 8.0, bounds, 0.5, 2.0)
    assert first is not None and first.index == JOIN + 60  # the range's end
    assert locate_join(weaker, JOIN + 100, 8.0, bounds, 0.5, 2.0) == first


def test_a_bump_of_likelihood_beyond_the_span_is_kept_as_possible() -> None:
    """Weak hum from ``JOIN`` on, and half a second before it 0.4 s of the other recording's
    own energy near the hum, in phase with it (as a voice or a machine can carry): the best
    place moves before that burst and the stretch around it stops short of the join, which
    the likelihood rises back to. ``possible`` reaches it."""
    n = 60 * BASE_RATE
    z = np.zeros(n, dtype=complex)
    z[JOIN:] += 0.3 * np.exp(0.5j)
    z[JOIN - 18 : JOIN - 10] += np.exp(0.5j)
    found = join_near([(1, z, np.ones(n))], JOIN, 8.0, np.array([30, n - 30]), 0.5, 2.0)
    assert found is not None
    assert found.high < JOIN - 5  # the stretch around the best misses the join
    first, last = found.possible
    assert first <= found.low and found.high < JOIN <= last
