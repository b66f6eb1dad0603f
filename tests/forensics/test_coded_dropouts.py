"""Dropouts a lossy coder has reshaped beyond zeros or small samples, and butt splices that
look nearly alike (``sample_jumps._bridged_run``).

The windows are from the tamper benchmark's 72-base set, decoded and taken to 16 kHz as the
discontinuities check searches them (in thousandths, 12 samples of side and 24 of longest
run either way of the jump, which is at sample 36). Through Opus at 24 kbit/s, two genuine
files' zeroed runs read as butt splices scored 1.00 and lifted the files to "moderately
strong support" for editing; the three splices are those that the method's first tries
took for dropouts.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.forensics.sample_jumps import _bridged_run, sample_jumps

JUMP, SIDE = 36, 12

# opus24/b035-dropouts: 19 zeros where the waveform falls from −1.9 to −5.0 (thousandths).
B035 = [
    -0.89, -0.78, -0.64, -0.57, -1.06, -1.11, -1.1, -1.12, -0.99, -0.97, -0.83, -0.81, -0.83,
    -0.8, -0.86, -0.86, -0.95, -0.85, 0.46, 0.67, 0.76, 1, 0.6, 0.7, 0.7, 0.81, 0.84, 0.81,
    0.93, 1.06, 1.17, 1.28, 1.17, 1.4, 1.18, 1.31, 1, -3.34, -3.73, -3.98, -4.11, -3.59,
    -3.83, -3.86, -3.64, -3.73, -3.9, -4.07, -4.13, -4.22, -4.49, -4.46, -4.44, -4.31, -4.12,
    -4.08, -4, -3.82, -3.74, -3.56, -3.33, -3.23, -3.12, -2.91, -2.77, -2.53, -2.37, -2.23,
    -1.99, -1.83, -1.67, -1.44,
]  # fmt: skip
# opus24/b039-dropouts: 4 zeros at 44.1 kHz, two samples at 16 kHz.
B039 = [
    -1.04, -1.12, -1.05, -1, -0.96, -0.92, -0.92, -0.99, -1.04, -1.08, -0.97, -1.04, -1.11,
    -1.09, -1.01, -1.01, -0.98, -1.54, -1.47, -1.87, -1.62, -1.51, -1.5, -2.06, -1.96, -1.88,
    -1.78, -1.86, -1.9, -1.81, -1.87, -1.77, -1.84, -1.84, -1.78, -1.02, 0.75, -2.28, -2.51,
    -2.3, -2.28, -2.44, -2.39, -2.04, -2.03, -2.13, -2.18, -2.28, -2.29, -1.51, -1.69, -1.93,
    -1.67, -1.79, -1.78, -1.64, -1.53, -1.47, -1.38, -1.49, -1.3, -1.43, -1.94, -1.81, -2.37,
    -2.02, -1.72, -1.91, -1.71, -1.71, -1.8, -1.87,
]  # fmt: skip
# aac/b004-insertion: a short rise, then the butt splice; the rise is not a run.
B004 = [
    1.53, 1.9, 2.04, 1.97, 1.9, 1.79, 1.84, 1.83, 1.77, 1.83, 1.78, 1.81, 1.65, 1.36, 1.14,
    1.15, 1.12, 1.02, 1.09, 0.89, 0.89, 0.91, 0.78, 0.83, 0.98, 0.93, 1.01, 1.04, 1.12, 1.4,
    1.7, 1.85, 2.07, 2.09, 2.03, 1.89, -0.44, -0.43, -0.33, -0.38, -0.31, -0.28, -0.44, -0.49,
    -0.5, -0.44, -0.5, -0.46, -0.16, -0.13, -0.39, -0.37, -0.33, -0.28, -0.19, -0.14, -0.09,
    -0.07, 0.03, 0.01, -0.24, -0.49, -0.44, -0.4, -0.56, -0.63, -0.68, -0.86, -1.1, -0.97,
    -1.08, -1.18,
]  # fmt: skip
# opus/b010-splice: the other recording starts high and falls steeply, then levels off.
B010 = [
    4.2, 4.07, 4.18, 4.42, 4.34, 4.4, 4.34, 4.4, 4.67, 4.45, 3.61, 3.56, 3.59, 3.49, 3.43,
    3.37, 3.4, 3.36, 3.25, 3.18, 3.06, 2.92, 2.88, 2.56, 2.42, 2.44, 1.79, 1.6, 1.99, 2.12,
    2.41, 2.37, 2.29, 2.08, 2.1, 1.61, 1.58, 5.27, 5.82, 5.16, 5.19, 4.88, 4.88, 4.67, 4.35,
    4.05, 3.96, 3.94, 3.6, 3.11, 2.94, 2.25, 2.07, 2.29, 2.4, 2.45, 2.42, 2.7, 2.77, 2.69,
    2.65, 3.17, 3.87, 3.88, 3.34, 2.74, 2.5, 2.33, 2.36, 2.69, 2.69, 2.79,
]  # fmt: skip
# wav/b042-insertion: the insertion starts into a steep, curved low tone.
B042 = [
    6.25, 7.36, 7.95, 7.75, 7.55, 7.29, 7.39, 7.62, 6.78, 4.92, 2.4, 0.38, 1.52, 2.9, 2.42,
    1.28, 0.26, 0.12, -1.5, -3.41, -3.13, -1.71, -1.39, -0.61, 1.37, 4.15, 6.35, 7.2, 7.22,
    6.72, 5.84, 4.36, 4.69, 3.96, 5.5, 1.35, -45.02, -40.13, -31.43, -26.63, -22.17, -15.78,
    -4.63, 7.36, 18.77, 26.75, 31.56, 34.23, 34.31, 30.12, 23.36, 13.76, 3.38, -5.88, -12.53,
    -18.52, -22.5, -20.82, -14.25, -10.16, -5.48, 1.64, 5, 5.29, 4.35, 4.7, 5.28, 6.39, 8.84,
    12.99, 16.76, 21.07,
]  # fmt: skip


def test_zeros_opus_raised_over_a_steep_fall_are_a_run_before_the_jump() -> None:
    assert _bridged_run(np.array(B035) / 1e3, JUMP, SIDE) == (JUMP - 18, 19)


def test_zeros_opus_made_a_two_sample_spike_are_a_run_across_the_jump() -> None:
    assert _bridged_run(np.array(B039) / 1e3, JUMP, SIDE) == (JUMP - 1, 2)


def test_the_benchmark_splices_most_like_a_run_stay_steps() -> None:
    for window in (B004, B010, B042):
        assert _bridged_run(np.array(window) / 1e3, JUMP, SIDE) is None


def test_the_answer_does_not_depend_on_the_level() -> None:
    for window, scale in ((B035, 7.0), (B039, 0.01)):
        assert _bridged_run(np.array(window) * scale, JUMP, SIDE) == _bridged_run(
            np.array(window), JUMP, SIDE
        )


def smooth_course(rng: np.random.Generator, count: int) -> np.ndarray:
    """A low, slowly curving waveform with a faint noise: a quadratic over the window."""
    t = np.linspace(-1.0, 1.0, count)
    a, b, c = rng.uniform(-1.0, 1.0, 3)
    return 0.1 * (a + b * t + c * t**2) + 1e-4 * rng.standard_normal(count)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    jump_size=st.floats(0.05, 1.0),
    sign=st.sampled_from([-1.0, 1.0]),
)
def test_a_step_on_a_smooth_course_is_never_read_as_a_run(
    seed: int, jump_size: float, sign: float
) -> None:
    """A butt splice: the course jumps and goes on from where it landed."""
    x = smooth_course(np.random.default_rng(seed), 2 * JUMP)
    x[JUMP:] += sign * jump_size
    assert _bridged_run(x, JUMP, SIDE) is None


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    length=st.integers(2, 20),
    entry=st.booleans(),
)
def test_a_zeroed_run_off_a_smooth_course_is_found_whole(
    seed: int, length: int, entry: bool
) -> None:
    """Zeros where the course stands well away from zero, the jump at either end of them."""
    rng = np.random.default_rng(seed)
    x = smooth_course(rng, 2 * JUMP) + rng.choice([-1.0, 1.0]) * 0.5
    start = JUMP if entry else JUMP - length
    x[start : start + length] = 0.0
    assert _bridged_run(x, JUMP, SIDE) == (start, length)


def test_a_reshaped_run_in_a_recording_is_reported_as_a_dropout() -> None:
    """b035's window set into a quiet, smooth background: the check's own search finds the
    jump and reads it as 19 samples out of line, where before it read a step."""
    rate = 16_000
    rng = np.random.default_rng(5)
    x = np.cumsum(rng.standard_normal(8 * rate)) * 2e-6
    at = 4 * rate
    window = np.array(B035) / 1e3
    x[at - JUMP : at + JUMP] = window
    # Join the window's ends to the background without a jump of their own.
    x[: at - JUMP] += window[0] - x[at - JUMP - 1]
    x[at + JUMP :] += window[-1] - x[at + JUMP]
    found = [j for j in sample_jumps(x, rate) if abs(j[0] - at / rate) < 0.01]
    assert [(round(t * rate), run) for t, _, run, _ in found] == [(at - 18, 19)]
