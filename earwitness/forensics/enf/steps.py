"""ENF steps: the likelihood-ratio test of "another hum phasor after t", at every t.

Pure functions on the harmonics' phasors (``enf.track.harmonic_phasors``): the noise model
with spikes discounted (``outlier_variance``), the step statistic and its evidence
(``step_evidence``), and the correction for files whose line is unsteady throughout
(``inflation``). ``enf.check`` searches and reports the steps.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import special

from earwitness.forensics.enf.locate import Phasors
from earwitness.forensics.enf.track import BASE_RATE

STEP_HALF_WINDOWS_S = (4.0, 8.0)  # hum compared this long either side of a step
MIN_SIDE_S = 0.5  # shortest side a step is judged on (copied stretches are longer)
EDGE_S = 1.5  # no step is placed this near either end: the filters' transients are there
REACH_S = 0.25  # but the sides of a step may reach this near the ends (``ends``)
MODEL_ERROR = 0.01  # κ: relative wander of the fundamental's mean phasor (about 0.1 rad)
WANDER_HZ = 0.003  # untracked frequency wander: phase drift grows with the window
HELD_RAMP = 0.0011  # Hz/s: the grid's RMS ramp where the track's frequency is held
BLOCK_S = 0.25  # blocks compared by outlier_variance
SPIKE_RATIO = 2.0  # a block this far (in expected differences) from both neighbours is a spike
# The tamper benchmark's hummed files, clean or edited, run up to 1.33 times the model in the
# final test (their real steps, the track's bends around them); only inflation beyond this
# is taken for a line less steady than mains hum (``inflation``).
INFLATION_TOLERANCE = 1.5
FLOOR_EVIDENCE = 8.0  # below this (p ≈ 3e−4 at one place) a step is not reported at all


def _log_tail(total: np.ndarray, dof: int) -> np.ndarray:
    """−log P(Γ(dof, 1) > total): the evidence against continuity of a summed GLR statistic
    (closed form for whole ``dof``, exact far into the tail where ``gammaincc`` underflows)."""
    total = np.maximum(total, 0.0)
    series = np.zeros_like(total)
    term = np.ones_like(total)
    for k in range(dof):
        if k:
            term = term * total / k
        series += term
    return total - np.log(series)


def outlier_variance(z: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """``variance`` raised where the phasor jumps away and comes back: a spike, not a step.

    The noise model behind ``variance`` is the noise next to the harmonic, assumed white. A
    voice harmonic gliding through the hum frequency, or a thump, puts slowly varying energy
    right on the hum that the model does not see, and its samples would then count as if they
    were precise. So the phasor is averaged over blocks of ``BLOCK_S``; each block is compared
    with the block before and the one after, against the difference the model expects (r is
    Exp(1) under the model). A block far from both neighbours is an outlier, and its samples'
    variance is raised by the smaller of the two ratios (over ``SPIKE_RATIO``). A real step
    differs from only one neighbour, so it is left alone: the test stays sharp for steps and
    deaf to spikes. In the tamper benchmark this alone removed every false edit point on
    clean files.
    """
    size = max(round(BLOCK_S * BASE_RATE), 1)
    count = len(z) // size
    if count < 3:
        return variance
    weight = 1.0 / variance[: count * size].reshape(count, size)
    total = weight.sum(axis=1)
    mean = (z[: count * size].reshape(count, size) * weight).sum(axis=1) / total
    ratio = np.abs(np.diff(mean)) ** 2 / (1 / total[1:] + 1 / total[:-1])
    both = np.minimum(np.concatenate([[0.0], ratio]), np.concatenate([ratio, [0.0]]))
    scale = np.ones(len(z))
    scale[: count * size] = np.repeat(np.maximum(both / SPIKE_RATIO, 1.0), size)
    return variance * scale


def step_evidence(
    phasors: Phasors,
    half: int,
    bounds: np.ndarray,
    inflation: float = 1.0,
    held: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evidence for a step between samples i−1 and i, at every i, from windows of ``half``
    samples each side cut short at ``bounds`` (sorted sample indices: the file's usable ends
    and the steps already found, so each side is one continuous stretch); also the weighted
    side means of the first (strongest) harmonic, for the jump's size and the level change.

    Per harmonic, the generalised likelihood ratio of "one phasor before, another after"
    against "one phasor throughout", each sample weighted by its noise variance:
    Δ = |m_L − m_R|² / (1/W_L + 1/W_R + κ·(|m_L|² + |m_R|²)/2), m a side's weighted mean, W
    its summed weight. Without κ, Δ is Exp(1) under continuity whatever the hum's strength:
    weak hum is judged against the phase noise its own SNR implies, and a short burst inside
    one side barely moves that side's mean, so a spike is not a step. κ is what the model
    leaves out, the phasor's own wander: a fixed part (``MODEL_ERROR``) and the drift that
    untracked frequency wander (``WANDER_HZ``) adds over the window; harmonic h wanders h
    times as far, so its κ is h² times the fundamental's. It caps the statistic for strong
    hum, where a few hundredths of a radian would otherwise look significant (on ENF-WHU's
    hum-only references, a κ not grown with h let the grid's faster ramps pass as steps in
    6 of 12 ten-minute stretches; grown, 3, and those were the second harmonic's own turns
    that ``consistent_statistic`` now discounts). ``held`` (``held_drift``): the phase that
    holding the track's frequency near the ends of the file may add; the difference of its
    means over the two sides, h times, is added to κ's part of the spread.
    Harmonics carry independent noise, so their Δ may add (harmonic h turns by h times the
    fundamental's jump, and each one's own SNR weights it), but only as far as an edit
    explains them (``consistent_statistic``): one harmonic turning on its own is not an
    edit. The full sum is Γ(H, 1) under continuity and bounds this one, so the
    evidence, −log of the Γ(H, 1) tail probability, is conservative; the statistic is first
    divided by the file's ``inflation`` (see ``inflation``).
    """
    _, valid, left, right, (deltas, crosses) = _step_statistic(phasors, half, bounds, held)
    orders = np.array([harmonic for harmonic, _, _ in phasors])
    consistent = consistent_statistic(deltas, crosses, orders)
    evidence = _log_tail(consistent / inflation, len(phasors))
    return np.where(valid, evidence, 0.0), left, right


