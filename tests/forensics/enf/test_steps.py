"""The ENF step statistic: its correction for lines less steady than mains hum
(``inflation``) and what the harmonics may add to it (``consistent_statistic``)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from earwitness.forensics.enf.check import FLOOR_EVIDENCE, check_enf
from earwitness.forensics.enf.steps import EDGE_S, ends, held_drift, inflation, step_evidence
from earwitness.forensics.enf.track import BASE_RATE
from earwitness.media.decode import decode_audio
from tests.conftest import SHARED, encode_samples, shared
from tests.forensics.conftest import JFK
from tests.forensics.enf.test_check import RATE, hum

SAMPLE = SHARED / "data/real/diarization/pyannote-audio/sample/sample.wav"
FLEURS = SHARED / "data/real/speech/en/fleurs-en-cuttledoc/fleurs-en-000.ogg"


def phasors(level: np.ndarray, seed: int, noise: float = 0.05) -> list:
    """One harmonic's phasor at the baseband rate: constant phase, the given level, unit
    noise variance scaled by ``noise``²."""
    rng = np.random.default_rng(seed)
    n = len(level)
    z = level + noise * (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    return [(1, z.astype(complex), np.full(n, noise**2))]


def test_a_steady_line_is_not_inflated() -> None:
    n = 60 * BASE_RATE
    assert inflation(phasors(np.ones(n), 0)) < 1.3


def test_a_few_real_steps_do_not_inflate_it() -> None:
    n = 60 * BASE_RATE
    level = np.ones(n, dtype=complex)
    level[20 * BASE_RATE :] *= np.exp(1j * 0.8)
    level[41 * BASE_RATE :] *= np.exp(-1j * 0.5)
    assert inflation(phasors(level, 1)) < 1.3


def test_one_step_in_a_short_file_does_not_inflate_it() -> None:
    """20 s with one strong turn 5.7 s in: the windows that hold the turn are nearly half of
    the places, and the median of all of them ran 1.85 times the model's in the tamper
    benchmark's truncated copies of b005, dividing away the deletion's evidence."""
    n = round(20.5 * BASE_RATE)
    level = np.ones(n, dtype=complex)
    level[round(5.7 * BASE_RATE) :] *= np.exp(1j * 1.2)
    assert inflation(phasors(level, 4, noise=2.0)) < 1.3  # all places' median: 2.5


def test_an_unsteady_line_stays_inflated_beside_its_strongest_step() -> None:
    """Setting aside the places that see the strongest steps only helps where the rest of
    the line is as steady as mains hum; a line under automatic gain is unsteady throughout."""
    rng = np.random.default_rng(5)
    n = 30 * BASE_RATE
    gains = 10 ** (rng.uniform(-6, 6, 30) / 20)
    level = np.repeat(gains, BASE_RATE)[:n].astype(complex)
    level[12 * BASE_RATE :] *= np.exp(1j * 2.0)
    assert inflation(phasors(level, 5)) > 2.5


def test_a_file_too_short_to_set_a_step_aside_keeps_the_whole_median() -> None:
    """10 s: beside one strong turn fewer than two windows' worth of places are left, too
    few for a median; a real FLEURS clip's unsteady 60 Hz line is of that length."""
    n = 10 * BASE_RATE
    level = np.ones(n, dtype=complex)
    level[round(4.0 * BASE_RATE) :] *= np.exp(1j * 1.2)
    assert inflation(phasors(level, 6)) > 1.5


def test_a_line_whose_level_follows_the_speech_is_inflated() -> None:
    """Hum under automatic gain: a new level every second or so, ±6 dB."""
    rng = np.random.default_rng(2)
    n = 60 * BASE_RATE
    gains = 10 ** (rng.uniform(-6, 6, 60) / 20)
    level = np.repeat(gains, BASE_RATE)[:n]
    assert inflation(phasors(level, 2)) > 2.5


@pytest.mark.parametrize("coded", [False, True])
def test_pyannote_sample_line_is_not_read_as_edits(coded: bool, tmp_path) -> None:
    """pyannote's 30 s sample carries a weak 120 Hz line that moves with the speech; plain
    and as a 32 kbit/s MP3 it gave two or three edit points up to 0.88."""
    decoded = decode_audio(shared(SAMPLE))
    if coded:
        path = encode_samples(
            tmp_path / "sample.mp3",
            decoded.samples,
            decoded.sample_rate,
            "libmp3lame",
            "mp3",
            32_000,
        )
        decoded = decode_audio(path)
    result = check_enf(decoded.samples, decoded.sample_rate)
    assert result.metrics.get("step_inflation", 0) > 2
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []


