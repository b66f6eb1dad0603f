"""Sample-level discontinuities: a butt splice's step, and dropouts, which are not edits.

A butt splice inside sound leaves a sample-level step, found as an outlier of the second
difference against its local scale. A file stored above 16 kHz is searched at 16 kHz too: a
codec that kept less than the full band (Opus decodes to 48 kHz whatever it coded) spreads a
step over several of its samples, where the second difference no longer singles it out.

Samples out of line that the waveform returns from are a dropout: a lone sample or a run of a
few (a recorder's buffer underrun, a damaged block, a decoder's glitch), which recorders,
transmission and decoders make; a butt splice instead leaves the waveform where it jumped to.
``forensics.splices`` reports each kind. Four shapes of dropout escaped as steps in the
tamper benchmark's genuine files and are now seen: a zeroed sample where a loud waveform is
steep (judged against the course the two sides share, not against a flat line), a run of
zeros whose largest second difference falls on the sample before it, a run of zeros a
lossy coder has blurred into small samples (``_quiet_run``), and one it has reshaped into
a stretch off both sides' courses, neither zero nor small (``_bridged_run``).
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from earwitness.forensics.dsp import at_rate_blocks, length_at_rate
from earwitness.media import blocks

JUMP_RATE = 16000  # sample steps are also sought at this rate (see the module's docstring)
# Longest run of out-of-line samples the waveform returns from that is read as a dropout.
DROPOUT_S = 0.0005
# Longest run of identical samples (digital zero, or a held sample) read as a dropout: a
# recorder's buffer underrun or a bad block writes such runs, and the waveform may have moved
# on meanwhile, so its course is not tested: identical samples are the signature.
FLAT_DROPOUT_S = 0.0015
FLAT_FEWEST = 4
# Samples either side of a reshaped run whose shared course it departs from (_bridged_run).
BRIDGE_SIDE_S = 0.00075


def _read(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``samples[start:stop]`` as float64, NaN and infinities as ``np.nan_to_num`` sets them."""
    return np.nan_to_num(blocks.read(samples, start, stop, np.float64), copy=False)


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


def _sample_jumps(samples: np.ndarray, sample_rate: int) -> list[tuple[int, float, int]]:
    """Indices where the second difference is an extreme outlier against its neighbourhood,
    its ratio to the local scale, and how many samples are out of line there when the
    waveform returns to its course after them (a dropout: a lone sample or a run of up to
    ``DROPOUT_S``), else 0 (a step, which the waveform stays at)."""
    ratio = _Ratio(samples, sample_rate)
    if ratio.count < 3:
        return []
    peaks = ratio.peaks(15, int(0.5 * sample_rate))
    span = max(int(0.02 * sample_rate), 4)
    near = max(int(0.002 * sample_rate), 2)
    longest = max(int(DROPOUT_S * sample_rate), 1)
    flat_longest = max(int(FLAT_DROPOUT_S * sample_rate), 2)
    side = max(int(BRIDGE_SIDE_S * sample_rate), 4)
    jumps = []
    for peak in (int(p) for p in peaks):
        at = peak + 1
        height = ratio(peak, peak + 1)[0]
        # A run out of line is seen from whichever end jumps more: from its first sample on,
        # or back from the first sample on course again after it.
        run = _dropout_run(_read(samples, max(at - 2, 0), at + longest + 2))
        back = 0 if run else _dropout_run(_read(samples, max(at - longest - 2, 0), at + 2)[::-1])
        other_end = peak + run - 1 if run else peak - back - 1  # the run's other pair of Δ²
        # A dropout has two sharp ends. A step a codec smeared over several samples has one,
        # and the waveform beyond it may cross back to where it was by chance (in the tamper
        # benchmark an AAC-coded insertion did, 14 samples on).
        edge = ratio(other_end - 1, other_end + 2)
        if (run > 1 or back > 1) and np.max(edge, initial=0.0) < height / 3:
            run = back = 0
        if not (run or back):  # identical samples need no second sharp end (FLAT_DROPOUT_S)
            run = _flat_run(_read(samples, at, at + flat_longest + 1))
            back = 0 if run else _flat_run(_read(samples, max(at - flat_longest, 0), at)[::-1])
            # The largest second difference may fall one sample outside a run of zeros (on
            # the last sample before it, where a loud waveform falls to zero): look there too.
            if not (run or back):
                run = _flat_run(_read(samples, at + 1, at + flat_longest + 2))
                back = (
                    0
                    if run
                    else _flat_run(
                        _read(samples, max(at - flat_longest - 1, 0), max(at - 1, 0))[::-1]
                    )
                )
                shift = 1 if run else -1 if back else 0
                peak, at = peak + shift, at + shift
        reach = flat_longest + 8
        if not (run or back) and reach <= at <= len(samples) - reach:
            # Zeros a lossy coder has blurred (AAC) are no longer identical.
            quiet = _quiet_run(_read(samples, at - reach, at + reach))
            if quiet:
                start, length = quiet[0] + at - reach, quiet[1]
                run, back = (length, 0) if start >= at else (0, length)
                shift = start - at if run else start + length - at
                peak, at = peak + shift, at + shift
        other_end = peak + run - 1 if run else peak - back - 1 if back else peak
        # The sound either side of the event, the run itself left out.
        first, last = peak - back, peak + run
        before = _read(samples, max(first - span, 0), max(first - 1, 0))
        after = _read(samples, last + 3, min(last + 3 + span, len(samples)))
        # A step shows in two neighbouring second differences; look beyond them (and beyond
        # the other end of a run out of line, which belongs to the same event).
        lo = max(peak - near, 0)
        earlier, later = ratio(lo, max(peak - 1, 0)), ratio(peak + 2, peak + near)
        where = np.concatenate([np.arange(len(earlier)) + lo, np.arange(len(later)) + peak + 2])
        around = np.concatenate([earlier, later])
        if run > 1 or back > 1:
            around = around[np.abs(where - other_end - 0.5) > 2]
        if before.size < 4 or after.size < 4 or around.size == 0:
            continue
        rms = sorted([np.std(before) + 1e-12, np.std(after) + 1e-12])
        # A splice joins sound to sound in one sample; a word starting out of silence is an
        # onset (level rises), and a click or plosive rings over several samples.
        if rms[1] / rms[0] <= 4 and height >= 3 * np.max(around):
            if back:
                at, run = at - back, back
            if not run and side + flat_longest <= at <= len(samples) - side - flat_longest:
                # A step may be a run a coder has reshaped further: neither zeros nor small,
                # but off the course on both sides (Opus at 24 kbit/s in the benchmark).
                reach = side + flat_longest
                bridged = _bridged_run(_read(samples, at - reach, at + reach), reach, side)
                if bridged:
                    at, run = at - reach + bridged[0], bridged[1]
            jumps.append((at, float(height), run))
    return jumps


