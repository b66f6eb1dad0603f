"""Copy-move: material that recurs with its background is found; a repeated phrase is not."""

from __future__ import annotations

import numpy as np

from earwitness.forensics.duplicates import RATE as DUPLICATES_RATE
from earwitness.forensics.duplicates import check_duplicates, local_floor, verify_samples
from earwitness.media.decode import decode_audio
from tests.conftest import encode_samples, shared
from tests.forensics.conftest import RATE, brown, recording


def edit_points(samples: np.ndarray) -> list[tuple[float, float]]:
    result = check_duplicates(samples, RATE)
    assert result.status == "ok"
    return sorted((round((f.start_s + f.end_s) / 2, 3), f.score) for f in result.findings)


def test_a_copied_stretch_is_found_with_both_its_places(speech: np.ndarray) -> None:
    original = recording(speech)
    copied = original[int(3.2 * RATE) : int(6.4 * RATE)]  # "fellow Americans" and the pause
    at = int(10.0 * RATE)
    edited = np.concatenate([original[:at], copied, original[at:]])
    points = edit_points(edited)
    assert points and min(score for _, score in points) >= 0.9
    times = [t for t, _ in points]
    for expected in (10.0, 13.2):  # the inserted copy's boundaries
        assert min(abs(t - expected) for t in times) < 0.1, times
    for expected in (3.2, 6.4):  # and the place it was copied from
        assert min(abs(t - expected) for t in times) < 0.1, times


def test_a_copy_survives_lossy_coding(speech: np.ndarray, tmp_path) -> None:
    original = recording(speech, seed=1)
    copied = original[int(3.2 * RATE) : int(6.4 * RATE)]
    edited = np.concatenate([original[: 10 * RATE], copied, original[10 * RATE :]])
    path = encode_samples(tmp_path / "edited.mp3", edited, RATE, "libmp3lame", "mp3", 64_000)
    decoded = decode_audio(path)
    assert max(score for _, score in edit_points(decoded.samples)) >= 0.8


def test_a_copy_near_a_silent_end_is_still_measured_against_the_background(
    speech: np.ndarray,
) -> None:
    """A lossy coder's flushed last frame is near-digital silence; it is not the background
    level a copy's quiet stretches are judged against."""
    original = recording(speech, seed=4)
    copied = original[int(3.2 * RATE) : int(6.4 * RATE)]
    tail = original[-RATE:]
    edited = np.concatenate([original, copied, tail, np.zeros(int(0.04 * RATE))])
    points = edit_points(edited)
    assert points and max(score for _, score in points) >= 0.9
    end_of_copy = (len(original) + len(copied)) / RATE
    assert min(abs(t - end_of_copy) for t, _ in points) < 0.1


def test_the_same_words_said_twice_into_fresh_background_are_not_a_copy(
    speech: np.ndarray,
) -> None:
    phrase = speech[int(3.2 * RATE) : int(6.4 * RATE)]
    twice = np.concatenate([speech, phrase, phrase[::-1] * 0, speech[: 2 * RATE]])
    rng = np.random.default_rng(2)
    noisy = twice + 0.003 * brown(len(twice), rng) + 0.0015 * rng.standard_normal(len(twice))
    result = check_duplicates(noisy, RATE)
    assert result.metrics["verified"] >= 1  # the words were seen to recur ...
    assert result.metrics["copies"] == 0  # ... but not their background
    assert all(f.score < 0.5 for f in result.findings)


def test_noise_and_hum_alone_hold_no_copies() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(30 * RATE) / RATE
    hum = 0.01 * np.sin(2 * np.pi * 50 * t) + 0.004 * np.sin(2 * np.pi * 150 * t)
    assert edit_points(hum + 0.003 * brown(len(t), rng)) == []


def test_short_recordings_are_not_examined() -> None:
    assert check_duplicates(np.zeros(RATE), RATE).status == "not_applicable"


def test_a_recording_sampled_below_8_khz_is_not_examined() -> None:
    """ENF-WHU's references are sampled at 400 Hz: resampled, their empty speech band repeats
    itself and looked like copies."""
    reference = shared("data/real/enf/enf-whu/H1_ref/086_ref.wav")
    decoded = decode_audio(reference)
    result = check_duplicates(decoded.samples, decoded.sample_rate)
    assert result.status == "not_applicable"
    assert "400 Hz" in result.summary


def short_word(rng: np.random.Generator) -> np.ndarray:
    """A 0.18 s vowel-like burst: a gliding 130 Hz voice through two formants."""
    t = np.arange(int(0.18 * RATE)) / RATE
    pitch = 2 * np.pi * np.cumsum(130 + 40 * t / t[-1]) / RATE
    voice = sum(
        np.exp(-(((k * 130 - 700) / 250) ** 2)) * np.sin(k * pitch)
        + 0.6 * np.exp(-(((k * 130 - 1800) / 300) ** 2)) * np.sin(k * pitch)
        for k in range(1, 25)
    )
    return 0.3 * voice * np.hanning(len(t)) * (1 + 0.1 * rng.standard_normal())


def test_a_short_word_copied_alone_is_found() -> None:
    """A "yes" copied into another pause casts all its votes within 0.2 s (b012 of the
    tamper set: before, such a copy was never checked on the waveform)."""
    rng = np.random.default_rng(7)
    clean = np.zeros(20 * RATE)
    for at in (2.0, 5.5, 9.0, 15.5):  # other words, each different
        burst = short_word(rng) * rng.uniform(0.5, 1.0)
        clean[int(at * RATE) : int(at * RATE) + len(burst)] += np.roll(burst, rng.integers(50))
    original = recording(clean, seed=3)
    copied = original[int(8.7 * RATE) : int(9.5 * RATE)]  # the word at 9 s and its pauses
    at = int(12.0 * RATE)
    edited = np.concatenate([original[:at], copied, original[at:]])
    points = edit_points(edited)
    assert points and max(score for _, score in points) >= 0.9
    for expected in (12.0, 12.8):
        assert min(abs(t - expected) for t, _ in points) < 0.1, points


def test_a_voted_stretch_longer_than_the_copy_is_cut_to_the_copy() -> None:
    """Chance votes at the copy's lag a little way off must not carry its reported ends."""
    rate = DUPLICATES_RATE  # verify_samples works on the check's own 8 kHz signal
    rng = np.random.default_rng(11)
    x = rng.standard_normal(12 * rate)  # white noise: background everywhere
    x[8 * rate : 9 * rate] = x[2 * rate : 3 * rate]
    voted = (int(1.9 * rate), int(3.6 * rate))
    found = verify_samples(x, *voted, 6 * rate, local_floor(x))
    assert found is not None
    assert abs(found["start_s"] - 2.0) < 0.021 and abs(found["end_s"] - 3.0) < 0.021, found