def test_a_short_real_clip_whose_line_turns_once_is_not_read_as_an_edit() -> None:
    """FLEURS' 10.6 s clip carries a 60 Hz line that turns once, 3.75 s in. With the places
    that see that turn set aside, the line looked steady and the turn became an edit point
    scored 0.8; beside it too few places are left to judge the line by, so its whole median
    stands (``enf.steps.inflation``)."""
    decoded = decode_audio(shared(FLEURS))
    result = check_enf(decoded.samples, decoded.sample_rate)
    assert result.metrics["step_inflation"] > 1.5
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []


def test_pyannote_sample_as_the_benchmarks_aac_copy_is_not_read_as_an_edit(tmp_path) -> None:
    """Through the tamper benchmark's own 32 kbit/s AAC encoder, the sample's line turns
    by 100° over the first 4 s against the track held there. Sides of a step reaching into
    the first second made that a step scored 0.69; on a line this unsteady they stop at
    ``EDGE_S`` (``enf.steps.ends``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "tamper"))
    from edits import decode_mono, encode

    samples, rate = decode_mono(shared(SAMPLE))
    encode(samples, rate, tmp_path / "sample.m4a", "aac32")
    decoded = decode_audio(tmp_path / "sample.m4a")
    result = check_enf(decoded.samples, decoded.sample_rate)
    assert result.metrics["step_inflation"] > 2
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []


def test_a_phase_jump_is_still_found_under_a_steady_hum() -> None:
    x, _ = hum(120, seed=2)
    cut, removed = int(60.0 * RATE), int(0.9137 * RATE)
    edited = np.concatenate([x[:cut], x[cut + removed :]])
    result = check_enf(edited, RATE)
    assert [round(f.start_s + 0.25) for f in result.findings if f.score >= 0.9] == [60]


def test_jfk_buzz_is_not_read_as_nine_edits() -> None:
    """The 11 s JFK clip carries a 120 Hz line whose level and phase move with the speech
    (about 10 dB); against the steady-hum model it gave nine edit points scored up to 1.0."""
    decoded = decode_audio(shared(JFK))
    result = check_enf(decoded.samples, decoded.sample_rate)
    assert result.status == "ok"
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []


def test_the_report_says_when_the_line_is_unsteady() -> None:
    decoded = decode_audio(shared(JFK))
    result = check_enf(decoded.samples, decoded.sample_rate)
    assert result.metrics["step_inflation"] > 3
    assert "less steady than mains hum" in result.summary
    steady = check_enf(hum(60, seed=5)[0], RATE)
    assert steady.metrics["step_inflation"] < 1.5
    assert "less steady" not in steady.summary


@pytest.mark.parametrize("name", ["001_ref.wav", "002_ref.wav", "012_ref.wav"])
def test_hum_alone_ramping_with_the_grid_gives_no_edit_point(name: str) -> None:
    """Ten minutes of ENF-WHU's mains references, hum 60-78 dB above the noise: the grid's
    faster ramps turn the third harmonic three times as far as the fundamental, which the
    model's error must allow for (before, one and three edit points up to 0.99); and the
    second harmonic turns on its own, following the loads (012 had nine edit points, all
    from the second harmonic alone, scored up to 1.0)."""
    reference = shared(f"data/real/enf/enf-whu/H1_ref/{name}")
    decoded = decode_audio(reference)
    ten_minutes = decoded.samples[: 600 * decoded.sample_rate]
    result = check_enf(ten_minutes, decoded.sample_rate)
    assert result.status == "ok"
    assert [f.start_s for f in result.findings if f.score >= 0.5] == []


def test_half_cycle_slips_in_a_real_reference_are_found() -> None:
    """ENF-WHU's 031_ref slips by half a mains cycle near 178.6 s and back near 183.2 s: a
    sinusoid fitted to the raw samples 0.3-1.8 s either side turns the fundamental and the
    third harmonic by 180° and the second by 0°, which only a 10 ms shift of the time base
    does. 19 such slips lie in the first ten minutes of the 130 references."""
    decoded = decode_audio(shared("data/real/enf/enf-whu/H1_ref/031_ref.wav"))
    result = check_enf(decoded.samples[: 600 * decoded.sample_rate], decoded.sample_rate)
    strong = [f for f in result.findings if f.score >= 0.5]
    middles = [(f.start_s + f.end_s) / 2 for f in strong]
    assert len(middles) == 2 and np.allclose(middles, [178.6, 183.2], atol=0.5), middles
    assert all(abs(abs(f.evidence["phase_jump_rad"]) - np.pi) < 0.2 for f in strong)
    for finding in strong:  # the second harmonic turns a whole cycle: not at all
        assert abs(finding.evidence["harmonic_turns_deg"]["2"]) < 20
        assert "shift by half a mains cycle (10.0 ms)" in finding.description


def harmonics(turns: dict[int, float], levels: dict[int, float] | None = None) -> list:
    """Phasors of harmonics 1, 3 and 2 (strongest first, as ``enf_check`` orders them) over
    60 s, each turning by ``turns[h]`` radians and taking ``levels[h]`` times its level at
    30 s; the fundamental 40 dB above its noise, the others 30 and 20 dB."""
    rng = np.random.default_rng(5)
    n = 60 * BASE_RATE
    after = np.arange(n) >= 30 * BASE_RATE
    out = []
    for harmonic, noise in ((1, 0.01), (3, 0.03), (2, 0.1)):
        change = (levels or {}).get(harmonic, 1.0) * np.exp(1j * turns.get(harmonic, 0.0))
        z = np.where(after, change, 1.0) + noise * (
            rng.standard_normal(n) + 1j * rng.standard_normal(n)
        ) / np.sqrt(2)
        out.append((harmonic, z, np.full(n, noise**2)))
    return out


def evidence_at_30_s(phasors: list) -> float:
    n = len(phasors[0][1])
    edge = round(EDGE_S * BASE_RATE)
    evidence, _, _ = step_evidence(phasors, 4 * BASE_RATE, np.array([edge, n - edge]))
    return float(evidence[30 * BASE_RATE])


def test_one_harmonic_turning_on_its_own_is_not_a_step() -> None:
    """The second harmonic turns by 120°, the fundamental and third stay put: a load
    changing, not an edit, which would turn every harmonic."""
    assert evidence_at_30_s(harmonics({2: 2.1})) < FLOOR_EVIDENCE  # not even reported


def test_a_time_shift_turns_every_harmonic_and_is_a_step() -> None:
    """A cut within one recording: harmonic h turns by h times 20°."""
    turn = np.radians(20)
    assert evidence_at_30_s(harmonics({1: turn, 3: 3 * turn, 2: 2 * turn})) > 13


def test_the_hum_stopping_is_a_step() -> None:
    """A join with a recording made without hum: every level drops."""
    assert evidence_at_30_s(harmonics({}, {1: 0.0, 3: 0.0, 2: 0.0})) > 30


def test_a_third_of_a_cycle_leaves_the_third_harmonic_but_is_a_step() -> None:
    """A time shift of 120° leaves harmonic 3 where it was; if that is the strongest, the
    others must still count (b014's deletion in the tamper set: fundamental 132°)."""
    turn = np.radians(120)
    phasors = harmonics({1: turn, 3: 3 * turn, 2: 2 * turn})
    third_first = [phasors[1], phasors[0], phasors[2]]
    assert evidence_at_30_s(third_first) > 13


def _drifting_start(
    level: float, noise: float, ramp: float = 0.004, seed: int = 4
) -> tuple[list, np.ndarray]:
    """40 s of one harmonic's phasor whose track starts at 8 s: before it, where the
    frequency is held, the grid ramping at ``ramp`` Hz/s turns the phasor by π·r·d²."""
    rng = np.random.default_rng(seed)
    n = 40 * BASE_RATE
    beyond = np.maximum(8.0 - np.arange(n) / BASE_RATE, 0.0)
    z = level * np.exp(1j * np.pi * ramp * beyond**2)
    z = z + noise * (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / np.sqrt(2)
    return [(1, z, np.full(n, noise**2))], held_drift(np.arange(8.0, 33.0), n)


def test_the_grid_ramping_where_the_track_is_held_is_not_a_step() -> None:
    # 4 mHz/s: about the 99th percentile of ENF-WHU's ramps, three times the RMS that the
    # model assumes; the phasor turns 0.8 rad over the first 8 s.
    phasors, held = _drifting_start(1.0, 0.01)
    n = len(held)
    bounds = np.array(ends(n, True))
    start = slice(0, 10 * BASE_RATE)
    middle = slice(17 * BASE_RATE, 24 * BASE_RATE)  # no window there reaches a held second
    plain_top = weighed_top = 0.0
    for half in (4, 8):
        plain, _, _ = step_evidence(phasors, half * BASE_RATE, bounds)
        weighed, _, _ = step_evidence(phasors, half * BASE_RATE, bounds, held=held)
        plain_top = max(plain_top, plain[start].max())
        weighed_top = max(weighed_top, weighed[start].max())
        np.testing.assert_array_equal(plain[middle], weighed[middle])
    assert plain_top > FLOOR_EVIDENCE > weighed_top


def test_a_turn_under_weak_hum_where_the_track_is_held_is_still_seen() -> None:
    phasors, held = _drifting_start(0.5, 1.0)
    harmonic, z, variance = phasors[0]
    turn = 3 * BASE_RATE
    z = np.where(np.arange(len(z)) >= turn, z * np.exp(2.6j), z)
    bounds = np.array(ends(len(z), True))
    plain, _, _ = step_evidence([(harmonic, z, variance)], 4 * BASE_RATE, bounds)
    weighed, _, _ = step_evidence([(harmonic, z, variance)], 4 * BASE_RATE, bounds, held=held)
    assert weighed[turn] > FLOOR_EVIDENCE
    assert weighed[turn] > 0.9 * plain[turn]
