"""The greedy step search on synthetic phasors: one turn reported once, two turns twice."""

import numpy as np
import pytest

from earwitness.forensics.enf.search import HALF_EVIDENCE, find_steps
from earwitness.forensics.enf.track import BASE_RATE

N = 40 * BASE_RATE
T = 20 * BASE_RATE


def phasors(
    seed: int, turns: list[tuple[int, float]], amplitude: float = 0.5
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Unit-variance noise on a hum phasor of ``amplitude`` that turns to each angle (degrees
    from the start) at each sample of ``turns``."""
    rng = np.random.default_rng(seed)
    z = (rng.normal(size=N) + 1j * rng.normal(size=N)) * np.sqrt(0.5)
    angle = np.zeros(N)
    for at, degrees in turns:
        angle[at:] = np.radians(degrees)
    return [(1, z + amplitude * np.exp(1j * angle), np.ones(N))]


@pytest.mark.parametrize("seed", range(5))
def test_a_turn_in_two_parts_half_a_second_apart_is_one_strong_step(seed: int) -> None:
    # 100° and then 60° more 0.55 s later: found as two steps, each scored with the other
    # as a boundary keeps a side too short to show its part (evidence 10–12 for seed 3).
    steps = find_steps(phasors(seed, [(T, 100.0), (T + 11, 160.0)]))
    assert len(steps) == 1
    assert steps[0].evidence > 3 * HALF_EVIDENCE
    assert T - BASE_RATE <= steps[0].index <= T + 11 + BASE_RATE


@pytest.mark.parametrize("seed", range(3))
def test_two_turns_three_seconds_apart_stay_two_steps(seed: int) -> None:
    steps = find_steps(phasors(seed, [(T, 160.0), (T + 3 * BASE_RATE, 0.0)]))
    assert sorted(round(s.index / BASE_RATE) for s in steps) == [20, 23]
    assert all(s.evidence > HALF_EVIDENCE for s in steps)


@pytest.mark.parametrize("seed", range(5))
def test_both_ends_of_a_short_inserted_stretch_whose_turns_add_up_stay(seed: int) -> None:
    # A 1.4 s copy inserted with turns of 104° and 88° (the tamper benchmark's b027): one
    # step scored alone sees the hum 192° on and outscored the two scored with each other as
    # a boundary, so the second end was dropped. The hum between them holds one phasor.
    ends = [(T, 104.0), (T + 28, 192.0)]
    steps = find_steps(phasors(seed, ends, amplitude=1.0))
    assert sorted(round(s.index / BASE_RATE, 1) for s in steps) == pytest.approx(
        [20.0, 21.4], abs=0.25
    )
    assert all(s.evidence > HALF_EVIDENCE for s in steps)


@pytest.mark.parametrize("seed", range(5))
def test_a_strong_turn_before_noisy_seconds_is_placed_by_the_fixed_stretch(seed: int) -> None:
    # Strong hum turning by 171° just before 1.5 s of speech (noise 30 times the rest): the
    # sliding windows' statistic, capped by κ, runs level across the noisy seconds (spans of
    # 1.2–1.5 s); the fixed stretch weighs those seconds by their own noise and places the
    # turn (the tamper benchmark's b035 through AAC 32: 21.95–23.6 s for a cut at 21.91 s).
    rng = np.random.default_rng(seed)
    variance = np.ones(N)
    variance[T : T + round(1.5 * BASE_RATE)] = 30.0
    z = (rng.normal(size=N) + 1j * rng.normal(size=N)) * np.sqrt(variance / 2)
    angle = np.where(np.arange(N) >= T, np.radians(171.0), 0.0)
    [step] = find_steps([(1, z + 5.0 * np.exp(1j * angle), variance)])
    assert step.low <= T <= step.high
    assert (step.high - step.low) / BASE_RATE <= 0.5


def test_a_strong_turn_after_a_drift_gets_the_short_windows_span() -> None:
    # The phasor drifts by 90° over the 4 s before a 178° turn: the 8 s window's statistic
    # runs level over 1.5 s before the turn (its span was 22.65–24.2 s), the 4 s window's
    # does not.
    rng = np.random.default_rng(0)
    z = (rng.normal(size=N) + 1j * rng.normal(size=N)) * np.sqrt(0.5)
    turn = 24 * BASE_RATE
    angle = np.zeros(N)
    angle[turn - 4 * BASE_RATE : turn] = np.linspace(0.0, np.pi / 2, 4 * BASE_RATE)
    angle[turn:] = np.radians(178.0)
    steps = find_steps([(1, z + np.exp(1j * angle), np.ones(N))])
    assert len(steps) == 1
    step = steps[0]
    assert step.half_s == 8.0  # the long window found it
    assert step.low <= turn <= step.high
    assert (step.high - step.low) / BASE_RATE <= 0.5


def weak_phasors(
    seed: int, turn: int, noisy: tuple[int, int], amplitude: float = 0.5
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """Unit-variance noise on a hum phasor that turns by 150° at ``turn``; between the
    samples ``noisy`` the noise is 20 dB stronger (a loud stretch of speech over the hum)."""
    rng = np.random.default_rng(seed)
    variance = np.ones(N)
    variance[noisy[0] : noisy[1]] = 100.0
    z = (rng.normal(size=N) + 1j * rng.normal(size=N)) * np.sqrt(variance / 2)
    angle = np.where(np.arange(N) >= turn, np.radians(150.0), 0.0)
    return [(1, z + amplitude * np.exp(1j * angle), variance)]


@pytest.mark.parametrize("seed", range(5))
def test_a_turn_3_s_in_is_judged_on_the_seconds_before_it(seed: int) -> None:
    # Speech hides the hum from 1.5 s to the turn at 3 s: only the file's first 1.5 s show
    # the hum before it, where no step may be placed but a side may reach. (With sides cut
    # at 1.5 s, none of these turns was found.)
    turn = 3 * BASE_RATE
    steps = find_steps(weak_phasors(seed, turn, (round(1.5 * BASE_RATE), turn), 0.6))
    assert len(steps) == 1 and steps[0].evidence > HALF_EVIDENCE
    assert steps[0].low - BASE_RATE // 2 <= turn <= steps[0].high + BASE_RATE // 2


def test_the_span_covers_the_seconds_too_noisy_to_place_a_turn() -> None:
    # Under the loud second either side of the turn the hum cannot say where it turned: the
    # span must hold the turn, not a narrow peak that the noise put somewhere in there. With
    # the sliding windows' span alone, 2 of these 8 draws held it; with the fixed stretch's
    # likelihood, 7 (in the eighth, noise just before the loud stretch looks turned).
    held = 0
    for seed in range(8):
        steps = find_steps(weak_phasors(seed, T, (T - BASE_RATE, T + BASE_RATE)))
        assert len(steps) == 1 and steps[0].evidence > HALF_EVIDENCE
        held += steps[0].low <= T <= steps[0].high
        assert (steps[0].high - steps[0].low) / BASE_RATE <= 3.0
    assert held >= 7
