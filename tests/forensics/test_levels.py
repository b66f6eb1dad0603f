"""Levels: clipping, DC offset and digital silence found where they were put, clean noise quiet."""

from __future__ import annotations

import time

import numpy as np
import pytest

from earwitness.forensics.levels import check_levels

RATE = 44100


def _pcm16(x: np.ndarray) -> np.ndarray:
    """Quantise to 16-bit values as a decoded WAV holds them."""
    return (np.round(np.clip(x, -1, 32767 / 32768) * 32768) / 32768).astype(np.float32)


def _noise(seconds: float, level: float = 0.1, seed: int = 0) -> np.ndarray:
    return level * np.random.default_rng(seed).standard_normal(int(seconds * RATE))


def _by_kind(result, kind: str):
    return [f for f in result.findings if f.kind == kind]


def test_clean_noise_has_no_findings() -> None:
    result = check_levels(_pcm16(_noise(6.0)), RATE, bit_depth=16)
    assert result.status == "ok"
    assert [f for f in result.findings if f.score >= 0.3] == []
    assert result.metrics["rms_dbfs"] == pytest.approx(-20.0, abs=0.2)
    assert -10 < result.metrics["peak_dbfs"] < -5
    assert result.metrics["clipped_share"] == 0
    assert result.metrics["zero_run_count"] == 0


def test_clipped_sine_is_found_where_it_clips() -> None:
    t = np.arange(4 * RATE) / RATE
    x = 0.5 * np.sin(2 * np.pi * 200 * t) + 0.01 * np.random.default_rng(1).standard_normal(t.size)
    x[RATE : int(1.5 * RATE)] *= 3  # driven into the ceiling for half a second
    result = check_levels(_pcm16(x), RATE, bit_depth=16)
    clipping = _by_kind(result, "clipping")
    assert len(clipping) == 1
    finding = clipping[0]
    assert finding.start_s == pytest.approx(1.0, abs=0.01)
    assert finding.end_s == pytest.approx(1.5, abs=0.01)
    assert finding.score >= 0.8
    assert finding.evidence["runs"] >= 50
    assert 0.01 < result.metrics["clipped_share"] < 0.125


def test_smooth_peaks_of_a_loud_low_tone_are_not_clipping() -> None:
    # At 48 kHz a 50 Hz sine stays within 1 LSB of its peak for three samples, but it arrives
    # there slowly: that is no plateau.
    x = 0.95 * np.sin(2 * np.pi * 50 * np.arange(5 * 48000) / 48000)
    result = check_levels(_pcm16(x), 48000, bit_depth=16)
    assert _by_kind(result, "clipping") == []


def test_dc_offset_over_the_whole_file() -> None:
    result = check_levels(_pcm16(_noise(5.0) + 0.05), RATE, bit_depth=16)
    dc = _by_kind(result, "dc_offset")
    assert dc
    whole = max(dc, key=lambda f: f.end_s - f.start_s)
    assert whole.score >= 0.8
    assert whole.evidence["dc_offset"] == pytest.approx(0.05, abs=0.002)
    assert result.metrics["dc_offset"] == pytest.approx(0.05, abs=0.002)


def test_dc_step_is_located() -> None:
    x = _noise(20.0)
    x[int(8.0 * RATE) :] += 0.03
    result = check_levels(_pcm16(x), RATE, bit_depth=16)
    steps = [f for f in _by_kind(result, "dc_offset") if f.start_s == f.end_s]
    assert len(steps) == 1
    assert steps[0].start_s == pytest.approx(8.0, abs=0.1)
    assert steps[0].score >= 0.8


def test_inserted_digital_silence_is_found() -> None:
    x = _noise(5.0)
    x[int(2.0 * RATE) : int(2.3 * RATE)] = 0.0
    result = check_levels(_pcm16(x), RATE, bit_depth=16)
    silence = _by_kind(result, "digital_silence")
    assert len(silence) == 1
    assert silence[0].start_s == pytest.approx(2.0, abs=0.01)
    assert silence[0].end_s == pytest.approx(2.3, abs=0.01)
    assert silence[0].score >= 0.8
    assert result.metrics["zero_run_count"] == 1


def test_silence_at_the_edges_and_short_runs_score_lower() -> None:
    x = _noise(5.0)
    x[: int(0.3 * RATE)] = 0.0  # leading padding
    x[int(3.0 * RATE) : int(3.025 * RATE)] = 0.0  # 25 ms inside
    silence = _by_kind(check_levels(_pcm16(x), RATE, bit_depth=16), "digital_silence")
    assert len(silence) == 2
    leading, short = silence
    assert leading.start_s == 0.0
    assert leading.score < 0.5
    assert short.score < 0.6


def test_zeros_in_a_signal_near_the_quantisation_floor_are_weak() -> None:
    # A faint signal (about 1 LSB) rounds to runs of zeros by itself.
    x = _noise(3.0, level=1.5 / 32768)
    x[RATE : int(1.2 * RATE)] = 0.0
    silence = _by_kind(check_levels(_pcm16(x), RATE, bit_depth=16), "digital_silence")
    assert silence
    assert max(f.score for f in silence) < 0.4


def test_multichannel_input_is_mixed_and_empty_input_is_not_applicable() -> None:
    stereo = np.stack([_noise(1.0, seed=2), _noise(1.0, seed=3)]).astype(np.float32)
    assert check_levels(stereo, RATE).status == "ok"
    assert check_levels(np.zeros(0, np.float32), RATE).status == "not_applicable"


def test_ten_minutes_take_well_under_a_second_per_minute() -> None:
    rate = 16000
    x = _pcm16(0.1 * np.random.default_rng(4).standard_normal(600 * rate, np.float32))
    x[rate * 100 : rate * 101] = 0.0
    started = time.perf_counter()
    result = check_levels(x, rate, bit_depth=16)
    assert time.perf_counter() - started < 4.0  # ≈ 0.15 s here
    assert len(_by_kind(result, "digital_silence")) == 1
