"""The plots read a long recording in blocks and draw exactly what the whole array gives."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.reports import plots


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(1, 30_000),
    columns=st.integers(1, 3_000),
    block=st.integers(1, 5_000),
    seed=st.integers(0, 2**16),
)
def test_envelope_in_blocks_is_the_whole_arrays(length, columns, block, seed):
    samples = np.random.default_rng(seed).standard_normal(length).astype(np.float32)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plots, "BLOCK", block)
        times, low, high = plots.envelope(samples, 8000, columns)
    usable = length // columns * columns
    if usable == 0:
        assert low is samples and high is samples
        return
    whole = samples[:usable].reshape(columns, -1)
    assert np.array_equal(low, whole.min(axis=1)) and np.array_equal(high, whole.max(axis=1))
    assert len(times) == columns


@pytest.mark.parametrize("block", [7, 800, 1 << 22])
def test_noise_floor_in_blocks_is_the_whole_arrays(block, monkeypatch):
    rate = 8000
    samples = np.random.default_rng(3).standard_normal(rate * 11 + 17).astype(np.float32) * 0.1
    monkeypatch.setattr(plots, "BLOCK", block)
    times, floor = plots.noise_floor_track(samples, rate)
    frame = int(0.05 * rate)
    count = len(samples) // frame
    energy = np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1)
    level = 10 * np.log10(energy + 1e-12)
    windows = count // 40
    expected = np.percentile(level[: windows * 40].reshape(windows, -1), 10, axis=1)
    assert np.array_equal(floor, expected) and len(times) == windows


@pytest.mark.parametrize(
    ("values", "scale"),
    [([0.1, -0.5, 0.2], 0.54), ([0.0, 0.0], 1.0), ([0.1, np.nan], 1.0), ([0.2, -np.inf], 1.0)],
)
def test_amplitude_scale_is_the_largest_magnitude_with_headroom(values, scale):
    assert plots._amplitude_scale(np.array(values, dtype=np.float32)) == pytest.approx(scale)
