"""The tamper benchmark's ground truth: the ENF trace measured at an edit point, whole-cycle
deletions, dropouts, truncation and the file-level Cllr (pure helpers in bench/tamper)."""

from __future__ import annotations

import sys
import wave
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "tamper"))

from edits import deletion_whole_cycles, join
from enf_truth import ground_truth, measure
from negatives import dropouts
from tables import cllr
from truncate import _cut_ogg, _cut_wav

RATE = 16000


def _hum(seconds: float, frequency: float = 50.02) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.sin(2 * np.pi * frequency * t + 0.4) + 0.4 * np.sin(6 * np.pi * frequency * t)


def test_a_cut_of_a_third_of_a_second_turns_the_hum_by_the_cycles_it_skipped() -> None:
    hum = _hum(10)
    cut = np.concatenate([hum[: 5 * RATE], hum[5 * RATE + RATE // 3 :]])
    turn, step = measure(cut, RATE, 50.0, 5.0, 0)
    expected = (50.02 / 3 % 1) * 360 - 360  # 16.67 cycles: −120°
    assert turn == pytest.approx(expected, abs=2)
    assert abs(step) < 0.05


def test_a_level_change_is_a_step_and_makes_the_point_traceable() -> None:
    hum = _hum(10)
    louder = np.concatenate([hum[: 5 * RATE], 1.2 * hum[5 * RATE :]])
    truth = ground_truth(louder, RATE, 50.0, [5.0], 0)
    assert truth["enf_turn_deg"][0] == pytest.approx(0, abs=1)
    assert truth["enf_step_db"][0] == pytest.approx(20 * np.log10(1.2), abs=0.05)
    assert truth["traceable"] == [True]


def test_no_hum_means_no_ground_truth() -> None:
    truth = ground_truth(np.zeros(RATE * 5), RATE, None, [2.5], 0)
    assert truth == {"enf_turn_deg": [None], "enf_step_db": [None], "traceable": [None]}


@pytest.mark.parametrize("fade_ms", [0, 10])
def test_a_whole_cycle_deletion_leaves_no_trace(fade_ms: int) -> None:
    hum = _hum(20)
    x = np.stack([hum * 0.01, hum * 0.01], axis=1)
    rng = np.random.default_rng(3)
    for _ in range(10):  # until the draw gives the crossfade asked for
        edit = deletion_whole_cycles(x, RATE, (6.0, 12.0), 50.0, rng)
        if edit.crossfade_ms == fade_ms:
            break
    assert edit.crossfade_ms == fade_ms
    truth = ground_truth(edit.samples[:, 1], RATE, 50.0, edit.edit_times, fade_ms)
    assert truth["traceable"] == [False]
    assert abs(truth["enf_turn_deg"][0]) < 3
    assert len(x) - len(edit.samples) == round(float(edit.detail["removed_s"]) * RATE)


def test_join_crossfades_both_channels_alike() -> None:
    a, b = np.ones((100, 2)), np.zeros((100, 2))
    joined = join(a, b, 10)
    assert joined.shape == (190, 2)
    assert np.array_equal(joined[:, 0], joined[:, 1])


def test_dropouts_zero_samples_and_say_where() -> None:
    x = np.full(RATE * 10, 0.1)
    out, places = dropouts(x, RATE, np.random.default_rng(1))
    assert len(places) >= 4  # at least two single samples and two runs
    assert 0 < int(np.sum(out == 0)) <= sum(int(p["samples"]) for p in places)
    for place in places:
        start = round(float(place["at_s"]) * RATE)
        assert np.all(out[start : start + int(place["samples"])] == 0)


def test_a_cut_wav_still_declares_the_whole_length(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(np.zeros(RATE * 10, "<i2").tobytes())
    _cut_wav(path, 0.3)
    data = path.read_bytes()
    declared = int.from_bytes(data[data.index(b"data") + 4 :][:4], "little")
    present = len(data) - data.index(b"data") - 8
    assert declared == RATE * 10 * 2
    assert present == RATE * 3 * 2


def test_an_ogg_is_never_cut_at_a_page_boundary(tmp_path: Path) -> None:
    path = tmp_path / "x.opus"
    path.write_bytes(b"OggS" + b"a" * 56 + b"OggS" + b"b" * 36)  # a page begins at 60 %
    _cut_ogg(path, 0.6)
    data = path.read_bytes()
    assert 60 < len(data) < 100  # inside the second page, not at its start
    assert not data.endswith(b"OggS")


def test_cllr_is_zero_for_decisive_right_answers_and_one_for_none() -> None:
    assert cllr([6.0], [-6.0]) == pytest.approx(0, abs=1e-4)
    assert cllr([0.0], [0.0]) == pytest.approx(1.0)
    assert cllr([-2.0], [2.0]) > 1


def test_the_split_halves_every_hum_class_and_language() -> None:
    from collections import Counter

    from generate import LANGUAGES, enf_class, split_of

    splits = [split_of(i)[0] for i in range(24)]
    for split in ("calibration", "validation"):
        mine = [i for i in range(24) if splits[i] == split]
        assert Counter(enf_class(i) for i in mine) == {50: 4, 60: 4, None: 4}
        assert Counter(LANGUAGES[i % 3] for i in mine) == {"ru": 4, "be": 4, "en": 4}
        assert [split_of(i)[1] for i in mine] == list(range(12))  # ranks within the split
