"""ENF steps found: the greedy search for steps in the hum phasors and their score.

``enf.steps`` gives the step statistic at every place; this module takes the strongest steps
one at a time, each becoming a boundary for the next, places a step that changes the hum's
level again (``enf.locate``), scores every step again against the others and turns the
evidence into a score. ``enf.check`` runs it on the tracked hum and reports the steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from earwitness.forensics.enf.locate import Phasors, join_near, locate_join, span
from earwitness.forensics.enf.steps import (
    EDGE_S,
    FLOOR_EVIDENCE,
    INFLATION_TOLERANCE,
    MIN_SIDE_S,
    STEP_HALF_WINDOWS_S,
    ends,
    inflation,
    model_error,
    step_evidence,
)
from earwitness.forensics.enf.track import BASE_RATE

HALF_EVIDENCE = 13.0  # evidence scored 0.5 (p ≈ 2e−6 at one place)
EVIDENCE_WIDTH = 1.5
MAX_STEPS = 20
STEADY_EVIDENCE = 3.0  # p ≈ 0.05: the hum between two steps holds one phasor (``find_steps``)
NEAR_S = 2.0  # a join is placed again this near the search's place (also enf.check's cuts)
JOIN_DB = 3.0  # a step where the hum level changes this much joins another recording


class Step(NamedTuple):
    index: int  # type: ignore[assignment]  # baseband sample the step lies just before (shadows tuple.index, never called on a Step)
    evidence: float  # −log p under continuity
    half_s: float  # the window either side that gave it
    left: complex  # mean phasor of the strongest harmonic before the step
    right: complex  # and after
    low: int = 0  # where the step may lie (``span``, ``locate_join``)
    high: int = 0
    possible: tuple[int, int] | None = None  # a join's ``locate.Join.possible``


def find_steps(
    phasors: Phasors, *, correct: bool = True, held: np.ndarray | None = None
) -> list[Step]:
    """The steps in the hum phasors, strongest first.

    Greedy segmentation: the best-supported step over both window lengths is accepted,
    becomes a boundary that later windows may not cross, and the search repeats. So the two
    ends of a copied stretch a second or two long are each tested against flat sides, not
    against a window that also holds the other end. Finally each step is scored again with
    every other step as a boundary (the best evidence between where the search had it and
    where it was placed); one by one, weakest first, a step below ``FLOOR_EVIDENCE`` or one
    that a neighbour explains better alone is dropped and the rest scored again. The 8 s
    windows gather the most hum (weak hum needs them); the 4 s ones suffer less from the
    grid's untracked wander. A step that changes the hum's level is moved to where
    ``locate_join`` places it as soon as it is accepted, so later windows stop at the join.
    Each step's span is then the narrowest of the windows that see it (``narrowed``).
    """
    n = len(phasors[0][1])
    edge = round(EDGE_S * BASE_RATE)
    if n < 2 * edge + 4 * round(MIN_SIDE_S * BASE_RATE):
        return []
    unsteady = inflation(phasors, held)
    inflated = max(unsteady / INFLATION_TOLERANCE, 1.0) if correct else 1.0
    usable = ends(n, unsteady <= INFLATION_TOLERANCE)

    def scan(bounds: list[int], around: tuple[int, int] = (0, n)) -> Step:
        """The best step over both window lengths (between samples ``around`` only)."""
        top = Step(0, 0.0, 0.0, 0j, 0j)
        for half_s in STEP_HALF_WINDOWS_S:
            evidence, left, right = step_evidence(
                phasors,
                round(half_s * BASE_RATE),
                np.array(sorted([*usable, *bounds])),
                inflated,
                held,
            )
            where = around[0] + int(np.argmax(evidence[around[0] : around[1] + 1]))
            if evidence[where] > top.evidence:
                sides = complex(left[where]), complex(right[where])
                top = Step(where, float(evidence[where]), half_s, *sides, *span(evidence, where))
        return top

    def located(found: Step, others: list[int]) -> Step:
        """``found`` moved to the change of hum level near it, where there is one."""
        bounds = np.array(sorted([edge, n - edge, *others]))
        if abs(level_change_db(found)) < JOIN_DB:
            return found
        fixed = locate_join(phasors, found.index, found.half_s, bounds, MIN_SIDE_S, NEAR_S)
        if fixed is None:
            return found
        return found._replace(**fixed._asdict())

    def narrowed(step: Step, others: list[int]) -> Step:
        """``step`` with the narrowest span among the windows that see it on their own,
        widened to where the likelihood of one fixed stretch places it (``join_near``). The
        long window sees weak hum best, but its statistic runs level for seconds beside a
        strong turn, since its windows hold the turn wherever they lie near it: a 178° turn
        under 9 dB hum got a 3.4 s span from the 8 s window, the cut at one end of it; the
        4 s window's span was 0.15 s and held the cut. Where the hum is too weak to place
        the turn, though, the shorter window's peak is as narrow and falls where the noise
        puts it: a 154° turn under hum 4 dB below its band, at 3.17 s, got 4.2–4.7 s. The
        fixed stretch's likelihood is flat over such seconds (2.5–4.7 s there), and the span
        says so. Under strong hum it adds little: over the tamper benchmark the spans' median
        stayed 0.5 s (their 90th percentile went from 0.9 to 1.1 s).
        Where the hum is so strong that its own wander (κ) outweighs its noise
        (``wander_bound``), the sliding statistic is capped, and it runs level wherever its
        windows weigh little, as over seconds of speech next to the turn: b035's 171° turn
        through AAC 32, hum 21.6 dB, got 21.95–23.6 s from the 4 s window for a cut at
        21.91 s. The fixed stretch weighs each sample by its own noise and placed it at
        21.9–21.95 s. There, if the two overlap, the span is the fixed stretch's, stretched
        to the search's place (a drift beside a turn moves the fixed stretch's best place a
        few samples)."""
        if abs(level_change_db(step)) >= JOIN_DB:
            return step  # placed by locate_join
        bounds = np.array(sorted([*usable, *others]))
        low, high = step.low, step.high
        for half_s in STEP_HALF_WINDOWS_S:
            if half_s >= step.half_s:
                continue
            evidence, _, _ = step_evidence(
                phasors, round(half_s * BASE_RATE), bounds, inflated, held
            )
            if evidence[step.index] < FLOOR_EVIDENCE:
                continue
            short_low, short_high = span(evidence, step.index)
            if short_high - short_low < high - low:
                low, high = short_low, short_high
        fixed = join_near(phasors, step.index, step.half_s, bounds, MIN_SIDE_S, NEAR_S)
        if fixed is None:
            return step._replace(low=low, high=high)
        if wander_bound(step) and fixed.low <= high and low <= fixed.high:
            return step._replace(low=min(fixed.low, step.index), high=max(fixed.high, step.index))
        return step._replace(low=min(low, fixed.low), high=max(high, fixed.high))

    def wander_bound(step: Step) -> bool:
        """Whether the strongest harmonic's own wander (κ times its power) outweighs its
        noise over the step's windows (``enf.steps.step_evidence``)."""
        harmonic, _, variance = phasors[0]
        half = round(step.half_s * BASE_RATE)
        weights = np.concatenate([[0], np.cumsum(1.0 / variance)])
        left = weights[step.index] - weights[max(step.index - half, 0)]
        right = weights[min(step.index + half, n)] - weights[step.index]
        kappa = model_error(harmonic, half)
        power = (abs(step.left) ** 2 + abs(step.right) ** 2) / 2
        return bool(kappa * power > 1 / max(left, 1e-300) + 1 / max(right, 1e-300))

    accepted: list[tuple[Step, int]] = []  # (located step, where the search had it)
    for _ in range(MAX_STEPS):
        found = scan([a.index for a, _ in accepted])
        if found.evidence < FLOOR_EVIDENCE:
            break
        accepted.append((located(found, [a.index for a, _ in accepted]), found.index))

    def rescored(step: Step, searched: int, others: list[int]) -> Step:
        """``step`` scored again with the steps at ``others`` as boundaries: as before, by the
        search's best evidence, here between where the search placed it and where it was
        located (the sliding windows peak off a join)."""
        again = scan(others, (min(step.low, searched), max(step.high, searched)))
        return located(again, others)

    def without(drop: int) -> list[int]:
        return [a.index for i, (a, _) in enumerate(accepted) if i != drop]

    def held_between(first: Step, second: Step) -> bool:
        """Whether the hum between two steps holds one phasor: its two halves compared show
        less than ``STEADY_EVIDENCE``."""
        low, high = sorted((first.index, second.index))
        half = (high - low) // 2
        if half < round(MIN_SIDE_S * BASE_RATE):
            return False
        evidence, _, _ = step_evidence(phasors, half, np.array([low, high]), inflated, held)
        return bool(evidence[low + half] < STEADY_EVIDENCE)

    reach = round(STEP_HALF_WINDOWS_S[-1] * BASE_RATE)
    while True:
        steps = [rescored(a, at, without(i)) for i, (a, at) in enumerate(accepted)]
        # A step found a little off the true one leaves the rest of it as a second step
        # beside it, and scored with the other as a boundary each keeps a side too short to
        # show it (a 160° turn of strong hum once scored 9.5 this way, its twin less). So a
        # step is dropped, weakest first, when it is below the floor or when a step within a
        # window of it, scored without it as a boundary, gains more evidence than the two
        # had together (one step explains the hum better than two); the rest are then
        # scored again. Two real steps do not merge so: each one's window then holds the
        # other's turn, which takes evidence away. Except the two ends of a short stretch
        # whose turns add up: a 1.4 s copy inserted with turns of 104° and 88° scored 99
        # alone (its window saw the hum 192° on) against 44 + 34 as two, and its second end
        # was lost in every codec. So a step scored 0.5 or more with its neighbour as a
        # boundary stays where the hum between the two holds one phasor (its halves differ
        # by less than ``STEADY_EVIDENCE``), as in a copied stretch; a gradual drift cut in
        # two by the search does not hold one.
        drop = None
        for i in sorted(range(len(steps)), key=lambda i: steps[i].evidence):
            if steps[i].evidence < FLOOR_EVIDENCE:
                drop = i
                break
            for j, (other, at) in enumerate(accepted):
                if j == i or abs(other.index - steps[i].index) > reach:
                    continue
                if steps[i].evidence >= HALF_EVIDENCE and held_between(steps[i], steps[j]):
                    continue
                alone = rescored(other, at, [k for k in without(i) if k != other.index])
                if alone.evidence > steps[j].evidence + steps[i].evidence:
                    drop = i
                    break
            if drop is not None:
                break
        if drop is None:
            break
        del accepted[drop]
    final = [narrowed(step, without(i)) for i, step in enumerate(steps)]
    return sorted(final, key=lambda s: -s.evidence)


def score_from_evidence(evidence: float) -> float:
    """One logistic for every file and every hum strength, since the evidence is already a
    tail probability: ``HALF_EVIDENCE`` gives 0.5, 4.4 more (p 80 times smaller) 0.95. The
    clean files of the tamper benchmark reach about 12 at most (1.2 h of audio); 13 keeps a
    margin for longer recordings."""
    return float(1 / (1 + np.exp(-(evidence - HALF_EVIDENCE) / EVIDENCE_WIDTH)))


def level_change_db(step: Step) -> float:
    """How much stronger the hum is after the step than before it, dB."""
    return float(20 * np.log10((abs(step.right) + 1e-30) / (abs(step.left) + 1e-30)))
