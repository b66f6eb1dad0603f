"""How fast a background changed, from band levels of 20 ms frames (no audio needed)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.forensics.background_change import (
    _by_level,
    _by_mixing,
    _median_of_neighbours,
    _seen_within,
    transition,
)

STEP_S = 0.02
BANDS = 16
FRAMES = 500  # 10 s; the change is centred at 5 s


def backgrounds(step_db: float, tilt_db: float) -> tuple[np.ndarray, np.ndarray]:
    """Band powers of a background and of another ``step_db`` louder and tilted by
    ``tilt_db`` from the lowest band to the highest (another colour)."""
    first = 10 ** (-np.linspace(30, 45, BANDS) / 10)
    second = first * 10 ** ((step_db + np.linspace(-tilt_db, tilt_db, BANDS) / 2) / 10)
    return first, second


def frames_of(share: np.ndarray, step_db: float, tilt_db: float, seed: int) -> np.ndarray:
    """Band levels (dB) of frames holding ``share`` of the second background's power; each
    band of each frame scatters as a noise band's energy does (about ±1.4 dB)."""
    first, second = backgrounds(step_db, tilt_db)
    power = np.outer(1 - share, first) + np.outer(share, second)
    rng = np.random.default_rng(seed)
    return 10 * np.log10(power * rng.gamma(10.0, 0.1, power.shape))


def ramp(seconds: float) -> np.ndarray:
    """Share of the second background: a raised cosine ``seconds`` long centred at 5 s (a
    step where ``seconds`` is 0)."""
    t = (np.arange(FRAMES) + 0.5) * STEP_S
    phase = np.clip((t - 5.0) / max(seconds, 1e-9) + 0.5, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * phase)


def sides(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The background frames the check would hand over: 25 on each side, 1.5 s out."""
    centre = len(levels) // 2
    return np.arange(centre - 100, centre - 75), np.arange(centre + 75, centre + 100)


@pytest.mark.parametrize(("step_db", "tilt_db"), [(6.0, 0.0), (20.0, 8.0), (-8.0, 6.0)])
def test_a_cut_is_seen_to_be_abrupt(step_db: float, tilt_db: float) -> None:
    levels = frames_of(ramp(0.0), step_db, tilt_db, seed=1)
    change = transition(levels, *sides(levels), FRAMES / 2, STEP_S)
    assert change.seconds < 0.15
    assert change.seen_within_s is not None and change.seen_within_s <= 0.1


@pytest.mark.parametrize(("step_db", "tilt_db"), [(6.0, 0.0), (20.0, 8.0), (-8.0, 6.0)])
def test_backgrounds_mixing_over_a_second_are_gradual(step_db: float, tilt_db: float) -> None:
    """A 1 s raised cosine takes 0.6 s from 10 % to 90 % of the mixture."""
    levels = frames_of(ramp(1.0), step_db, tilt_db, seed=2)
    change = transition(levels, *sides(levels), FRAMES / 2, STEP_S)
    assert 0.25 <= change.seconds <= 1.2


def test_a_mixture_of_backgrounds_lies_on_the_mixing_way_not_on_the_level_line() -> None:
    """With another colour, a mixture's bands do not move together in dB: a frame 2 % into
    a 24 dB louder background is 60 % of the way up in some bands and 30 % in others. Off the
    levels' straight line by most of what a frame's scatter allows even without noise, such
    frames would be left out of the fit, and the change read as quicker than it is."""
    first, second = backgrounds(24.0, 16.0)
    shares = np.array([0.0, 0.02, 0.05, 0.3, 1.0])
    levels = 10 * np.log10(np.outer(1 - shares, first) + np.outer(shares, second))
    ends = 10 * np.log10(first), 10 * np.log10(second)
    scatter = np.full(BANDS, 3.0)  # the scatter of one band of a frame, ±1.4 dB, plus 1 dB²
    level_place, level_off = _by_level(levels, *ends, scatter)
    mixing_place, mixing_off = _by_mixing(levels, *ends, scatter)
    assert np.all(np.diff(mixing_place) > 0) and mixing_place[0] == 0 and mixing_place[-1] == 1
    assert np.all(mixing_off < 0.05)
    assert level_off[1] > 1.5 and level_off[2] > 1.2
    assert np.allclose(level_place, mixing_place, atol=0.05)  # the places agree; the fits do not


def test_a_fade_of_levels_is_gradual() -> None:
    """The same background turned up by 12 dB over 1 s, evenly in dB (no mixture)."""
    first, _ = backgrounds(0.0, 0.0)
    gain_db = 12.0 * ramp(1.0)
    rng = np.random.default_rng(3)
    power = np.outer(10 ** (gain_db / 10), first) * rng.gamma(10.0, 0.1, (FRAMES, BANDS))
    levels = 10 * np.log10(power)
    change = transition(levels, *sides(levels), FRAMES / 2, STEP_S)
    assert 0.25 <= change.seconds <= 1.2


def test_a_change_under_speech_is_not_seen() -> None:
    """Loud frames (speech) from 4 s to 6 s cover a cut at 5 s: a step fits, but the nearest
    frames of the two backgrounds lie 2 s apart, so the speed of the change is unseen."""
    levels = frames_of(ramp(0.0), 10.0, 4.0, seed=4)
    levels[200:300] += 25.0 + np.random.default_rng(5).normal(0, 6, (100, BANDS))
    change = transition(levels, *sides(levels), FRAMES / 2, STEP_S)
    assert change.seconds < 0.15
    assert change.seen_within_s is None or change.seen_within_s >= 1.9


@settings(max_examples=40, deadline=None)
@given(
    step_db=st.floats(-20, 20).filter(lambda d: abs(d) >= 4),
    tilt_db=st.floats(0, 8),
    seconds=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    seed=st.integers(0, 1000),
)
def test_the_measure_is_bounded_and_orders_cuts_before_ramps(
    step_db: float, tilt_db: float, seconds: float, seed: int
) -> None:
    levels = frames_of(ramp(seconds), step_db, tilt_db, seed)
    change = transition(levels, *sides(levels), FRAMES / 2, STEP_S)
    assert 0.0 <= change.seconds <= 2.5
    if seconds == 0.0:
        assert change.seconds < 0.15
    else:
        assert change.seconds >= 0.15


def test_frames_of_two_pauses_are_no_neighbours_when_a_change_is_judged() -> None:
    """The first frame of a pause lies off on the way (speech's tail); the frame on the way
    before it is the last of the pause before, a second earlier. Together they showed a
    change that had ended a second before as seen within two frames (b040's room change)."""
    times = np.concatenate([np.arange(0, 20), np.arange(80, 100)]) + 0.5
    place = np.concatenate([np.zeros(20), [0.13], np.ones(19)])
    assert _seen_within(times, place) == pytest.approx(62.0)


def test_a_switch_inside_one_pause_is_still_seen_at_once() -> None:
    times = np.arange(0, 40) + 0.5
    place = np.concatenate([np.zeros(20), np.ones(20)])
    assert _seen_within(times, place) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=3, max_size=40), st.integers(0, 2**32 - 1))
def test_smoothing_takes_only_neighbours_in_time(gaps: list[int], seed: int) -> None:
    times = np.cumsum(gaps) + 0.5
    place = np.random.default_rng(seed).uniform(0.0, 1.0, len(times))
    smooth = _median_of_neighbours(times, place)
    for i, value in enumerate(smooth):
        kept = [place[i]] + [
            place[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(times) and abs(times[j] - times[i]) == 1
        ]
        assert value == pytest.approx(float(np.median(kept)))
