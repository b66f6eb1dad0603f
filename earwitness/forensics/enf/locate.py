"""Where an ENF step lies: the stretch of the hum phasors a step may be in.

``enf.check`` finds steps with windows that slide with the candidate place; that test is
built for detection (its ``κ`` keeps strong hum from making a few hundredths of a radian
significant) and gives a place good enough for a step in phase. Where the hum starts or
stops (a join with a recording made without hum, or with much weaker hum) it is not: every
place on the hum-free side looks about as good as the join, and a word beside the join pulls
the maximum seconds away. ``locate_join`` places such a step again, in one fixed stretch.
"""

from __future__ import annotations

import numpy as np

from earwitness.forensics.enf.track import BASE_RATE

Phasors = list[tuple[int, np.ndarray, np.ndarray]]  # (harmonic, phasor, variance) per harmonic
LOCATE_DROP = 1.0  # evidence lost at the ends of a step's interval (see span)
# The same for a join's likelihood (see locate_join). It moves by about one unit from one
# 0.05 s sample to the next where the hum is weak, so a drop of 1 is overconfident: in
# synthetic hum-free/hummed joins its span missed the join in 3 of 8, a drop of 3 in none
# (while staying under 0.7 s where the hum is 12 dB above its band).
JOIN_DROP = 3.0


def span(evidence: np.ndarray, at: int, drop: float = LOCATE_DROP) -> tuple[int, int]:
    """The stretch around ``at`` where the evidence stays within ``drop`` of its value there:
    where the step may lie. Inside a loud word the hum is barely measured, so the likelihood
    is flat across it and a single best sample would be arbitrary. A drop of 1 (likelihood
    ratio e) makes roughly an 85 % interval where the likelihood is smooth."""
    outside = np.flatnonzero(evidence < evidence[at] - drop)
    slot = np.searchsorted(outside, at)
    low = int(outside[slot - 1]) + 1 if slot > 0 else 0
    high = int(outside[slot]) - 1 if slot < len(outside) else len(evidence) - 1
    return low, high


def locate_join(
    phasors: Phasors,
    at: int,
    half_s: float,
    bounds: np.ndarray,
    min_side_s: float,
    near_s: float,
) -> tuple[int, int, int, complex, complex] | None:
    """(index, low, high, left mean, right mean) of a step that changes the hum's level,
    found near baseband sample ``at``; None where there is no room to look.

    The stretch is fixed: ``half_s`` either side of ``at``, cut short at ``bounds`` (sorted
    sample indices: the usable ends and the other steps). In it the likelihood of "one
    phasor before t, another after" is, up to a constant, Σ |S_L(t)|²/W_L(t) +
    |S_R(t)|²/W_R(t), S and W the noise-weighted sums and summed weights either side,
    harmonics summed. Because the stretch does not move with t, its differences between
    places are log-likelihood ratios of one place against another, which a sliding window
    never gives. It is searched within ``near_s`` of ``at`` (a join the search placed further
    off is rare, and a wider search would let a word's own coherent burst win), each side at
    least ``min_side_s``; low and high: where it stays within ``JOIN_DROP`` of its best.

    No ``κ`` here: it would cap this likelihood exactly as it caps the search's. It is meant
    for joins (the level changes), not for a turn within one recording, where the phasor's
    own wander over the stretch would move the best place more than the noise does."""
    slot = int(np.searchsorted(bounds, at, side="right"))
    half = round(half_s * BASE_RATE)
    start = max(at - half, int(bounds[max(slot - 1, 0)]))
    end = min(at + half, int(bounds[min(slot, len(bounds) - 1)]))
    shortest = round(min_side_s * BASE_RATE)
    near = round(near_s * BASE_RATE)
    places = np.arange(max(start + shortest, at - near), min(end - shortest, at + near) + 1)
    if len(places) == 0:
        return None
    total = np.zeros(len(places))
    means: list[np.ndarray] = []
    cut = places - start
    for _, z, variance in phasors:
        weight = 1.0 / variance[start:end]
        sums = np.concatenate([[0], np.cumsum(weight * z[start:end])])
        weights = np.concatenate([[0], np.cumsum(weight)])
        left_w, right_w = weights[cut], weights[-1] - weights[cut]
        left, right = sums[cut] / left_w, (sums[-1] - sums[cut]) / right_w
        total += np.abs(left) ** 2 * left_w + np.abs(right) ** 2 * right_w
        means = means or [left, right]
    best = int(np.argmax(total))
    low, high = span(total, best, JOIN_DROP)
    return (
        int(places[best]),
        int(places[low]),
        int(places[high]),
        complex(means[0][best]),
        complex(means[1][best]),
    )
