"""ENF steps as the report states them: place, span, phase jump, change of level, in words.

``enf.search`` finds the steps; this turns each into an edit-point finding, saying only what
the hum measures. A phase jump needs the hum's phase on both sides: where a join leaves one
side's hum too weak for its phase to be known (``PHASE_SNR``), or next to absent
(``ABSENT_DB``), the finding names the change of level and gives no angle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from earwitness.forensics.enf.locate import Phasors
from earwitness.forensics.enf.search import (
    JOIN_DB,
    MAX_STEPS,
    Step,
    level_change_db,
    score_from_evidence,
)
from earwitness.forensics.enf.steps import ends, harmonic_turns
from earwitness.forensics.enf.track import BASE_RATE
from earwitness.forensics.findings import Finding

NAME = "enf"  # the check's name (``enf.check``), which its findings carry
ABSENT_DB = 20.0  # a level change this large: the hum starts or stops there
# A side's phasor SNR (``steps.Turn.weaker_snr``) from which its phase is stated: known
# within about 13° there, and noise alone reaches it once in some 20 000 sides. Below it a
# join's "phase jump" is the angle of noise: in the tamper benchmark a recording without hum
# joined to one with weak hum read "phase jumps by −176°" and "the pattern of a shift by half
# a mains cycle".
PHASE_SNR = 10.0
# A reported span is at least this much either side of the step: with the sliding windows'
# spans alone (LOCATE_DROP), the true edit lay inside about 4 of 5 in the tamper benchmark;
# widened as ``enf.search`` now does, in 250 of its 251 located ENF points.
MIN_HALF_SPAN_S = 0.25
# A join's possible places (``locate.Join.possible``) are named when they reach this much
# beyond the reported span: less would only repeat it.
POSSIBLE_BEYOND_S = 0.1
PATTERN_DEG = 20.0  # harmonics' turns this close to a half-cycle pattern name it (turn_pattern)


def edit_points(steps: list[Step], phasors: Phasors, nominal: float, steady: bool) -> list[Finding]:
    """One edit-point finding per step (the first ``MAX_STEPS``), in time order. ``steady``:
    whether the line is as steady as mains hum (``steps.ends``: how far the sides reach)."""
    harmonic = phasors[0][0]
    first, last = ends(len(phasors[0][1]), steady)
    findings = []
    for step in steps[:MAX_STEPS]:
        # The step lies between sample index−1 and index: half a sample before the latter.
        at = (step.index - 0.5) / BASE_RATE
        low, high = (step.low - 1) / BASE_RATE, step.high / BASE_RATE
        start, end = min(low, at - MIN_HALF_SPAN_S), max(high, at + MIN_HALF_SPAN_S)
        possible = possible_places(step, start, end)
        placed = f"somewhere in {start:.1f}–{end:.1f} s" + (
            f"; the hum is too weak there to rule out {possible[0]:.1f}–{possible[1]:.1f} s"
            if possible
            else ""
        )
        left, right = step.left, step.right
        turn = float(np.angle(right * np.conj(left))) if abs(left) and abs(right) else 0.0
        level_db = level_change_db(step)
        # Harmonic h turns by h times the fundamental's jump: only h = 1 gives it uniquely.
        jump = turn / harmonic
        others = sorted(s.index for s in steps if s is not step)
        turns = harmonic_turns(
            phasors, step.index, round(step.half_s * BASE_RATE), np.array([first, *others, last])
        )
        chance = (
            f"noise alone gives a step this large at one place with probability about "
            f"{np.exp(-step.evidence):.0e}."
        )
        measured = {h: t for h, t in turns.items() if t.weaker_snr >= PHASE_SNR}
        # A join: the weaker side may hold noise alone. A turn (the level kept) is as well
        # measured on both sides as its evidence says, if only over the other harmonics.
        joined = abs(level_db) >= JOIN_DB and harmonic not in measured
        if abs(level_db) >= ABSENT_DB or joined:
            text = _level_text(at, placed, level_db, chance)
        else:
            where = (
                "" if harmonic == 1 else f" (from harmonic {harmonic}, modulo {360 // harmonic}°)"
            )
            text = (
                f"ENF phase jumps by {np.degrees(jump):.0f}°{where} and the hum level changes "
                f"by {level_db:+.1f} dB at {at:.1f} s ({placed}), "
                f"the hum being steady over {step.half_s:g} s either side; {chance} A "
                "continuous recording keeps the mains phase and level continuous: consistent "
                "with material removed, inserted or joined here."
                + turn_pattern({h: t.angle for h, t in measured.items()}, nominal)
            )
        evidence: dict[str, Any] = {
            "phase_jump_rad": round(jump, 4),
            "phase_measured": harmonic in measured,
            "level_change_db": round(level_db, 2),
            "evidence": round(step.evidence, 2),
            "window_s": step.half_s,
            "harmonic_turns_deg": {
                str(h): round(float(np.degrees(t.angle))) for h, t in sorted(turns.items())
            },
        }
        if possible:
            evidence["possible_from_s"], evidence["possible_to_s"] = possible
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(start, 0.0),
                end,
                round(score_from_evidence(step.evidence), 4),
                text,
                evidence,
            )
        )
    return sorted(findings, key=lambda f: f.start_s)


def _level_text(at: float, placed: str, level_db: float, chance: str) -> str:
    """The words for a step whose phase one side's hum cannot give."""
    if abs(level_db) >= ABSENT_DB:
        return (
            f"The mains hum {'starts' if level_db > 0 else 'stops'} at {at:.1f} s ({placed}; "
            f"its level changes by {level_db:+.1f} dB); {chance} A continuous recording made "
            "in one place keeps its mains hum: consistent with material recorded with and "
            "without hum joined here, or with mains-powered equipment switched on or off."
        )
    weaker = "before" if level_db > 0 else "after"
    return (
        f"The mains hum's level changes by {level_db:+.1f} dB at {at:.1f} s ({placed}); "
        f"{weaker} it the hum is too weak for its phase to be measured, so no phase jump is "
        f"given; {chance} A continuous recording made in one place keeps its mains hum at one "
        "level: consistent with material recorded with other hum, or none, joined here, or "
        "with mains-powered equipment switched on or off."
    )


