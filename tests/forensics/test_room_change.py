"""A change of background that takes its time (a door opening, the speaker walking to another
room) is an observation; the same change made by a cut, within milliseconds, is an edit point."""

import numpy as np
import pytest

from earwitness.forensics.splices import EXAMINATION, GRADUAL_S, check_discontinuities
from tests.forensics.test_splices import RATE, drifting, pause_after, speech_only


def changing(seed: int, ramp_s: float) -> tuple[np.ndarray, float]:
    """One minute of speech over a background that turns from quiet and dark to louder and
    brighter (+8 dB, another colour), over a raised-cosine ramp of ``ramp_s`` (0: a cut)
    starting early in the first pause after 30 s; and where the change is centred (s)."""
    n = 60 * RATE
    speech = speech_only(60, seed)
    first = 0.002 * drifting(n, seed, colour=0.95, wobble_db=0.0)
    second = 0.005 * drifting(n, seed + 50, colour=0.6, wobble_db=0.0)
    start = pause_after(speech, 30)[0] + RATE // 10
    length = max(int(ramp_s * RATE), 1)
    phase = np.clip((np.arange(n) - start) / length, 0.0, 1.0)
    gain = 0.5 - 0.5 * np.cos(np.pi * phase)
    # Powers add as the one background fades into the other: the two noises are independent.
    background = np.sqrt(1 - gain) * first + np.sqrt(gain) * second
    return speech + background, (start + length / 2) / RATE


@pytest.mark.parametrize("seed", [1, 3])
def test_a_gradual_change_of_background_is_an_observation_not_an_edit_point(seed: int) -> None:
    x, centre = changing(seed, ramp_s=1.0)
    findings = check_discontinuities(x, RATE).findings
    assert [f for f in findings if f.kind == "edit_point"] == []
    [observation] = findings
    assert observation.kind == "other" and observation.score <= 0.3
    assert observation.start_s - 0.5 < centre < observation.end_s + 0.5
    # A 1 s raised-cosine ramp takes about 0.6 s from 10 % to 90 %.
    assert 0.35 <= observation.evidence["transition_s"] <= 1.0
    assert "door opens" in observation.description
    assert "within milliseconds" in observation.description
    assert EXAMINATION.kinds["other"] == "Observation"


@pytest.mark.parametrize("seed", [1, 3])
def test_the_same_change_made_by_a_cut_stays_an_edit_point(seed: int) -> None:
    x, centre = changing(seed, ramp_s=0.0)
    findings = check_discontinuities(x, RATE).findings
    [point] = [f for f in findings if f.kind == "edit_point" and f.score >= 0.5]
    assert abs((point.start_s + point.end_s) / 2 - centre) < 0.5
    assert point.evidence["transition_s"] < GRADUAL_S
    assert [f for f in findings if f.kind == "other"] == []


def test_a_crossfade_as_editors_make_them_stays_an_edit_point() -> None:
    x, centre = changing(1, ramp_s=0.05)
    points = [f for f in check_discontinuities(x, RATE).findings if f.kind == "edit_point"]
    assert [abs((p.start_s + p.end_s) / 2 - centre) < 0.5 for p in points] == [True]


def changing_under_speech(seed: int, ramp_s: float) -> tuple[np.ndarray, float]:
    """The same change of background as ``changing``, centred inside the first stretch of
    speech (about 1.5 s long) after 30 s, so no pause shows it happening."""
    n = 60 * RATE
    speech = speech_only(60, seed)
    quiet = np.abs(speech) < 1e-9
    pause_start = 30 * RATE + int(np.argmax(quiet[30 * RATE :]))
    talk_start = pause_start + int(np.argmin(quiet[pause_start:]))
    talk_end = talk_start + int(np.argmax(quiet[talk_start:]))
    centre = (talk_start + talk_end) // 2
    first = 0.002 * drifting(n, seed, colour=0.95, wobble_db=0.0)
    second = 0.005 * drifting(n, seed + 50, colour=0.6, wobble_db=0.0)
    length = max(int(ramp_s * RATE), 1)
    phase = np.clip((np.arange(n) - centre + length // 2) / length, 0.0, 1.0)
    gain = 0.5 - 0.5 * np.cos(np.pi * phase)
    return speech + np.sqrt(1 - gain) * first + np.sqrt(gain) * second, centre / RATE


@pytest.mark.parametrize("seed", [1, 3])
def test_under_speech_a_cut_and_a_change_of_place_read_the_same(seed: int) -> None:
    """Speech hides the background from a cut and from a half-second change of place alike:
    both are one edit point scored below 0.5 that says the pauses cannot tell them apart."""
    found = []
    for ramp_s in (0.0, 0.5):
        x, centre = changing_under_speech(seed, ramp_s)
        [point] = check_discontinuities(x, RATE).findings
        assert point.kind == "edit_point" and point.score < 0.5
        assert abs((point.start_s + point.end_s) / 2 - centre) < 1.0
        assert point.evidence["seen_within_s"] > 1.0
        assert "under speech" in point.description
        found.append((point.start_s, point.score, point.evidence["seen_within_s"]))
    assert found[0] == found[1]