def _flat_run(x: np.ndarray) -> int:
    """How many samples from ``x[0]`` on are identical to it (``FLAT_FEWEST`` up to
    ``len(x) - 1``), or 0: a run of digital zeros or of one held value, which sound does not
    make. (Two or three equal 16-bit samples it does make: in the tamper benchmark a butt
    splice landed on two.)"""
    differs = np.flatnonzero(x != x[0]) if len(x) else np.zeros(0, dtype=np.int64)
    count = int(differs[0]) if len(differs) else 0
    return count if count >= FLAT_FEWEST else 0


def _quiet_run(x: np.ndarray) -> tuple[int, int] | None:
    """A run of zeros a lossy coder has blurred, in ``x`` (a window centred on a jump, 8
    samples beyond ``FLAT_DROPOUT_S`` each way): ``(start, length)`` of the samples next to
    the jump (on either side) that stay within a quarter of the RMS around (the larger of the
    window's and of the 8 samples at either end) for ``FLAT_FEWEST`` samples or more, or
    None. The waveform's course must break at the run's
    other end too: the samples beyond it move at least three times as fast as the run's net
    movement. A slow zero crossing of a low tone, which a butt splice may follow, is also
    quiet, but the waveform crosses it at the pace it had before."""
    centre = len(x) // 2
    edge = (len(x) - 16) // 2
    for direction in (1, -1):
        for offset in (0, 1):
            first = centre + offset if direction == 1 else centre - 1 - offset
            limit = centre + edge if direction == 1 else centre - edge
            outside = x[max(centre - edge - 8, 0) : max(centre - edge, 0)]
            far = x[centre + edge : centre + edge + 8]
            level = max(np.std(outside), np.std(far), np.std(x)) if len(x) else 0.0
            quiet = np.abs(x) <= level / 4
            end = first
            while end != limit and quiet[end]:
                end += direction
            length = abs(end - first)
            if not length >= FLAT_FEWEST or level == 0:
                continue
            lo, hi = (first, end) if direction == 1 else (end + 1, first + 1)
            # The course beyond the run's other end: three samples, the run's first or last
            # left out (a coder blurs the edge into it).
            beyond = x[hi : hi + 3] if direction == 1 else x[max(lo - 3, 0) : lo]
            if len(beyond) < 3:
                continue
            pace = abs(beyond[-1] - beyond[0]) / 2
            net = abs(x[hi - 1] - x[lo]) / max(hi - lo - 1, 1)
            # Zeros in sound: the waveform on both sides is much louder than the run (in a
            # quiet background a step can follow a stretch of small samples by chance; the
            # tamper benchmark's Opus-coded insertion in b012 did).
            run_rms = float(np.sqrt(np.mean(x[lo:hi] ** 2))) + 1e-12
            sides = [x[max(lo - 8, 0) : lo], x[hi : hi + 8]]
            loud = min(float(np.sqrt(np.mean(side**2))) if len(side) else 0.0 for side in sides)
            if pace >= 3 * net and pace >= level / 20 and loud >= 4 * run_rms:
                return lo, hi - lo
    return None