def possible_places(step: Step, start: float, end: float) -> tuple[float, float] | None:
    """(from, to) in seconds where a join may lie by its likelihood (``locate.join_near``),
    when that reaches beyond ``start``–``end``, the place reported; else None."""
    if step.possible is None:
        return None
    low = max((step.possible[0] - 1) / BASE_RATE, 0.0)
    high = step.possible[1] / BASE_RATE
    if low >= start - POSSIBLE_BEYOND_S and high <= end + POSSIBLE_BEYOND_S:
        return None
    return round(min(low, start), 2), round(max(high, end), 2)


def turn_pattern(turns: dict[int, float], nominal: float) -> str:
    """A sentence naming the half-cycle pattern in the harmonics' turns (radians), if they
    show it.

    A shift of the time base by half a mains cycle turns odd harmonics by 180° and even ones
    by 360°, not at all; an inverted polarity turns every harmonic by 180°. Either says more
    than "a jump": on ENF-WHU's own references, 19 steps had the first pattern exactly, the
    samples a recorder drops or repeats. Named only when every harmonic given fits it within
    ``PATTERN_DEG``, and two at least: the fundamental's turn alone is no pattern.
    ``edit_points`` gives the harmonics whose phase is measured on both sides."""

    def near(angle: float, target: float) -> bool:
        return abs((np.degrees(angle) - target + 180) % 360 - 180) <= PATTERN_DEG

    if len(turns) < 2:
        return ""
    odd = [t for h, t in turns.items() if h % 2]
    even = [t for h, t in turns.items() if not h % 2]
    if not odd or not all(near(t, 180) for t in odd):
        return ""
    listed = ", ".join(f"{np.degrees(t):+.0f}° at harmonic {h}" for h, t in sorted(turns.items()))
    half_cycle = f"half a mains cycle ({1000 / nominal / 2:.1f} ms)"
    if even and all(near(t, 0) for t in even):
        return (
            f" The harmonics turn by {listed}: the pattern of a shift by {half_cycle}, which a "
            "recorder dropping or repeating a few samples leaves, as would a cut of that length."
        )
    if even and all(near(t, 180) for t in even):
        return f" Every harmonic turns by about 180° ({listed}): the pattern of inverted polarity."
    if not even:
        return (
            f" The harmonics turn by {listed}: the pattern of a shift by {half_cycle} or of "
            "inverted polarity (no even harmonic is strong enough to tell them apart)."
        )
    return ""
