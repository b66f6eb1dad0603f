"""Dropouts in real speech at 44.1 kHz, where the waveform is loud and steep, as the tamper
benchmark's genuine files have them (wav/b007: one zeroed sample, 0.95 as an edit point
before; wav/b014: 20 zeros, 0.77), and a butt splice at the same place, which stays an edit
point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from earwitness.forensics.sample_jumps import FLAT_DROPOUT_S, _quiet_run
from earwitness.forensics.splices import check_discontinuities
from earwitness.media.decode import decode_audio
from tests.conftest import shared
from tests.forensics.transcode import encode

RATE = 44_100
_FLAT = int(FLAT_DROPOUT_S * 48_000)
TST00 = "data/real/diarization/pyannote-audio/tests_data/tst00.wav"


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    """pyannote's tst00 (30 s of a meeting, 16 kHz) at 44.1 kHz, loud, with a faint hiss."""
    audio = decode_audio(shared(TST00)).samples.astype(np.float64)
    x = resample_poly(audio, 441, 160)
    x *= 0.5 / np.max(np.abs(x))
    return x + 3e-5 * np.random.default_rng(0).standard_normal(len(x))


def steepest(x: np.ndarray, near_s: float) -> int:
    """The loudest sample within 1 s of ``near_s`` where the waveform moves across it by a
    half to all of its neighbours' mean: a zeroed sample there departs from the line
    joining its neighbours by less than twice what the waveform moves across it (as at b007)."""
    lo = int((near_s - 1) * RATE)
    span = x[lo - 1 : lo + 2 * RATE + 1]
    moves = np.abs(span[2:] - span[:-2])
    mean = np.abs(span[2:] + span[:-2]) / 2
    steep = (moves > mean / 2) & (moves < mean)
    return lo + int(np.argmax(np.where(steep, np.abs(span[1:-1]), 0.0)))


def loudest(x: np.ndarray, near_s: float) -> int:
    """The sample within 1 s of ``near_s`` farthest from zero."""
    lo = int((near_s - 1) * RATE)
    return lo + int(np.argmax(np.abs(x[lo : lo + 2 * RATE])))


def kinds_near(x: np.ndarray, at: int) -> list[tuple[str, float]]:
    found = check_discontinuities(x, RATE).findings
    return [(f.kind, f.score) for f in found if abs((f.start_s + f.end_s) / 2 - at / RATE) < 0.1]


@pytest.mark.parametrize("near_s", [8.0, 14.0, 21.0])
def test_a_zeroed_sample_where_the_waveform_is_steep_is_a_dropout(
    speech: np.ndarray, near_s: float
) -> None:
    x = speech.copy()
    at = steepest(x, near_s)
    x[at] = 0.0
    found = kinds_near(x, at)
    assert [kind for kind, _ in found] == ["dropout"], found


@pytest.mark.parametrize("near_s", [8.0, 14.0, 21.0])
def test_a_run_of_zeros_after_a_loud_sample_is_a_dropout(speech: np.ndarray, near_s: float) -> None:
    """The largest second difference falls on the last sample before the run, not its first
    zero: the run is still seen."""
    x = speech.copy()
    at = loudest(x, near_s) + 1
    x[at : at + 20] = 0.0
    found = kinds_near(x, at)
    assert [kind for kind, _ in found] == ["dropout"], found


@pytest.mark.parametrize("near_s", [8.0, 14.0, 21.0])
def test_a_butt_splice_at_the_same_place_stays_an_edit_point(
    speech: np.ndarray, near_s: float
) -> None:
    x = speech.copy()
    at = steepest(x, near_s)
    # A few milliseconds of the waveform cut out, ending where it is far from where it was:
    # the join steps.
    skip = 50 + int(np.argmax(np.abs(x[at + 50 : at + 150] - x[at])))
    joined = np.concatenate([x[:at], x[at + skip :]])
    found = kinds_near(joined, at)
    assert ("edit_point" in [kind for kind, _ in found]) and all(
        kind != "dropout" for kind, _ in found
    ), found


@pytest.mark.slow
def test_a_run_of_zeros_blurred_by_aac_is_a_dropout_and_a_splice_is_not(
    speech: np.ndarray, tmp_path: Path
) -> None:
    """A run of 18 zeros (0.4 ms at 48 kHz) after a loud sample, through AAC, is a dropout; a
    butt splice at the same place, coded the same way, stays an edit point. (On this
    recording AAC keeps the run nearly exact; the blurred run of the benchmark's aac/b000 is
    the next test's.)"""
    rate = 48_000
    x = resample_poly(speech, 160, 147)
    at = int(np.argmax(np.abs(x[8 * rate : 9 * rate]))) + 8 * rate + 1
    dropped = x.copy()
    dropped[at : at + 18] = 0.0
    skip = 50 + int(np.argmax(np.abs(x[at + 50 : at + 150] - x[at])))
    spliced = np.concatenate([x[:at], x[at + skip :]])
    kinds = {}
    for name, samples in (("dropped", dropped), ("spliced", spliced)):
        path = encode(samples, rate, tmp_path / f"{name}.m4a", "aac", 128_000)
        audio = decode_audio(path)
        found = check_discontinuities(audio.samples, audio.sample_rate).findings
        # Within 0.1 s: the coder's delay (1024 priming samples at most) shifts the output.
        here = [f for f in found if abs((f.start_s + f.end_s) / 2 - at / rate) < 0.1]
        kinds[name] = [f.kind for f in here if f.score >= 0.5]
    assert kinds == {"dropped": ["dropout"], "spliced": ["edit_point"]}, kinds


def test_a_run_of_zeros_blurred_as_aac_blurs_it_is_a_dropout(speech: np.ndarray) -> None:
    """As AAC left 18 zeros in the benchmark's aac/b000 (7.80 s): the waveform fades into the
    run over a few samples, and the run holds small samples around zero, not zeros; its end
    is a sharp edge back to the waveform."""
    rng = np.random.default_rng(3)
    x = speech.copy()
    for near_s in (8.0, 14.0, 21.0):
        at = loudest(x, near_s) + 1
        level = abs(x[at])
        x[at - 8 : at] *= 0.55 + 0.45 * np.cos(np.pi * np.arange(1, 9) / 8)
        wiggle = 0.05 * np.sin(np.arange(18) * 0.9) + rng.uniform(-0.02, 0.02, 18)
        x[at : at + 18] = wiggle * level
        found = kinds_near(x, at + 9)
        assert [kind for kind, _ in found] == ["dropout"], (near_s, found)


def test_a_slow_zero_crossing_before_a_butt_splice_is_no_dropout() -> None:
    """The waveform crossing zero slowly (a low tone), then a jump: quiet, but the course does
    not break where the quiet stretch begins."""
    t = np.arange(400)
    x = np.where(t < 200, 0.02 * np.sin(2 * np.pi * (t - 200) / 4000), -0.1)
    reach = _FLAT + 8
    assert _quiet_run(x[200 - reach : 200 + reach]) is None
