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

A butt splice inside sound leaves a sample-level step, found as an outlier of the second
difference against its local scale. A file stored above 16 kHz is searched at 16 kHz too: a
codec that kept less than the full band (Opus decodes to 48 kHz whatever it coded) spreads a
step over several of its samples, where the second difference no longer singles it out.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.dsp import at_rate_blocks, band_levels_db, length_at_rate
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
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
JUMP_RATE = 16000  # sample steps are also sought at this rate (see the module's docstring)


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


def _robust(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per band: median and squared scaled MAD (+1 dB², a floor for near-constant bands)."""
    centre = np.median(frames, axis=0)
    return centre, (1.4826 * np.median(np.abs(frames - centre), axis=0)) ** 2 + 1.0


def _locate(levels: np.ndarray, left: np.ndarray, right: np.ndarray) -> float:
    """Frame position of the change, which lies between the last background frame of the left
    side and the first of the right. Among the frames there that look like one of the two
    backgrounds (band by band within their scatter: speech and reverberation tails do not, a
    louder background right after a join does, though the floor skipped it), the split that
    best separates the two, placed in the gap it falls in."""
    # Robust centres and scatters: a side may hold a frame or two of a reverberation tail.
    mean_left, scatter_left = _robust(levels[left])
    mean_right, scatter_right = _robust(levels[right])
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


class _Ratio:
    """The second difference of the samples against its local scale, for any stretch.

    The scale is the median second difference of each 50 ms block, raised to its neighbours'
    where they are larger (the first block's left neighbour is the last block, as a circular
    shift has it). It takes one pass over the recording; the ratio is then computed for the
    stretches asked for, so no full-length array is ever held."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.samples = samples
        self.block = max(int(0.05 * sample_rate), 8)
        self.count = max(len(samples) - 2, 0) // self.block
        self.limit = self.count * self.block
        self.rows = max(blocks.BLOCK // self.block, 1)
        if self.count < 3:
            return
        scale = np.empty(self.count)
        for first in range(0, self.count, self.rows):
            last = min(first + self.rows, self.count)
            second = self.second(first * self.block, last * self.block)
            scale[first:last] = np.median(second.reshape(-1, self.block), axis=1) + 1e-9
        local = np.maximum(scale, np.roll(scale, 1))
        self.divisor = np.maximum(local, np.roll(local, -1))

    def second(self, start: int, stop: int) -> np.ndarray:
        """``|Δ²x|`` at ``start:stop``."""
        return np.abs(np.diff(_read(self.samples, start, stop + 2), 2))

    def __call__(self, start: int, stop: int) -> np.ndarray:
        """The ratio at ``start:stop`` (clipped to whole blocks, as the scale is per block)."""
        start, stop = max(start, 0), min(stop, self.limit)
        if stop <= start:
            return np.zeros(0)
        return self.second(start, stop) / self.divisor[np.arange(start, stop) // self.block]

    def peaks(self, height: float, distance: int) -> np.ndarray:
        """``signal.find_peaks(ratio, height=height, distance=distance)[0]``, found a block
        at a time. The blocks overlap by one scale block, so a peak is seen whole unless it is
        a plateau longer than that (50 ms of identical ratios, which sound does not make)."""
        found = []
        span = self.rows * self.block
        for start in range(0, self.limit, span):
            lo = max(start - self.block, 0)
            ratio = self(lo, start + span + self.block)
            peaks, _ = signal.find_peaks(ratio, height=height)
            peaks = peaks + lo
            found.append(peaks[(peaks >= start) & (peaks < start + span)])
        peaks = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        heights = np.array([self(int(p), int(p) + 1)[0] for p in peaks])
        return peaks[_by_distance(peaks, heights, distance)]


def _by_distance(peaks: np.ndarray, heights: np.ndarray, distance: int) -> np.ndarray:
    """Which ``peaks`` ``find_peaks`` keeps with ``distance``: the highest first, then each
    next highest at least ``distance`` from every kept one (its own rule, ties included)."""
    keep = np.ones(len(peaks), dtype=bool)
    by_height = np.argsort(heights)
    for i in range(len(peaks) - 1, -1, -1):
        j = by_height[i]
        if not keep[j]:
            continue
        k = j - 1
        while k >= 0 and peaks[j] - peaks[k] < distance:
            keep[k] = False
            k -= 1
        k = j + 1
        while k < len(peaks) and peaks[k] - peaks[j] < distance:
            keep[k] = False
            k += 1
    return keep


def _sample_jumps(samples: np.ndarray, sample_rate: int) -> list[tuple[int, float, bool]]:
    """Indices where the second difference is an extreme outlier against its neighbourhood,
    its ratio to the local scale, and whether it is a lone sample out of line (a spike, which
    the waveform returns from) rather than a step (which it stays at)."""
    ratio = _Ratio(samples, sample_rate)
    if ratio.count < 3:
        return []
    peaks = ratio.peaks(15, int(0.5 * sample_rate))
    span = max(int(0.02 * sample_rate), 4)
    near = max(int(0.002 * sample_rate), 2)
    jumps = []
    for peak in (int(p) for p in peaks):
        before = _read(samples, max(peak - span, 0), max(peak - 1, 0))
        after = _read(samples, peak + 3, min(peak + 3 + span, len(samples)))
        # A step shows in two neighbouring second differences; look beyond them.
        around = np.concatenate(
            [ratio(max(peak - near, 0), max(peak - 1, 0)), ratio(peak + 2, peak + near)]
        )
        if before.size < 4 or after.size < 4 or around.size == 0:
            continue
        rms = sorted([np.std(before) + 1e-12, np.std(after) + 1e-12])
        height = ratio(peak, peak + 1)[0]
        # A splice joins sound to sound in one sample; a word starting out of silence is an
        # onset (level rises), and a click or plosive rings over several samples.
        if rms[1] / rms[0] <= 4 and height >= 3 * np.max(around):
            at = peak + 1
            x = _read(samples, at - 1, at + 2)
            lone = abs(x[1] - (x[0] + x[2]) / 2)
            spike = bool(lone > 2 * abs(x[2] - x[0]))
            jumps.append((at, float(height), spike))
    return jumps


def _steps_at_native_and_16k(
    samples: np.ndarray, sample_rate: int
) -> list[tuple[float, float, bool, int]]:
    """``(time in s, ratio, spike, rate searched at)`` of sample-level steps and spikes,
    searched at the file's rate and, above 16 kHz, at 16 kHz as well (the 16 kHz copy kept in
    a temporary file, not in memory)."""
    found = [
        (i / sample_rate, r, k, sample_rate) for i, r, k in _sample_jumps(samples, sample_rate)
    ]
    if sample_rate > JUMP_RATE:
        narrow = blocks.spill(
            at_rate_blocks(samples, sample_rate, JUMP_RATE, finite=True),
            length_at_rate(len(samples), sample_rate, JUMP_RATE),
        )
        found += [(i / JUMP_RATE, r, k, JUMP_RATE) for i, r, k in _sample_jumps(narrow, JUMP_RATE)]
    return found


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


def check_discontinuities(samples: np.ndarray, sample_rate: int) -> CheckResult:
    if len(samples) < 6 * sample_rate or sample_rate < 2000:
        return CheckResult(NAME, "not_applicable", "Recording shorter than 6 s.")
    if _constant(samples):
        return CheckResult(NAME, "not_applicable", "The signal is constant (no background).")
    levels, step_s = _band_levels(samples, sample_rate)
    steps = _floor_steps(levels, step_s)
    findings = []
    kept: list[float] = []
    for _, level, shape, statistic, left, right in sorted(steps, key=lambda step: -step[3]):
        at = _locate(levels, left, right) * step_s
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
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 0.25, 0),
                at + 0.25,
                round(score, 4),
                f"Background noise in the pauses changes by {level:+.1f} dB (spectral shape by "
                f"{shape:.1f} dB) at {at:.1f} s; consistent with a join of recordings or a "
                "cut across a change of background.",
                {
                    "level_step_db": round(level, 2),
                    "shape_step_db": round(shape, 2),
                    "step_statistic": round(statistic, 1),
                },
            )
        )
    for at, ratio, spike, searched_at in _steps_at_native_and_16k(samples, sample_rate):
        if spike:
            text = (
                f"A single sample out of line at {at:.4f} s ({ratio:.0f}× the local second "
                "difference): a click such as a digital dropout or a damaged sample, which the "
                "join of two pieces of audio can also leave."
            )
        else:
            text = (
                f"Sample-level step at {at:.4f} s ({ratio:.0f}× the local second difference); "
                "consistent with a butt splice."
            )
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 0.01, 0),
                at + 0.01,
                round(_logistic(ratio, 20, 3), 4),
                text,
                {
                    "sample_index": round(at * sample_rate),
                    "ratio": round(ratio, 1),
                    "searched_at_hz": searched_at,
                    "shape": "spike" if spike else "step",
                },
            )
        )
    findings = _merge(findings)
    floor = np.percentile(levels.mean(axis=1), 10)
    strong = sum(f.score >= 0.5 for f in findings)
    return CheckResult(
        NAME,
        "ok",
        f"Background noise floor and waveform continuity examined over {len(levels)} frames; "
        + (f"{strong} abrupt change(s) found." if strong else "no abrupt change found."),
        {
            "frames": len(levels),
            "candidates": len(findings),
            "noise_floor_db": round(float(floor), 1),
        },
        findings,
    )


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    return check_discontinuities(recording.samples, recording.sample_rate)


EXAMINATION = Declaration(
    NAME,
    "discontinuities in noise floor, spectrum and waveform",
    {"edit_point": "Edit point"},
    run,
)
