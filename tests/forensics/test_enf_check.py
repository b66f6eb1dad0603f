"""ENF on signals with known answers: synthetic hum, and the real ENF-WHU mains recordings."""

import wave

import numpy as np
import pytest
from scipy import signal

from earwitness.forensics.enf_check import check_enf
from tests.conftest import SHARED

RATE = 8000
WHU = SHARED / "data/real/enf/enf-whu/H1_ref"


def hum(seconds: float, nominal: float = 50.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Speech-like noise bursts plus hum whose frequency wanders slowly; returns (x, true f)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    freq = nominal + 0.02 * np.sin(2 * np.pi * t / 40) + 0.005 * np.sin(2 * np.pi * t / 13)
    phase = 2 * np.pi * np.cumsum(freq) / RATE
    bursts = rng.standard_normal(n) * (0.1 + 0.1 * (np.sin(t * 3) > 0))
    x = 0.3 * bursts + 0.01 * np.sin(phase) + 0.003 * np.sin(2 * phase + 1)
    return x.astype(np.float32), freq


@pytest.mark.parametrize("nominal", [50.0, 60.0])
def test_hum_is_found_and_tracked(nominal: float) -> None:
    x, truth = hum(120, nominal)
    tracks: dict = {}
    result = check_enf(x, RATE, None, tracks)
    assert result.status == "ok" and result.metrics["nominal_hz"] == nominal
    times, freq = tracks["enf_track"]
    error = freq - np.interp(times, np.arange(len(truth)) / RATE, truth)
    assert np.sqrt(np.mean(error**2)) < 0.008  # 8 s frames smooth the 13 s wobble a little
    assert max((f.score for f in result.findings), default=0) < 0.5


@pytest.mark.parametrize("make", ["noise", "tone"])
def test_no_hum_means_not_applicable(make: str) -> None:
    rng = np.random.default_rng(1)
    t = np.arange(60 * RATE) / RATE
    x = rng.standard_normal(len(t)) * 0.1
    if make == "tone":
        x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.01 * x
    result = check_enf(x, RATE)
    assert result.status == "not_applicable" and result.metrics["present"] is False


def test_short_recording_is_not_applicable() -> None:
    assert check_enf(np.zeros(5 * RATE), RATE).status == "not_applicable"


def test_phase_jump_of_known_size_at_known_time() -> None:
    x, _ = hum(120, seed=2)
    cut, removed = int(60.0 * RATE), int(0.9137 * RATE)  # 45.685 cycles: a 0.685-cycle jump
    edited = np.concatenate([x[:cut], x[cut + removed :]])
    result = check_enf(edited, RATE)
    strong = [f for f in result.findings if f.score >= 0.9]
    assert len(strong) == 1
    [point] = strong
    assert abs(point.start_s + 0.25 - 60.0) < 0.5
    expected = np.angle(np.exp(1j * 2 * np.pi * 0.685))  # later material moved earlier
    assert abs(point.evidence["phase_jump_rad"] - expected) < 0.5


def whu(name: str) -> np.ndarray:
    if not WHU.is_dir():
        pytest.skip("../shared/data/real/enf is absent")
    with wave.open(str(WHU / name)) as reader:
        raw = np.frombuffer(reader.readframes(reader.getnframes()), "<i2") / 32768.0
    x = signal.resample_poly(raw - raw.mean(), RATE // 400, 1)
    noise = np.random.default_rng(0).standard_normal(len(x)) * np.std(x) * 0.5
    return x + noise


def test_real_mains_unedited_has_no_edit_point_and_a_cut_is_found() -> None:
    x = whu("002_ref.wav")
    clean = check_enf(x, RATE)
    assert clean.status == "ok" and clean.metrics["nominal_hz"] == 50.0
    assert max((f.score for f in clean.findings), default=0) < 0.5
    middle = len(x) // 2
    edited = np.concatenate([x[:middle], x[middle + int(1.31 * RATE) :]])  # 65.5 cycles
    found = [f for f in check_enf(edited, RATE).findings if f.score >= 0.5]
    assert len(found) == 1 and abs(found[0].start_s + 0.25 - middle / RATE) < 0.5
