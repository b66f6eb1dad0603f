"""ENF steps in words: what a finding says of a step's place, phase and level."""

import numpy as np
import pytest

from earwitness.forensics.enf.points import PHASE_SNR, edit_points, turn_pattern
from earwitness.forensics.enf.search import Step
from earwitness.forensics.enf.steps import harmonic_turns
from earwitness.forensics.enf.track import BASE_RATE

N, JOIN = 60 * BASE_RATE, 30 * BASE_RATE


def phasors(before: complex, after: complex, noise: float, seed: int = 0):
    """60 s of one harmonic: ``before`` until ``JOIN``, ``after`` from it, in complex noise
    of variance ``noise``."""
    rng = np.random.default_rng(seed)
    z = (rng.normal(size=N) + 1j * rng.normal(size=N)) * np.sqrt(noise / 2)
    z[:JOIN] += before
    z[JOIN:] += after
    return [(1, z, np.full(N, noise))]


@pytest.mark.parametrize("reach", [0, 40])
def test_a_join_names_the_places_its_likelihood_leaves_possible(reach: int) -> None:
    """A join placed at 30 s whose likelihood stays near its best up to ``reach`` samples
    later (``locate.Join.possible``): the finding keeps its span and says how far the hum
    leaves it open, in its words and its evidence; where that adds nothing, it says nothing."""
    step = Step(JOIN, 30.0, 8.0, 0.01 + 0j, 1 + 0j, JOIN - 5, JOIN + 5, (JOIN - 5, JOIN + reach))
    [point] = edit_points([step], phasors(0.01, 1.0, 0.01), 50.0, True)
    assert point.start_s <= 30.0 <= point.end_s <= 30.3
    if reach:
        assert point.evidence["possible_to_s"] == pytest.approx(32.0)
        assert point.evidence["possible_from_s"] == point.start_s
        assert "too weak there to rule out 29.7–32.0 s" in point.description
    else:
        assert "possible_to_s" not in point.evidence and "rule out" not in point.description


def test_a_step_from_noise_into_weak_hum_gives_no_angle() -> None:
    """Another recording without hum joined to one with weak hum, 10 dB up by the means: the
    side before holds noise alone, whose "phase" is any angle at all, so the finding names
    the change of level and no phase jump (nor a half-cycle pattern)."""
    step = Step(JOIN, 20.0, 8.0, 0.1 * np.exp(-2.5j), 0.32 + 0j, JOIN - 5, JOIN + 5)
    [point] = edit_points([step], phasors(0, 0.32, 1.0, seed=3), 50.0, True)
    assert point.evidence["phase_measured"] is False
    assert "too weak for its phase to be measured" in point.description
    assert "°" not in point.description and "half a mains cycle" not in point.description
    assert "+10.1 dB" in point.description


def test_a_turn_of_hum_measured_on_both_sides_gives_its_angle() -> None:
    step = Step(JOIN, 20.0, 8.0, 1 + 0j, np.exp(1j), JOIN - 5, JOIN + 5)
    [point] = edit_points([step], phasors(1, np.exp(1j), 1.0, seed=4), 50.0, True)
    assert point.evidence["phase_measured"] is True
    assert point.description.startswith("ENF phase jumps by 57°")


def test_a_turn_of_weak_hum_keeps_its_angle() -> None:
    """The level kept: both sides hold hum alike, and the step's evidence (over every
    harmonic) says how well the turn is measured; its angle is stated, the harmonic's own
    phasor SNR recorded as not reaching ``PHASE_SNR``."""
    step = Step(JOIN, 20.0, 8.0, 0.1 + 0j, 0.1 * np.exp(1j), JOIN - 5, JOIN + 5)
    [point] = edit_points([step], phasors(0.1, 0.1 * np.exp(1j), 1.0, seed=5), 50.0, True)
    assert point.evidence["phase_measured"] is False
    assert point.description.startswith("ENF phase jumps by 57°")


def test_noise_alone_stays_below_the_phase_threshold() -> None:
    """Noise alone gives a side's phasor SNR (``steps.Turn.weaker_snr``) of about 1,
    exponentially spread: in 500 recordings of noise, no step's weaker side reaches
    ``PHASE_SNR``, while hum at half the noise's amplitude (per sample) does on its 8 s sides."""
    bounds = np.array([0, N])
    noise = [
        harmonic_turns(phasors(0, 0, 1.0, seed), JOIN, 8 * BASE_RATE, bounds)[1].weaker_snr
        for seed in range(500)
    ]
    assert 0.3 < np.mean(noise) < 1.2 and max(noise) < PHASE_SNR
    hum = harmonic_turns(phasors(0.5, 0.5j, 1.0, 1), JOIN, 8 * BASE_RATE, bounds)
    assert hum[1].weaker_snr > PHASE_SNR


@pytest.mark.parametrize(
    ("turns_deg", "named"),
    [
        ({1: 178, 2: -4, 3: -175}, "shift by half a mains cycle (10.0 ms)"),
        ({1: -179, 2: 176, 3: 170}, "inverted polarity"),
        ({1: 179, 3: -172}, "or of inverted polarity"),
        ({1: 40, 2: 80, 3: 120}, ""),
        ({1: 178, 2: 60, 3: 175}, ""),
        ({1: 178}, ""),  # the fundamental alone: a turn, no pattern
    ],
)
def test_the_half_cycle_patterns_are_named_only_when_every_harmonic_fits(
    turns_deg: dict[int, float], named: str
) -> None:
    sentence = turn_pattern({h: np.radians(t) for h, t in turns_deg.items()}, 50.0)
    assert (named in sentence) if named else sentence == ""
