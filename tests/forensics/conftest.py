"""Recordings the copy-move tests share: JFK's speech with a pause opened in it, in a room."""

from __future__ import annotations

import numpy as np
import pytest

from earwitness.media.decode import decode_audio
from tests.conftest import SHARED, shared

JFK = SHARED / "data/real/speech/en/whisper.cpp/jfk.wav"
RATE = 16000


def brown(count: int, rng: np.random.Generator) -> np.ndarray:
    noise = np.cumsum(rng.standard_normal(count))
    noise -= np.convolve(noise, np.ones(801) / 801, mode="same")  # no drift below ~20 Hz
    return noise / np.std(noise)


def recording(speech: np.ndarray, seed: int = 0) -> np.ndarray:
    """The speech in a room: rumble and a hiss about 35 dB under the voice."""
    rng = np.random.default_rng(seed)
    return speech + 0.003 * brown(len(speech), rng) + 0.0015 * rng.standard_normal(len(speech))


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """JFK's eleven seconds with a 1.5 s pause opened at 5.4 s, as between two sentences."""
    jfk = decode_audio(shared(JFK)).samples.astype(np.float64)
    cut = int(5.4 * RATE)
    return np.concatenate([jfk[:cut], np.zeros(int(1.5 * RATE)), jfk[cut:]])
