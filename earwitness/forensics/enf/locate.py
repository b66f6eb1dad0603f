"""Where an ENF step lies: the stretch of the hum phasors a step may be in.

``enf.check`` finds steps with windows that slide with the candidate place; that test is
built for detection (its ``κ`` keeps strong hum from making a few hundredths of a radian
significant) and gives a place good enough for a step in phase. Where the hum starts or
stops (a join with a recording made without hum, or with much weaker hum) it is not: every
place on the hum-free side looks about as good as the join, and a word beside the join pulls
the maximum seconds away. ``locate_join`` places such a step again, in one fixed stretch.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from earwitness.forensics.enf.track import BASE_RATE

Phasors = list[tuple[int, np.ndarray, np.ndarray]]  # (harmonic, phasor, variance) per harmonic
LOCATE_DROP = 1.0  # evidence lost at the ends of a step's interval (see span)
# The same for a join's likelihood (see locate_join). It moves by about one unit from one
# 0.05 s sample to the next where the hum is weak, so a drop of 1 is overconfident: in
# synthetic hum-free/hummed joins its span missed the join in 3 of 8, a drop of 3 in none
# (while staying under 0.7 s where the hum is 12 dB above its band).
JOIN_DROP = 3.0
# A join is followed beyond its first range (locate_join) only where the hum on one side is
# at most a quarter of the other's: next to absent, so that side gives every place alike.
# Followed at −8 dB, a join with hum on both sides was moved 1.8 s into the stronger hum.
FOLLOW_DB = 12.0


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


class Join(NamedTuple):
    """A step that changes the hum's level, placed in one fixed stretch (``join_near``)."""

    index: int  # type: ignore[assignment]  # the place (shadows tuple.index, never called)
    low: int  # the stretch around it within ``JOIN_DROP`` of its likelihood
    high: int
    left: complex  # mean phasor of the strongest harmonic before it
    right: complex  # and after
    possible: tuple[int, int]  # the first and last places searched within ``JOIN_DROP``


def locate_join(
    phasors: Phasors,
    at: int,
    half_s: float,
    bounds: np.ndarray,
    min_side_s: float,
    near_s: float,
) -> Join | None:
    """The ``Join`` of a step that changes the hum's level, found near baseband sample
    ``at`` (``join_near``), following the likelihood further where it is best at the end of
    the searched range; None where there is no room to look.

    Where the hum stops and the other side is noisier (another recording, often louder
    background), the sliding windows of the search see every place on that side about as
    well and may peak several seconds into it: in the tamper benchmark a hum that stopped at
    38.6 s was searched at 43.6 s and reported at 41.6 s, the end of the range. So while the
    best place is the end of the range, the search is repeated from there, a new fixed
    stretch around it, and its answer taken while it keeps moving the same way; it never
    travels more than ``half_s`` from ``at``, since the window that found the step reached
    no further. Wherever the best place lies inside a range, it stands as before (moving on
    from the outer half of a range, tried too, pulled a join into the hum that starts
    there). Only where the hum next to stops or starts (``FOLLOW_DB``)."""
    near = round(near_s * BASE_RATE)
    reach = round(half_s * BASE_RATE)
    found = join_near(phasors, at, half_s, bounds, min_side_s, near_s)
    centre = at
    while found is not None:
        if abs(20 * np.log10((abs(found.right) + 1e-30) / (abs(found.left) + 1e-30))) < FOLLOW_DB:
            break  # hum on both sides: the sliding windows see the join itself
        # Best at the end of the searched range: the likelihood may rise beyond it.
        if found.index <= centre - near:
            edge = centre - near
        elif found.index >= centre + near:
            edge = centre + near
        else:
            break
        if abs(edge - at) > reach:
            break
        further = join_near(phasors, edge, half_s, bounds, min_side_s, near_s)
        # Followed only while the best place keeps moving the same way.
        if further is None or (further.index - found.index) * (edge - centre) <= 0:
            break
        centre, found = edge, further
    return found


def join_near(
    phasors: Phasors,
    at: int,
    half_s: float,
    bounds: np.ndarray,
    min_side_s: float,
    near_s: float,
) -> Join | None:
    """The ``Join`` of a step that changes the hum's level, found within ``near_s`` of
    baseband sample ``at``; None where there is no room to look.

    The stretch is fixed: ``half_s`` either side of ``at``, cut short at ``bounds`` (sorted
    sample indices: the usable ends and the other steps). In it the likelihood of "one
    phasor before t, another after" is, up to a constant, Σ |S_L(t)|²/W_L(t) +
    |S_R(t)|²/W_R(t), S and W the noise-weighted sums and summed weights either side,
    harmonics summed. Because the stretch does not move with t, its differences between
    places are log-likelihood ratios of one place against another, which a sliding window
    never gives. It is searched within ``near_s`` of ``at`` (a join the search placed further
    off is rare, and a wider search would let a word's own coherent burst win), each side at
    least ``min_side_s``; low and high: where it stays within ``JOIN_DROP`` of its best.

    Where the hum on one side is weak, the likelihood is bumpy: it may fall more than
    ``JOIN_DROP`` below its best and rise back within it further on, and the true join may
    lie at that second bump. The stretch around the best held the join for 92 of the 114
    joins the tamper benchmark's ENF check reported near one, the first and last places
    within ``JOIN_DROP`` anywhere in the searched range for 106. Both are returned: ``low``
    and ``high`` place the join, ``possible`` says how far the hum leaves it open.

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
    within = np.flatnonzero(total >= total[best] - JOIN_DROP)
    return Join(
        int(places[best]),
        int(places[low]),
        int(places[high]),
        complex(means[0][best]),
        complex(means[1][best]),
        (int(places[within[0]]), int(places[within[-1]])),
    )
