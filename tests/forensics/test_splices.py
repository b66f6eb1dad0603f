"""Edit points without ENF on synthetic reverberant speech-like recordings with known edits."""

import numpy as np
import pytest
from scipy import signal

from earwitness.forensics.splices import check_discontinuities

RATE = 16000


def recording(seconds: float, seed: int, noise: float = 0.003, coloured: bool = False):
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    envelope = (np.sin(2 * np.pi * t * 0.37 + seed) > 0.2) * (
        0.5 + 0.5 * np.sin(8 * np.pi * t) ** 2
    )
    voiced = np.sin(2 * np.pi * (140 + 20 * np.sin(t)) * t) + 0.5 * np.sin(2 * np.pi * 280 * t)
    speech = envelope * (voiced + 0.2 * rng.standard_normal(n)) * 0.2
    room = rng.standard_normal(int(0.3 * RATE)) * np.exp(-np.arange(int(0.3 * RATE)) / RATE / 0.06)
    speech = signal.fftconvolve(speech, room)[:n] * 0.05
    background = rng.standard_normal(n)
    if coloured:
        background = signal.lfilter([1], [1, -0.95], background) * 0.3
    return speech + noise * background


def strong(samples: np.ndarray) -> list[float]:
    result = check_discontinuities(samples, RATE)
    return [(f.start_s + f.end_s) / 2 for f in result.findings if f.score >= 0.5]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_clean_recordings_have_no_edit_point(seed: int) -> None:
    assert strong(recording(60, seed)) == []


def test_splice_of_recordings_with_different_background_level() -> None:
    joined = np.concatenate([recording(60, 1)[: 30 * RATE], recording(60, 2, 0.006)[30 * RATE :]])
    [at] = strong(joined)
    assert abs(at - 30.0) < 0.5


def test_splice_of_recordings_with_different_background_colour() -> None:
    joined = np.concatenate(
        [recording(60, 1)[: 30 * RATE], recording(60, 3, coloured=True)[30 * RATE :]]
    )
    [at] = strong(joined)
    assert abs(at - 30.0) < 1.5


def test_butt_splice_sample_jump() -> None:
    x = recording(60, 1)
    x[20 * RATE :] += 0.2
    [at] = strong(x)
    assert abs(at - 20.0) < 0.02


@pytest.mark.parametrize("x", [np.zeros(10 * RATE), np.ones(10 * RATE), np.zeros(100)])
def test_degenerate_input_is_not_applicable(x: np.ndarray) -> None:
    assert check_discontinuities(x, RATE).status == "not_applicable"


@pytest.mark.parametrize(
    "name",
    [
        "speech/en/whisper.cpp/jfk.wav",
        "diarization/pyannote-audio/sample/sample.wav",
        "diarization/pyannote-audio/tests_data/dev00.wav",
        "diarization/pyannote-audio/tests_data/dev01.wav",
        "diarization/pyannote-audio/tests_data/tst00.wav",
    ],
)
def test_real_recordings_without_known_edits_stay_below_indication(name: str) -> None:
    from earwitness.media.decode import decode_audio
    from tests.conftest import SHARED

    path = SHARED / "data" / "real" / name
    if not path.is_file():
        pytest.skip("../shared/data/real is absent")
    audio = decode_audio(path)
    result = check_discontinuities(audio.samples, audio.sample_rate)
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []
