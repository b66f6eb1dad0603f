"""Edit points without ENF: where the background changes abruptly or the waveform steps.

A recording made in one place at one time has one background: the noise between words keeps
its level and spectral shape. Two recordings joined, or a cut across a change, shows a step in
that background. Only pauses show the background, so it is measured there: band levels of
20 ms frames at the local noise floor (the nearest ones on each side of a candidate time), and,
as a cross-check, the quietest frames that form pauses. The step between the two sides is a
chi-square of the band differences against the scatter of those very frames, scaled down
where the file's background is livelier than a steady one, so a score means the same in every
file; it must hold against background frames further out, as a join changes the background
for good. (A low percentile over fixed 2 s windows, used before, reads speech as floor
wherever a window has no pause, and judged steps against the scatter of such floors: it missed
joins and reported steps in dense speech.) The change is placed between the two sides' floor
frames, where the frames switch from one background to the other.

A cut or a join changes the background within its crossfade (milliseconds); a door opening or
the speaker walking to another room changes it over hundreds of milliseconds. So the time the
background takes to change is measured (``background_change``), and a gradual change is
reported as an observation (kind ``other``, scored at most 0.3) with that time, not as an edit
point. Where speech covers the whole change, no pause shows how fast it went: a change of
place under speech and a cut inside speech look the same. Such a step is an edit point scored
below 0.5, its description saying what the pauses cannot show.

A butt splice inside sound leaves a sample-level step (``forensics.sample_jumps``, which
also tells dropouts from steps). A dropout is a finding of its own kind, not an edit point,
unless the background steps there too. A step within a quarter second of either end of the
file, where coders pad and recorders start or stop, is an observation: nothing of substance
is joined there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from earwitness.forensics import background_change
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.dsp import band_levels_db
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.forensics.sample_jumps import sample_jumps
from earwitness.media import blocks

NAME = "discontinuities"
FRAME_S = 0.02  # one band-level frame; short enough to fall between words
BANDS = 16
TOP_HZ = 7600.0  # the same bands at every sample rate; codecs reshape the top octaves
SIDE_S = 4.0  # how far each side looks for background frames
NEAREST = 25  # background frames per side at most (0.5 s)
FEWEST = 8  # fewer background frames than this on a side: no test there
RUN = 8  # a pause is a run of quiet frames (160 ms); shorter dips are within speech
HOP = 10  # candidate times every 0.2 s
MINIMUM = 6.0  # step statistic below which a candidate is not reported at all
TYPICAL = 2.0  # the file's median step statistic above which all are scaled down
STEP_NEAR_S = 0.5  # a background step this close to a dropout makes it an edit point
# A change of background that takes longer than this (10 % to 90 % of the step, as measured
# by ``background_change``) is gradual: a door opening or the speaker walking, not a cut.
# Editors' crossfades are 0-50 ms. In the tamper benchmark (every codec) every cut and join
# that this check locates measures 0.10 s at most; the genuine room changes (raised-cosine
# ramps of 0.5-2 s, whose 10-90 % times are 0.3-1.2 s) that pauses show measure 0.16-1.9 s.
# 0.15 s is 3x the longest crossfade and 1.5x the longest transition of an edit.
GRADUAL_S = 0.15
# A step is seen to be abrupt where frames of the two backgrounds lie this close: every cut
# and join of the tamper benchmark that this check locates shows both within 0.02-0.18 s;
# the room changes under speech show the nearest 0.9-2 s apart.
SEEN_S = 0.5
UNSEEN_SCORE = 0.45  # a step whose speed no pause shows: possible, never scored as likely
# A sample-level step this near either end of the file joins nothing of substance: there a
# coder pads its last frame or primes its first (AAC 1024 samples, MP3 1152: up to 0.13 s at
# 8 kHz) and a recorder starts or stops. In the tamper benchmark the AAC 32 → Opus 24 chain
# left a step where two genuine files' sound meets the padding, 44 ms before the end of the
# file, scored 0.98; every edit lies seconds inside.
EDGE_S = 0.25
GRADUAL_SCORE = 0.3  # a gradual change is an observation, never scored as likely edited


def _read(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``samples[start:stop]`` as float64, NaN and infinities as ``np.nan_to_num`` sets them."""
    return np.nan_to_num(blocks.read(samples, start, stop, np.float64), copy=False)


def _constant(samples: np.ndarray) -> bool:
    """Whether every sample (NaN read as 0) has the same value; a block at a time."""
    highest, lowest = -np.inf, np.inf
    for start, stop, _, _ in blocks.blocks(len(samples)):
        block = _read(samples, start, stop)
        highest, lowest = max(highest, block.max()), min(lowest, block.min())
    return bool(highest == lowest)


def _band_levels(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Log energy (dB) per frame and band; frames are contiguous, FRAME_S long. Computed a
    block of whole frames at a time: each frame's levels are its own, whatever the batch."""
    frame = int(FRAME_S * sample_rate)
    count = len(samples) // frame
    top = min(sample_rate / 2 * 0.95, TOP_HZ)
    levels = np.empty((count, BANDS))
    rows = max(blocks.BLOCK // frame, 1)
    for first in range(0, count, rows):
        last = min(first + rows, count)
        frames = _read(samples, first * frame, last * frame).reshape(last - first, frame)
        levels[first:last] = band_levels_db(frames, sample_rate, 250, top, BANDS, 1e-12)
    return levels, frame / sample_rate


def _side_stats(levels: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean band levels and the variance of that mean, from the chosen frames."""
    picked = levels[chosen]
    return picked.mean(axis=0), picked.var(axis=0, ddof=1) / len(chosen)


def _quiet_runs(total: np.ndarray, start: int, stop: int) -> np.ndarray | None:
    """The quietest frames of [start, stop) that lie in pauses: runs of at least RUN frames
    within 6 dB of the quietest. A side of dense speech has no such run, only dips."""
    span = total[start:stop]
    below = span <= np.partition(span, 1)[1] + 6.0
    labels, found = ndimage.label(below)
    if not found:
        return None
    keep = np.flatnonzero(below & (np.bincount(labels)[labels] >= RUN))
    if len(keep) < FEWEST:
        return None
    return keep[np.argsort(span[keep])[:NEAREST]] + start


def _floor_steps(
    levels: np.ndarray, step_s: float
) -> list[tuple[int, float, float, float, np.ndarray, np.ndarray]]:
    """Candidate times where the background (the band levels of the pauses) changes.

    Each side's background is measured twice: (a) its nearest frames at the local floor,
    where the floor is the lower of the two one-sided 3 s percentiles (so speech never counts
    as background, and a louder background after a join counts once past the window); (b) its
    quietest frames that form pauses (runs). The step between the sides is judged against the
    scatter of those frames themselves (a chi-square per band), so it means the same in every
    file; the smaller of the two estimates counts, as each can be fooled differently (a long
    reverberation tail, a side with no pause). Returns, per candidate with a step, (frame,
    level dB, shape dB, statistic, the two sides' floor frames).
    """
    count = len(levels)
    total = 10 * np.log10(np.sum(10 ** (levels / 10), axis=1) + 1e-12)
    width = int(3.0 / step_s)
    left_floor = ndimage.percentile_filter(total, 5, size=width, origin=(width - 1) // 2)
    right_floor = ndimage.percentile_filter(total, 5, size=width, origin=-(width // 2))
    background = np.flatnonzero(total <= np.minimum(left_floor, right_floor) + 4.0)
    # Which pause each background frame lies in: frames less than a run apart share one.
    pause = np.cumsum(np.r_[0, np.diff(background) > RUN])
    side = int(SIDE_S / step_s)
    edge = int(1.0 / step_s)
    candidates = np.arange(edge, count - edge, HOP)
    near_stat, bounds = _near_steps(levels, total, background, candidates, int(6.0 / step_s))
    # Calibration against the file itself: where the background is steady between pauses the
    # typical statistic is 1-2; a livelier background (a meeting room, traffic) raises all of
    # them, and a step must stand out against that, not against the frame scatter alone.
    tested = near_stat[near_stat > 0]
    scale = TYPICAL / max(float(np.median(tested)), TYPICAL) if len(tested) else 1.0
    near_stat = near_stat * scale
    steps = []
    for at, statistic, (lo, split, hi) in zip(candidates, near_stat, bounds, strict=True):
        if statistic < MINIMUM:
            continue  # the usual case, decided without the costlier second estimate
        near_left, near_right = background[lo:split], background[split:hi]
        statistic, difference = _step(levels, near_left, near_right)
        runs_left = _quiet_runs(total, max(int(at) - side, 0), int(at))
        runs_right = _quiet_runs(total, int(at), min(int(at) + side, count))
        if runs_left is None or runs_right is None:
            continue
        measures = [(statistic, difference), _step(levels, runs_left, runs_right)]
        # A join changes the background for good; a passing sound in one pause does not, nor
        # does a lossy coder that codes one pause's noise a little lower (Opus at low rates
        # does). So the step must hold against the background of the pauses before and after
        # the ones measured, not just against more frames of the same pause.
        first, last = pause[lo], pause[max(hi - 1, lo)]
        further_left = background[: np.searchsorted(pause, first)][-NEAREST:]
        further_right = background[np.searchsorted(pause, last, side="right") :][:NEAREST]
        if len(further_right) >= FEWEST:
            measures.append(_step(levels, near_left, further_right))
        if len(further_left) >= FEWEST:
            measures.append(_step(levels, further_left, near_right))
        statistic, difference = min(measures, key=lambda measure: measure[0])
        statistic *= scale
        if statistic >= MINIMUM:
            level = float(difference.mean())
            shape = float(np.sqrt(np.mean((difference - level) ** 2)))
            steps.append((int(at), level, shape, statistic, near_left, near_right))
    return steps


def _near_steps(
    levels: np.ndarray, total: np.ndarray, background: np.ndarray, at: np.ndarray, far: int
) -> tuple[np.ndarray, np.ndarray]:
    """For every candidate at once: the step statistic between up to NEAREST background frames
    on each side (within ``far`` frames), from running sums; 0 where a side has too few frames
    or they scatter too much in level to be one steady background (a reverberation tail)."""
    split = np.searchsorted(background, at)
    lo = np.maximum(np.maximum(split - NEAREST, 0), np.searchsorted(background, at - far))
    hi = np.minimum(split + NEAREST, np.searchsorted(background, at + far))
    values = np.concatenate([levels[background], total[background][:, None]], axis=1)
    sums = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    squares = np.concatenate([np.zeros((1, values.shape[1])), np.cumsum(values**2, axis=0)])
    left_n = np.maximum(split - lo, 2)[:, None]
    right_n = np.maximum(hi - split, 2)[:, None]
    mean_left = (sums[split] - sums[lo]) / left_n
    mean_right = (sums[hi] - sums[split]) / right_n
    var_left = np.maximum((squares[split] - squares[lo]) / left_n - mean_left**2, 0) * (
        left_n / (left_n - 1)
    )
    var_right = np.maximum((squares[hi] - squares[split]) / right_n - mean_right**2, 0) * (
        right_n / (right_n - 1)
    )
    difference = (mean_right - mean_left)[:, :-1]
    spread = var_left[:, :-1] / left_n + var_right[:, :-1] / right_n
    statistic = np.mean(difference**2 / np.maximum(spread, 1e-6), axis=1)
    steady = np.maximum(var_left[:, -1], var_right[:, -1]) <= 2.5**2
    enough = np.minimum(split - lo, hi - split) >= FEWEST
    return np.where(steady & enough, statistic, 0.0), np.stack([lo, split, hi], axis=1)


def _step(levels: np.ndarray, left: np.ndarray, right: np.ndarray) -> tuple[float, np.ndarray]:
    """Per-band chi-square of the difference of the sides' mean levels against the scatter of
    their frames (about 1 where the background goes on unchanged), and the difference (dB)."""
    mean_left, var_left = _side_stats(levels, left)
    mean_right, var_right = _side_stats(levels, right)
    difference = mean_right - mean_left
    return float(np.mean(difference**2 / np.maximum(var_left + var_right, 1e-6))), difference


def _locate(levels: np.ndarray, left: np.ndarray, right: np.ndarray) -> float:
    """Frame position of the change, which lies between the last background frame of the left
    side and the first of the right. Among the frames there that look like one of the two
    backgrounds (band by band within their scatter: speech and reverberation tails do not, a
    louder background right after a join does, though the floor skipped it), the split that
    best separates the two, placed in the gap it falls in."""
    # Robust centres and scatters: a side may hold a frame or two of a reverberation tail.
    mean_left, scatter_left = background_change.robust(levels[left])
    mean_right, scatter_right = background_change.robust(levels[right])
    start = int(left[-1])
    between = levels[start : int(right[0]) + 1]
    to_left = np.mean((between - mean_left) ** 2 / scatter_left, axis=1)
    to_right = np.mean((between - mean_right) ** 2 / scatter_right, axis=1)
    alike = np.flatnonzero(np.minimum(to_left, to_right) <= 2.0)
    alike = np.unique(np.concatenate([[0], alike, [len(between) - 1]]))
    cost = np.concatenate([[0.0], np.cumsum(to_left[alike])]) + np.concatenate(
        [np.cumsum(to_right[alike][::-1])[::-1], [0.0]]
    )
    split = int(np.argmin(cost[1:-1]) + 1)
    return (alike[split - 1] + alike[split] + 1) / 2 + start


def _logistic(value: float, centre: float, width: float) -> float:
    return float(1 / (1 + np.exp(-(value - centre) / width)))


def _merge(findings: list[Finding], within_s: float = 0.5) -> list[Finding]:
    """One finding per place: the strongest of those less than ``within_s`` apart, at most 20."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: -f.score):
        centre = (finding.start_s + finding.end_s) / 2
        if all(abs(centre - (k.start_s + k.end_s) / 2) >= within_s for k in kept):
            kept.append(finding)
    return sorted(kept[:20], key=lambda f: f.start_s)


def _file_edge(samples: np.ndarray, sample_rate: int, at: float) -> str | None:
    """Which end of the file ("end" or "start") ``at`` lies within ``EDGE_S`` of; else None."""
    if len(samples) / sample_rate - at <= EDGE_S:
        return "end"
    return "start" if at <= EDGE_S else None


def _edge_observation(
    at: float,
    ratio: float,
    score: float,
    edge: str,
    length_s: float,
    evidence: Mapping[str, object],
) -> Finding:
    """A sample-level step at the very start or end of the file, as the observation it is."""
    where = (
        f"{length_s - at:.3f} s before the end of the file"
        if edge == "end"
        else f"{at:.3f} s after the start of the file"
    )
    return Finding(
        "other",
        NAME,
        max(at - 0.01, 0),
        at + 0.01,
        min(score, GRADUAL_SCORE),
        f"Sample-level step at {at:.4f} s ({ratio:.0f}× the local second difference), {where}: "
        f"where a coder {'pads its last' if edge == 'end' else 'primes its first'} frame or a "
        "recorder starts or stops, the sound meets the padding. Too near the edge to join "
        "anything of substance, so it is noted and not weighed as an edit point.",
        {**evidence, "file_edge": edge},
    )


def _hidden(seen_within_s: float | None) -> bool:
    """Whether no frames show the two backgrounds near enough to see a step happen at once."""
    return seen_within_s is None or seen_within_s > SEEN_S


def speed_unseen(finding: Finding) -> bool:
    """Whether ``finding`` is a step of the background that speech hides from every pause, so
    that nothing shows whether it happened at once or over time."""
    seen = finding.evidence.get("seen_within_s")
    return (
        finding.check == NAME
        and finding.kind == "edit_point"
        and "transition_s" in finding.evidence
        and _hidden(None if seen is None else float(seen))
    )


def _background_step(
    at: float,
    level: float,
    shape: float,
    statistic: float,
    score: float,
    change: background_change.Transition,
) -> Finding:
    """The finding for a step in the background at ``at`` seconds: an observation where it
    is seen to take its time, an edit point where it is seen to be abrupt, and an edit point
    scored below 0.5 where speech hides how fast it went."""
    measured: dict[str, float] = {
        "level_step_db": round(level, 2),
        "shape_step_db": round(shape, 2),
        "step_statistic": round(statistic, 1),
        "transition_s": round(change.seconds, 2),
    }
    if change.seen_within_s is not None:
        measured["seen_within_s"] = round(change.seen_within_s, 2)
    steps = f"changes by {level:+.1f} dB (spectral shape by {shape:.1f} dB)"
    if change.seconds >= GRADUAL_S:
        return Finding(
            "other",
            NAME,
            max(at - change.seconds / 2 - 0.1, 0),
            at + change.seconds / 2 + 0.1,
            round(min(score, GRADUAL_SCORE), 4),
            f"Background noise in the pauses {steps} around {at:.1f} s, gradually: over "
            f"about {change.seconds:.2f} s (10 % to 90 % of the change). A change of place "
            "or of the background does this, as when a door opens or the speaker moves; a "
            "cut or a join changes the background within milliseconds.",
            measured,
        )
    if _hidden(change.seen_within_s):
        return Finding(
            "edit_point",
            NAME,
            max(at - 0.25, 0),
            at + 0.25,
            round(min(score, UNSEEN_SCORE), 4),
            f"Background noise in the pauses {steps} near {at:.1f} s, under speech: no "
            "pause shows whether it changed at once, as at a join of recordings or a cut "
            "across a change of background, or over a second or so, as when a door opens or "
            "the speaker moves.",
            measured,
        )
    return Finding(
        "edit_point",
        NAME,
        max(at - 0.25, 0),
        at + 0.25,
        round(score, 4),
        f"Background noise in the pauses {steps} at {at:.1f} s, at once: frames "
        f"{change.seen_within_s:.2f} s apart hold the one background and the other. "
        "Consistent with a join of recordings or a cut across a change of background.",
        measured,
    )


def check_discontinuities(samples: np.ndarray, sample_rate: int) -> CheckResult:
    if len(samples) < 6 * sample_rate or sample_rate < 2000:
        return CheckResult(NAME, "not_applicable", "Recording shorter than 6 s.")
    if _constant(samples):
        return CheckResult(NAME, "not_applicable", "The signal is constant (no background).")
    levels, step_s = _band_levels(samples, sample_rate)
    steps = _floor_steps(levels, step_s)
    findings: list[Finding] = []
    observations: list[Finding] = []
    kept: list[float] = []
    for _, level, shape, statistic, left, right in sorted(steps, key=lambda step: -step[3]):
        position = _locate(levels, left, right)
        at = position * step_s
        # One change is seen from every candidate whose sides straddle it (up to 6 s away):
        # report it once, at the strongest.
        if any(abs(at - other) < 5.0 for other in kept):
            continue
        kept.append(at)
        # The statistic is about 1 where the background goes on unchanged; unedited
        # recordings (the tamper benchmark's clean files, the real test recordings) stay
        # below ~13: 16 gives 0.5, 25 gives 0.9. A step under 1.5 dB is capped below 0.5.
        score = _logistic(float(np.log(statistic)), float(np.log(16.0)), 0.2)
        if max(abs(level), 0.6 * shape) < 1.5:
            score = min(score, 0.3)
        if score < 0.1:
            continue
        change = background_change.transition(levels, left, right, position, step_s)
        finding = _background_step(at, level, shape, statistic, score, change)
        (observations if finding.kind == "other" else findings).append(finding)
    steps_at = [(f.start_s + f.end_s) / 2 for f in findings if f.score >= 0.5]
    dropouts: list[Finding] = []
    edges: list[Finding] = []
    for at, ratio, run, searched_at in sample_jumps(samples, sample_rate):
        evidence = {
            "sample_index": round(at * sample_rate),
            "ratio": round(ratio, 1),
            "searched_at_hz": searched_at,
            "shape": "dropout" if run else "step",
        }
        score = round(_logistic(ratio, 20, 3), 4)
        edge = None if run else _file_edge(samples, sample_rate, at)
        if edge:  # a dropout stays one wherever it lies
            length_s = len(samples) / sample_rate
            edges.append(_edge_observation(at, ratio, score, edge, length_s, evidence))
            continue
        # Samples out of line that the waveform returns from are a dropout: recorders,
        # transmission and decoders make them (the FLEURS and pyannote originals among the real
        # test recordings have one each, and every transcode keeps it). A butt splice instead
        # leaves the waveform where it jumped to. Only a change of background around it (the
        # floor-step test above) makes a dropout a possible edit point too.
        if run and not any(abs(at - other) <= STEP_NEAR_S for other in steps_at):
            evidence["run_samples"] = run
            what = "A single sample" if run == 1 else f"A run of {run} samples"
            dropouts.append(
                Finding(
                    "dropout",
                    NAME,
                    max(at - 0.01, 0),
                    at + 0.01,
                    score,
                    f"{what} out of line at {at:.4f} s ({ratio:.0f}× the local second "
                    "difference), the waveform returning to its course after it: a dropout "
                    "or damaged sample, as recorders, transmission and decoders produce. The "
                    "background does not change around it, so nothing here suggests a join.",
                    evidence,
                )
            )
            continue
        text = (
            f"Sample-level step at {at:.4f} s ({ratio:.0f}× the local second difference); "
            "consistent with a butt splice."
            if not run
            else f"Samples out of line at {at:.4f} s ({ratio:.0f}× the local second "
            "difference) where the background changes too: a dropout, or the join of two "
            "pieces of audio."
        )
        findings.append(
            Finding("edit_point", NAME, max(at - 0.01, 0), at + 0.01, score, text, evidence)
        )
    findings, dropouts = _merge(findings), _merge(dropouts)
    floor = np.percentile(levels.mean(axis=1), 10)
    strong = sum(f.score >= 0.5 for f in findings)
    return CheckResult(
        NAME,
        "ok",
        f"Background noise floor and waveform continuity examined over {len(levels)} frames; "
        + (f"{strong} abrupt change(s) found" if strong else "no abrupt change found")
        + (f"; {len(dropouts)} dropout(s)" if dropouts else "")
        + (f"; {len(observations)} gradual change(s) of background" if observations else "")
        + "".join(f"; a step at the {f.evidence['file_edge']} of the file" for f in edges)
        + ".",
        {
            "frames": len(levels),
            "candidates": len(findings),
            "dropouts": len(dropouts),
            "gradual_changes": len(observations),
            "steps_at_file_edges": len(edges),
            "noise_floor_db": round(float(floor), 1),
        },
        findings + dropouts + observations + edges,
    )


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    return check_discontinuities(recording.samples, recording.sample_rate)


EXAMINATION = Declaration(
    NAME,
    "discontinuities in noise floor, spectrum and waveform",
    {"edit_point": "Edit point", "dropout": "Dropout", "other": "Observation"},
    run,
)