def _bridged_run(x: np.ndarray, jump: int, side: int) -> tuple[int, int] | None:
    """A dropout a lossy coder has reshaped, in ``x`` (a window whose sample ``jump`` is the
    first after a jump): ``(start, length)`` of a run of two samples or more, starting or
    ending at the jump (or one sample off it), that lies on neither side's course, or None.

    Each side's course is a line fitted to its ``side`` samples and carried a few samples
    into the run. The run must stand off both the same way, by six times the sides' misfit,
    and off the nearer by a quarter of the farther at least; and its other end must be an
    edge as well. A zeroed stretch, however a coder reshapes it, departs from the waveform
    on both sides the same way and has two edges, where the zeros begin and end; where the
    waveform falls steeply under it, it stands off one side three times as far as off the
    other (Opus 24's b035 in the benchmark). A butt splice's samples after the jump lie on
    the course they continue, and its samples before the jump on the course they end: no
    edge closes such a run, though a curved course may make it look off a line (the
    benchmark's b042 insertion, into a steep low tone; b004's, after a short rise, where the
    edge that would close the run is only where the rise begins)."""
    best: tuple[float, int, int] | None = None
    longest = (len(x) - 2 * side) // 2
    ends = 4
    steps = np.arange(side, dtype=np.float64)
    for length in range(2, longest + 1):
        # The largest second difference of a short spike falls on its middle sample, so
        # the run may begin or end one sample off the jump.
        for start in sorted({jump, jump - 1, jump - length, jump - length + 1}):
            stop = start + length
            if start - side < 0 or stop + side > len(x):
                continue
            before, after = x[start - side : start], x[stop : stop + side]
            fit_before, res_before, *_ = np.polyfit(steps, before, 1, full=True)
            fit_after, res_after, *_ = np.polyfit(steps, after, 1, full=True)
            misfit = float(np.sqrt((np.sum(res_before) + np.sum(res_after)) / (2 * side)))
            near = min(ends, length)
            first = x[start : start + near] - np.polyval(fit_before, side + np.arange(near))
            last = x[stop - near : stop] - np.polyval(fit_after, np.arange(-near, 0))
            off_before, off_after = float(np.mean(first)), float(np.mean(last))
            smaller, larger = sorted([abs(off_before), abs(off_after)])
            # The end away from the jump must be an edge too: across it the waveform moves
            # four times as far in three samples as it does on average either side of it.
            edge, outer = (stop, after) if start in (jump, jump - 1) else (start, before)
            pace = max(_pace(outer), _pace(x[start:stop]))
            strength = smaller / (misfit + 1e-12)
            if (
                off_before * off_after > 0
                and strength >= 6
                and smaller >= larger / 4
                and abs(x[edge + 1] - x[edge - 2]) >= 4 * pace + 1e-12
                and (best is None or strength > best[0])
            ):
                best = (strength, start, length)
    return None if best is None else (best[1], best[2])


def _pace(x: np.ndarray) -> float:
    """How far the waveform moves in three samples on average (0 for fewer than four)."""
    return float(np.mean(np.abs(x[3:] - x[:-3]))) if len(x) > 3 else 0.0


def _dropout_run(x: np.ndarray) -> int:
    """How many samples from ``x[2]`` on lie out of line with a waveform that returns to its
    course after them: for the shortest run x[2:k+2] whose ends x[1] and x[k+2] line up
    (their difference is under half the run's departure from the line joining them), with
    the waveform moving less than that on either side (x[0] to x[1], x[k+2] to x[k+3]), k;
    0 where no such run exists. A step, which the waveform stays at, fails one of these: in
    the tamper benchmark an MP3-coded splice put a small wiggle just before its step, which
    lined up with the sample before it."""
    for k in range(1, len(x) - 3):
        # Judged against the waveform's course: where it is steep (a loud low tone at 44.1 or
        # 48 kHz moves tens of quantisation steps per sample) a zeroed sample's departure is
        # not much larger than the waveform's own movement, so the slope the two sides share
        # is taken out first. A step's sides share it too, and its jump stays. Only for one or
        # two samples (the benchmark's cases): across a longer run the sides' slopes say
        # little about the course.
        slope = ((x[1] - x[0]) + (x[k + 3] - x[k + 2])) / 2 if k <= 2 else 0.0
        y = x - slope * np.arange(len(x))
        line = np.linspace(y[1], y[k + 2], k + 2)[1:-1]
        departure = float(np.max(np.abs(y[2 : k + 2] - line)))
        if (
            departure > 2 * abs(y[k + 2] - y[1])
            and abs(y[1] - y[0]) < departure / 2
            and abs(y[k + 3] - y[k + 2]) < departure / 2
        ):
            return k
    return 0


def sample_jumps(samples: np.ndarray, sample_rate: int) -> list[tuple[float, float, int, int]]:
    """``(time in s, ratio, samples out of line (0 for a step), rate searched at)`` of
    sample-level steps and dropouts,
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
