"""A phrase copied without a pause in it: its noise recurs under the words, and that is what
tells it from the same words said again (or synthesised again) into fresh noise."""

from __future__ import annotations

import numpy as np
from scipy import signal

from earwitness.forensics.copied_noise import blocks_under_floor
from earwitness.forensics.dsp import sosfiltfilt
from earwitness.forensics.duplicates import check_duplicates, local_floor
from tests.forensics.conftest import RATE, recording

WORDS = (1.0, 2.4)  # "so my fellow Americans": no pause of 160 ms inside


def _copy_found(samples: np.ndarray) -> list:
    result = check_duplicates(samples, RATE)
    assert result.status == "ok"
    return [f for f in result.findings if f.score >= 0.5]


def test_words_copied_without_a_pause_are_found_by_their_noise(speech: np.ndarray) -> None:
    original = recording(speech, seed=5)
    copied = original[int(WORDS[0] * RATE) : int(WORDS[1] * RATE)]
    at = int(9.0 * RATE)
    edited = np.concatenate([original[:at], copied, original[at:]])
    found = _copy_found(edited)
    assert found, "a copy of words alone went unreported"
    evidence = found[0].evidence
    assert evidence["quiet_blocks"] <= 4  # no pause to judge the background in ...
    assert evidence["under_floor_blocks"] >= 40  # ... but the noise under the words recurs
    times = sorted((f.start_s + f.end_s) / 2 for f in found)
    for expected in (9.0, 9.0 + WORDS[1] - WORDS[0]):
        assert min(abs(t - expected) for t in times) < 0.1, times
    assert "less than a quarter of the background noise's energy" in found[0].description


def voice(seconds: float) -> np.ndarray:
    """A voice without noise of its own, as a synthesiser renders it: a gliding 120-180 Hz
    pitch through two moving formants, no pause."""
    t = np.arange(int(seconds * RATE)) / RATE
    pitch = 2 * np.pi * np.cumsum(150 + 30 * np.sin(2 * np.pi * 1.3 * t)) / RATE
    first = 600 + 250 * np.sin(2 * np.pi * 2.1 * t)
    second = 1700 + 400 * np.sin(2 * np.pi * 1.7 * t + 1)
    out = np.zeros_like(t)
    for k in range(1, 30):
        frequency = k * (150 + 30 * np.sin(2 * np.pi * 1.3 * t))
        gain = np.exp(-(((frequency - first) / 200) ** 2)) + 0.5 * np.exp(
            -(((frequency - second) / 300) ** 2)
        )
        out += gain * np.sin(k * pitch)
    return 0.1 * out / np.max(np.abs(out))


def _scene(sound: np.ndarray, places: tuple[float, ...], seconds: float) -> np.ndarray:
    x = np.zeros(int(seconds * RATE))
    for at in places:
        x[int(at * RATE) : int(at * RATE) + len(sound)] += sound
    return x


def test_the_same_voice_over_fresh_noise_is_not_a_copy() -> None:
    """A synthetic voice renders a sentence identically each time; only the noise differs."""
    said = voice(1.4)
    twice = recording(_scene(said, (3.0, 12.0), 20.0), seed=6)
    result = check_duplicates(twice, RATE)
    assert result.metrics["verified"] >= 1  # the words were seen to recur ...
    assert all(f.score < 0.5 for f in result.findings)  # ... but not their noise
    copied = recording(_scene(said, (3.0,), 20.0), seed=6)
    copied[12 * RATE : 12 * RATE + len(said)] = copied[3 * RATE : 3 * RATE + len(said)]
    assert max(f.score for f in check_duplicates(copied, RATE).findings) >= 0.9


def test_a_floor_raised_by_dense_speech_does_not_pass_for_noise() -> None:
    """The local floor is speech's quiet end where no pause lies within 8 s; two takes of
    the same sound over fresh noise differ by twice the noise, which such a floor's quarter
    would pass. The file's quietest floor holds the test to the noise."""
    said = voice(2.0)
    twice = recording(_scene(said, (2.0, 12.0), 20.0), seed=7)
    band = sosfiltfilt(
        signal.butter(4, [400, 3400], "bandpass", fs=8000, output="sos"),
        signal.resample_poly(twice, 1, 2),
    )
    floor = local_floor(band)
    raised = floor.copy()
    raised[100:200] *= 1e4  # speech's quiet end taken for the floor, around both takes
    raised[600:700] *= 1e4
    assert blocks_under_floor(twice, RATE, 2.0, 4.0, 10.0, raised) == 0
    copy = twice.copy()
    copy[12 * RATE : 14 * RATE] = twice[2 * RATE : 4 * RATE]
    assert blocks_under_floor(copy, RATE, 2.0, 4.0, 10.0, raised) >= 90
