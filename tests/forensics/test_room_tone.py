"""A pause lengthened with a copy of another pause: found by the background alone."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.forensics import room_tone
from earwitness.forensics.duplicates import check_duplicates
from earwitness.media.decode import decode_audio
from tests.conftest import encode_samples
from tests.forensics.conftest import RATE, recording


def lengthened(speech: np.ndarray, seed: int = 0) -> tuple[np.ndarray, float, float]:
    """The recording with 1 s of the pause at 5.4-6.9 s pasted in at 9.5 s, where the
    speaker draws breath; and where the paste starts and ends."""
    original = recording(speech, seed)
    room = original[int(5.6 * RATE) : int(6.6 * RATE)]
    at = int(9.5 * RATE) + 3  # not on any frame grid, nor on the 8 kHz one
    edited = np.concatenate([original[:at], room, original[at:]])
    return edited, at / RATE, (at + len(room)) / RATE


def points(samples: np.ndarray, rate: int = RATE) -> list[tuple[float, float]]:
    result = check_duplicates(samples, rate)
    return sorted(((f.start_s + f.end_s) / 2, f.score) for f in result.findings)


def test_room_tone_pasted_into_a_pause_is_found(speech: np.ndarray) -> None:
    edited, start, end = lengthened(speech)
    found = points(edited)
    assert found and min(score for _, score in found) >= 0.9
    times = [t for t, _ in found]
    for expected in (start, end):
        assert min(abs(t - expected) for t in times) < 0.1, times
    result = check_duplicates(edited, RATE)
    assert result.metrics["background_candidates"] >= 1
    assert "background noise" in result.findings[0].description


def test_room_tone_copy_survives_mp3(speech: np.ndarray, tmp_path) -> None:
    edited, start, _ = lengthened(speech, seed=1)
    path = encode_samples(tmp_path / "edited.mp3", edited, RATE, "libmp3lame", "mp3", 64_000)
    found = points(decode_audio(path).samples)
    assert found and max(score for _, score in found) >= 0.5
    assert min(abs(t - start) for t, _ in found) < 0.15


def test_room_tone_from_a_louder_place_pasted_into_a_quieter_pause_is_found(
    speech: np.ndarray,
) -> None:
    """The paste stands 9 dB above the floor around it, so no block of it is near the floor
    at both places; the two differ by nothing, far under the quieter background."""
    rng = np.random.default_rng(12)
    louder = recording(speech, seed=2) + 0.004 * rng.standard_normal(len(speech))
    quieter = recording(np.zeros(5 * RATE), seed=3)  # the speaker has moved on, and paused
    room = louder[int(5.6 * RATE) : int(6.5 * RATE)]
    at = 2 * RATE + 5
    edited = np.concatenate([louder, quieter[:at], room, quieter[at:]])
    found = points(edited)
    assert found and max(score for _, score in found) >= 0.9
    times = [t for t, _ in found]
    start = (len(louder) + at) / RATE
    for expected in (start, start + len(room) / RATE, 5.6, 6.5):
        assert min(abs(t - expected) for t in times) < 0.1, times


def test_the_unedited_recording_holds_no_background_copy(speech: np.ndarray) -> None:
    assert points(recording(speech, 0)) == []


def test_a_tone_matches_beside_its_lag_and_copied_noise_does_not() -> None:
    """A steady whine correlates with itself at every whole number of its periods, so also
    1-4 ms beside any lag; copied noise only at its own. Only the second is sharp enough to
    be called a copy of the background."""
    from earwitness.forensics.duplicates import SHARP, verify_samples

    rate = 8000
    rng = np.random.default_rng(9)
    t = np.arange(12 * rate) / rate
    whine = np.sin(2 * np.pi * 1000 * t) + 0.05 * rng.standard_normal(len(t))
    noise = rng.standard_normal(len(t))
    noise[6 * rate : 7 * rate] = noise[2 * rate : 3 * rate]
    floor = np.full(len(t) // 160, 1e9)  # every block counts as background
    tone = verify_samples(whine, 2 * rate, 3 * rate, 4 * rate, floor)
    copy = verify_samples(noise, 2 * rate, 3 * rate, 4 * rate, floor)
    assert tone is not None and copy is not None
    assert tone["quiet_correlation"] > 0.9 and tone["sharpness"] < SHARP
    assert copy["quiet_correlation"] > 0.99 and copy["sharpness"] > 0.9


@given(
    quiet=st.lists(st.booleans(), min_size=1, max_size=60),
    start=st.integers(min_value=0, max_value=40),
)
def test_quiet_frames_lie_wholly_in_quiet_blocks(quiet: list[bool], start: int) -> None:
    blocks = np.array(quiet)
    block = 160
    length = len(blocks) * block
    for at in room_tone.quiet_frames(blocks, block, length, start):
        assert blocks[at // block : (at + room_tone.FRAME - 1) // block + 1].all()
    every = np.arange(start, length - room_tone.FRAME + 1, room_tone.HOP)
    expected = [
        at for at in every if blocks[at // block : (at + room_tone.FRAME - 1) // block + 1].all()
    ]
    assert list(room_tone.quiet_frames(blocks, block, length, start)) == expected


def test_the_same_noise_gives_the_same_fingerprints_and_other_noise_does_not() -> None:
    rng = np.random.default_rng(7)
    noise = rng.standard_normal(RATE // 2 * 3)
    x = np.concatenate([noise, rng.standard_normal(RATE), noise])
    first = np.arange(0, 4000, room_tone.HOP)
    again = first + len(noise) + RATE
    other = first + len(noise)
    levels = room_tone.band_levels(x, np.concatenate([first, again, other]))
    prints = room_tone.fingerprints(levels, np.median(levels, axis=0))
    a, b, c = np.split(prints, 3)
    assert np.array_equal(a, b)
    assert np.mean(a == c) < 0.05


@pytest.mark.parametrize("seconds", [0.0, 0.5])
def test_too_little_background_gives_no_candidates(seconds: float) -> None:
    x = np.random.default_rng(1).standard_normal(int(seconds * RATE) + 10)
    quiet = np.ones(len(x) // 160, dtype=bool)
    assert room_tone.candidate_copies(x, quiet, 160) == []


def test_the_most_voted_candidates_come_first() -> None:
    """The caller checks only the first fifty; a real copy's many votes must not queue
    behind chance agreements."""
    rate = room_tone.RATE
    weak_at = np.arange(20) * 200  # 20 votes over 0.5 s at a lag of 2 s
    strong_at = 20 * rate + np.arange(60) * 100  # 60 votes over 0.75 s at a lag of 5 s
    at = np.concatenate([weak_at, strong_at])
    lag = np.concatenate([np.full(20, 2 * rate), np.full(60, 5 * rate)])
    clusters = room_tone._clusters(at, lag)
    assert [c[2] for c in clusters] == [5 * rate, 2 * rate]


@given(
    seconds=st.floats(min_value=0.0, max_value=6.0),
    seed=st.integers(min_value=0, max_value=2**16),
    quiet_share=st.floats(min_value=0.0, max_value=1.0),
    repeat=st.booleans(),
)
def test_candidates_are_well_formed_for_any_input(
    seconds: float, seed: int, quiet_share: float, repeat: bool
) -> None:
    rate = room_tone.RATE
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(int(seconds * rate))
    if repeat and len(x) > 3 * rate:
        x[-rate:] = x[:rate]  # one exact copy, at least 1 s later
    quiet = rng.random(len(x) // 160) < quiet_share
    for first, last, lag in room_tone.candidate_copies(x, quiet, 160):
        assert 0 <= first < last <= len(x)
        assert lag >= room_tone.MIN_LAG_S * rate
        assert last - first >= room_tone.MIN_SPAN_S * rate
