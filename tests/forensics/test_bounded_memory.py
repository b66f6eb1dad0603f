"""Long recordings are examined a block at a time, from a memory-mapped file: the result must
be exactly the one the whole recording in memory gives (the blocks are made tiny here, so that
every boundary case is crossed)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from earwitness.forensics import compression, duplicates, levels, splices
from earwitness.forensics.dsp import at_rate, sosfiltfilt
from earwitness.forensics.enf import check as enf_check
from earwitness.forensics.findings import CheckResult
from earwitness.media import blocks

RATE = 16000


def edited(rate: int = RATE, seconds: int = 40, seed: int = 3) -> np.ndarray:
    """Voiced bursts in a humming room, with a copy-move, a join to a louder background, a DC
    step, a muted stretch and a click: something for every check to find."""
    rng = np.random.default_rng(seed)
    n = rate * seconds
    t = np.arange(n) / rate
    x = 0.003 * rng.standard_normal(n) + 0.004 * np.sin(2 * np.pi * 50 * t)
    for start in np.arange(0.5, seconds - 1, 1.7):
        a, b = int(start * rate), int((start + 0.9) * rate)
        f0 = 120 + 40 * rng.random()
        burst = sum(np.sin(2 * np.pi * f0 * k * t[a:b]) / k for k in range(1, 20))
        x[a:b] += 0.08 * burst * np.hanning(b - a) * (1 + 0.3 * rng.standard_normal(b - a))
    source, target, length = int(5.2 * rate), int(25.1 * rate), 2 * rate
    x[target : target + length] = x[source : source + length]
    x[30 * rate :] *= 1.8
    x[33 * rate :] += 0.02
    x[int(12.3 * rate) : int(12.4 * rate)] = 0.0
    x[int(17.77 * rate)] += 0.2
    return x.astype(np.float32)


CHECKS: dict[str, Callable[[np.ndarray, int], CheckResult]] = {
    "splices": splices.check_discontinuities,
    "duplicates": duplicates.check_duplicates,
    "levels": lambda x, rate: levels.check_levels(x, rate, bit_depth=16),
    "compression": lambda x, rate: compression.check_compression(x, rate, codec="pcm_s16le"),
    "enf": lambda x, rate: enf_check.check_enf(x, rate, None, {}),
}


def _outcome(result: CheckResult) -> tuple:
    return (result.to_dict(), [finding.to_dict() for finding in result.findings])


def _mapped(x: np.ndarray) -> np.ndarray:
    return blocks.spill([(0, x)], len(x), x.dtype.type)


@pytest.fixture(scope="module")
def recording() -> np.ndarray:
    return edited()


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_in_small_blocks_from_a_mapped_file_is_unchanged(
    name: str, recording: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    check = CHECKS[name]
    whole = _outcome(check(recording, RATE))
    monkeypatch.setattr(blocks, "BLOCK", 40_000)  # 2.5 s: many blocks, every boundary case
    assert _outcome(check(_mapped(recording), RATE)) == whole


def test_the_recording_has_something_for_each_check(recording: np.ndarray) -> None:
    """The equivalence above means something only if the checks find things here."""
    assert len(splices.check_discontinuities(recording, RATE).findings) >= 2
    assert len(duplicates.check_duplicates(recording, RATE).findings) == 4
    kinds = {f.kind for f in levels.check_levels(recording, RATE, bit_depth=16).findings}
    assert kinds == {"dc_offset", "digital_silence"}


def test_sample_steps_above_16k_are_searched_in_blocks_too(monkeypatch: pytest.MonkeyPatch) -> None:
    x = edited(rate=48000)
    whole = _outcome(splices.check_discontinuities(x, 48000))
    assert any(finding["evidence"].get("searched_at_hz") == 16000 for finding in whole[1])
    monkeypatch.setattr(blocks, "BLOCK", 100_000)
    assert _outcome(splices.check_discontinuities(_mapped(x), 48000)) == whole


def test_at_rate_and_sosfiltfilt_in_blocks_equal_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    from scipy import signal

    x = np.random.default_rng(9).standard_normal(50_000)
    sos = signal.butter(4, [400, 3400], "bandpass", fs=8000, output="sos")
    expected_filtered = signal.sosfiltfilt(sos, x)
    expected_rate = signal.resample_poly(x, 1, 16)
    monkeypatch.setattr(blocks, "BLOCK", 4096)
    filtered = sosfiltfilt(sos, x)
    assert isinstance(filtered, np.memmap)
    np.testing.assert_array_equal(filtered, expected_filtered)
    np.testing.assert_array_equal(at_rate(x, 16000, 1000), expected_rate)