TURNS = 144  # candidate time shifts per mains cycle (2.5° of the fundamental)


def consistent_statistic(deltas: np.ndarray, crosses: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """The part of the harmonics' summed step statistic that an edit can explain, at every i.

    ``deltas`` (H × places): each harmonic's Δ, the strongest harmonic first; ``crosses``:
    conj(m_L)·m_R over Δ's denominator; ``orders``: the harmonics' numbers.

    On ENF-WHU's hum-only references nearly every false step was the second harmonic turning
    on its own by 90–170° while the fundamental and the third harmonic, 40–50 dB more
    precise, stayed put to a degree: the grid's even harmonic follows the loads, not the
    generators. No edit does that. A cut or an insertion within one recording shifts its
    time base, which turns harmonic h by h times the fundamental's turn (a third of a cycle
    leaves the third harmonic where it was); a join of another recording changes the hum as
    a whole, its strongest harmonic too. So the statistic is the larger of
    - the time-shift fit: max over θ of Σ_h Δ_h − |m_L·e^{ihθ} − m_R|²/(Δ's denominator),
      the evidence for one common turn (θ on a grid of ``TURNS`` per cycle);
    - the join: Σ_h min(Δ_h, Δ_strongest), no harmonic counting for more than the strongest
      one shows. (This alone, tried too, lost b014's deletion in the tamper set: the cut
      turned the fundamental 132° and the strongest harmonic, the third, 36°.)
    Both are at most Σ Δ_h.
    """
    join = np.minimum(deltas, deltas[0]).sum(axis=0)
    shift = np.zeros_like(join)
    # Only where another harmonic shows more than the strongest can the fit add to the join.
    todo = np.flatnonzero(deltas.sum(axis=0) > join)
    turns = np.exp(-1j * np.outer(orders, np.arange(TURNS) * 2 * np.pi / TURNS))
    for chunk in np.array_split(todo, max(len(todo) // 4096, 1)):
        gains = 2 * (crosses[:, chunk].T @ turns).real
        shift[chunk] = gains.max(axis=1) - 2 * crosses[:, chunk].real.sum(axis=0)
    return np.maximum(join, shift)


def model_error(harmonic: int, half: int) -> float:
    """κ of harmonic ``harmonic`` for sides of ``half`` samples: the phasor's own relative
    wander, a fixed part and the drift of untracked frequency wander over the window."""
    return (MODEL_ERROR + (2 * np.pi * WANDER_HZ * half / BASE_RATE) ** 2) * harmonic**2


def _step_statistic(
    phasors: Phasors, half: int, bounds: np.ndarray, held: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """The summed Δ of ``step_evidence`` at every i (0 where not valid), where it is valid,
    the strongest harmonic's side means, and per harmonic (H × places) Δ and conj(m_L)·m_R
    over Δ's denominator (``consistent_statistic``)."""
    n = len(phasors[0][1])
    index = np.arange(n + 1)
    slot = np.searchsorted(bounds, index, side="right")
    start = np.maximum(index - half, bounds[np.clip(slot - 1, 0, len(bounds) - 1)])
    end = np.minimum(index + half, bounds[np.clip(slot, 0, len(bounds) - 1)])
    shortest = round(MIN_SIDE_S * BASE_RATE)
    valid = (index - start >= shortest) & (end - index >= shortest)
    valid &= (slot > 0) & (slot < len(bounds))
    edge = round(EDGE_S * BASE_RATE)
    valid &= (index >= edge) & (index <= n - edge)
    start, end = np.where(valid, start, index), np.where(valid, end, index)
    deltas = np.zeros((len(phasors), n + 1))
    crosses = np.zeros((len(phasors), n + 1), dtype=complex)
    means: list[np.ndarray] = []
    for row, (harmonic, z, variance) in enumerate(phasors):
        kappa = model_error(harmonic, half)
        weight = 1.0 / variance
        sums = np.concatenate([[0], np.cumsum(weight * z)])
        weights = np.concatenate([[0], np.cumsum(weight)])
        left_w = np.maximum(weights[index] - weights[start], 1e-300)
        right_w = np.maximum(weights[end] - weights[index], 1e-300)
        left = (sums[index] - sums[start]) / left_w
        right = (sums[end] - sums[index]) / right_w
        power = (np.abs(left) ** 2 + np.abs(right) ** 2) / 2
        spread = 1 / left_w + 1 / right_w + kappa * power
        if held is not None:
            drifts = np.concatenate([[0], np.cumsum(weight * held[: len(z)])])
            left_drift = (drifts[index] - drifts[start]) / left_w
            right_drift = (drifts[end] - drifts[index]) / right_w
            spread = spread + (harmonic * (left_drift - right_drift)) ** 2 * power
        deltas[row] = np.where(valid, np.abs(left - right) ** 2 / spread, 0.0)
        crosses[row] = np.where(valid, np.conj(left) * right / spread, 0.0)
        means = means or [left, right]
    return deltas.sum(axis=0), valid, means[0], means[1], (deltas, crosses)


class Turn(NamedTuple):
    """How one harmonic's phasor turns at a step, and how well its phase is measured."""

    angle: float  # radians, within ±π
    # |Σ w·z|² / Σ w on the side where the harmonic is weaker: its phasor's SNR, about 1 for
    # noise alone, so its phase is known within about 1 / √(2 · snr) radians.
    weaker_snr: float


def harmonic_turns(phasors: Phasors, index: int, half: int, bounds: np.ndarray) -> dict[int, Turn]:
    """How far each harmonic's phasor turns at a step just before sample ``index``: the
    noise-weighted means over ``half`` samples either side, cut short at ``bounds`` (sorted
    sample indices), compared."""
    slot = int(np.searchsorted(bounds, index, side="right"))
    start = max(index - half, int(bounds[slot - 1]) if slot > 0 else 0)
    end = min(index + half, int(bounds[slot]) if slot < len(bounds) else len(phasors[0][1]))
    turns = {}
    for harmonic, z, variance in phasors:
        weight = 1.0 / variance
        left = np.sum(weight[start:index] * z[start:index])
        right = np.sum(weight[index:end] * z[index:end])
        sides = (
            abs(total) ** 2 / max(float(np.sum(w)), 1e-300)
            for total, w in ((left, weight[start:index]), (right, weight[index:end]))
        )
        turns[harmonic] = Turn(float(np.angle(right * np.conj(left))), float(min(sides)))
    return turns


def ends(n: int, steady: bool) -> list[int]:
    """The first and last of ``n`` baseband samples that the sides of a step may use: to
    ``REACH_S`` of either end where the line is as steady as mains hum, to ``EDGE_S`` where
    it is not (``inflation``).

    No step is placed within ``EDGE_S`` of an end, but its sides may reach further. Only
    the first and last baseband samples carry a filter's error in phase or level; the noise
    model's own transient (its high-pass settling) raises the variance over the first second
    or so, so those samples count less by themselves. Sides cut at ``EDGE_S`` lost the hum's
    best seconds before a deletion 3.2 s into a file in the tamper benchmark (b003, in all
    nine codecs), and with them the deletion.
    Within half a frame of either end the track is held at its first or last point, not
    measured. Mains hum drifts little over those 8 s; a less steady line can. A real
    recording's line at 120 Hz, its statistic 3.3 times the model's, turned by 100° over its
    first 4 s against the held frequency, and sides reaching into its first second made that
    a step (score 0.69); cut at ``EDGE_S`` they see 9 units of evidence, not 14."""
    margin = round((REACH_S if steady else EDGE_S) * BASE_RATE)
    return [margin, n - margin]


def held_drift(times: np.ndarray, n: int) -> np.ndarray:
    """Per baseband sample (``n`` of them), the phase in radians of the fundamental that
    holding the track's frequency may leave there, as one standard deviation: π·r·d² at d
    seconds beyond the track's first or last point (``times``), r = ``HELD_RAMP``.

    The track's first and last points lie half a frame in from the ends, and the frequency
    is held beyond them while the grid keeps moving; a ramp of r Hz/s turns the phasor by
    π·r·d² there. Against a steady phasor that looks like a step where the hum is strong:
    the end of one ENF-WHU reference turned 21° within its last 4 s, and a 30 dB hum of
    the tamper benchmark 20° over its first 4 s, where it became a cut that the tracking
    followed instead of the file's second real edit. The drift is one error common to a
    whole side, not noise that averages out, so it enters the step statistic as κ does
    (``step_evidence``). On 65 of ENF-WHU's real mains references, holding the tracked
    frequency for 2, 4, 6 and 8 s left the phase off by 0.02, 0.07, 0.13 and 0.22 rad RMS:
    π·r·d² with r about 1.1 mHz/s (the 99th percentile is about three times the RMS)."""
    at = np.arange(n) / BASE_RATE
    if not len(times):
        return np.zeros(n)
    beyond = np.maximum(np.maximum(times[0] - at, at - times[-1]), 0.0)
    return np.minimum(np.pi * HELD_RAMP * beyond**2, np.pi)


def inflation(phasors: Phasors, held: np.ndarray | None = None) -> float:
    """How far the step statistic runs above the noise model everywhere in the file (≥ 1).

    The model holds for mains hum: a steady line whose phasor moves only with the noise
    beside it and the grid's slow wander. Some lines that pass as hum are not that steady:
    a tape machine's buzz, or mains hum under a phone's automatic gain or noise suppression,
    whose level follows the speech. Against the model such a line "steps" every second, and
    each step would be scored as certain. So, as genetic association studies correct a
    test statistic inflated throughout (genomic control, Devlin & Roeder 1999), the median
    of the statistic over every place in the file (4 s either side) is compared with its
    median under the model, the Γ(H, 1) median. A few real steps barely move a median: the
    tamper benchmark's hummed files, clean or edited, reach 1.33 at most, and ``enf.check``
    divides only by the excess over its tolerance.

    In a short file one step does move it: its 4 s windows see the step from nearly half of
    the places. The deletion 5.7 s into b005's 20.5 s truncated copies ran the median to
    1.85 times the model's and divided its evidence away (scored 0.26 where the full file
    gave 0.94). So the places whose windows hold the strongest step (evidence of at least
    ``FLOOR_EVIDENCE``, a reported step's) are set aside, and the rest's median is taken
    where the rest is as steady as mains hum (within ``INFLATION_TOLERANCE``) and spans at
    least two windows.
    Only one step: a real 120 Hz line that moves with the speech (pyannote's sample as a
    32 kbit/s MP3) looked steady once its two strongest places were set aside, and its
    third became an edit point scored 0.68. A 10 s FLEURS clip whose 60 Hz line turns once
    keeps its whole median: beside the turn too few places are left to judge the rest.
    """
    n = len(phasors[0][1])
    edge = round(EDGE_S * BASE_RATE)
    if n < 2 * edge + 4 * round(MIN_SIDE_S * BASE_RATE):
        return 1.0
    half = round(STEP_HALF_WINDOWS_S[0] * BASE_RATE)
    total, valid, _, _, _ = _step_statistic(phasors, half, np.array([edge, n - edge]), held)
    if not valid.any():
        return 1.0
    expected = float(special.gammaincinv(len(phasors), 0.5))
    whole = float(np.median(total[valid])) / expected
    peak = int(np.argmax(np.where(valid, total, -1.0)))
    away = valid & (np.abs(np.arange(n + 1) - peak) > half)
    strong = _log_tail(total[peak : peak + 1], len(phasors))[0] >= FLOOR_EVIDENCE
    if strong and away.sum() >= 2 * half:
        rest = float(np.median(total[away])) / expected
        if rest <= INFLATION_TOLERANCE:
            return max(1.0, min(whole, rest))
    return max(1.0, whole)
