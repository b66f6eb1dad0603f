"""Levels: clipping, DC offset and digital silence, observed directly in the samples.

These are the plainest traces a recording carries. Flat runs at the top of the range show where
the signal was clipped (by the recorder or in processing); a DC offset is a property of the
recording chain, so a step in it marks a place where the chain may have changed; and runs of
exact digital zero are what an editor writes when it mutes or inserts silence — analogue room
noise digitised by a real converter is never exactly zero for tens of milliseconds.

Pure function of the samples (mono float, −1..1). Every pass is vectorised, so an hour of 48 kHz
audio takes about a second.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.media import blocks

NAME = "levels"

NEAR_FULL_SCALE = 10 ** (-6 / 20)  # a plateau below −6 dBFS is not called clipping
MIN_CLIP_RUN = 3  # samples
CLIP_REGION_GAP_S = 0.5  # clipped runs closer than this form one region
MIN_ZERO_RUN_S = 0.020
NEIGHBOUR_S = 0.050  # signal examined on each side of a zero run
DC_WINDOW_S = 0.5  # window for the local DC track
DC_REPORT_WINDOW_S = 10.0
DC_STEP_CONTEXT = 6  # windows on each side compared for a DC step
MAX_FINDINGS_PER_KIND = 50
_TINY = 1e-12


def _ramp(value: float | np.ndarray, low: float, high: float) -> float | np.ndarray:
    """0 at ``low``, 1 at ``high``, linear between: how scores grow with the evidence."""
    return np.clip((np.asarray(value, dtype=np.float64) - low) / (high - low), 0.0, 1.0)


def _dbfs(value: float) -> float:
    return 20 * math.log10(max(value, _TINY))


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in ``mask``."""
    if mask.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    edges = np.concatenate(([0], change, [mask.size]))
    starts = edges[:-1]
    if not mask[0]:
        starts = starts[1::2]
        ends = edges[2::2]
    else:
        starts = starts[0::2]
        ends = edges[1::2]
    return starts.astype(np.int64), ends.astype(np.int64)


def _sum_squares(x: np.ndarray) -> float:
    """Σx² in float64, in blocks, without a second full-length temporary."""
    return float(sum(np.dot(c, c) for _, _, _, c in blocks.iter_read(x, 1 << 22)))


def _mean(x: np.ndarray) -> float:
    """``np.mean(x, dtype=np.float64)`` to the last bit, a block at a time: NumPy adds a cast
    reduction buffer by buffer onto one running total, which ``initial`` carries on."""
    total: float | None = None
    for start, stop, _, _ in blocks.blocks(x.size):
        view = x[start:stop]
        if total is None:
            total = np.add.reduce(view, dtype=np.float64)
        else:
            total = np.add.reduce(view, dtype=np.float64, initial=total)
        blocks.release(view)
    return float(total / x.size) if total is not None else math.nan


def _runs_of(
    x: np.ndarray, test: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``_runs(test(x))``, a block at a time (no full-length mask)."""
    starts_all, ends_all = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for start, stop, _, _ in blocks.blocks(x.size):
        view = x[start:stop]
        starts, ends = _runs(test(view))
        blocks.release(view)
        starts_all.append(starts + start)
        ends_all.append(ends + start)
    starts, ends = np.concatenate(starts_all), np.concatenate(ends_all)
    if not len(starts):
        return starts, ends
    # Runs within a block are maximal; one that ends where the next begins was cut by a block
    # boundary and is joined again.
    joined = ends[:-1] == starts[1:]
    return starts[np.r_[True, ~joined]], ends[np.r_[~joined, True]]


def check_levels(
    samples: np.ndarray, sample_rate: int, *, bit_depth: int | None = None
) -> CheckResult:
    """Peak and RMS level, clipping, DC offset (global and local steps) and digital silence.

    ``bit_depth`` (of the source PCM) sets the size of one quantisation step; unknown depth is
    treated as 16-bit, the most common case and the coarsest that matters here.
    """
    x = np.asarray(samples)
    if x.ndim > 1:
        x = x.mean(axis=0)
    x = x.astype(np.float32, copy=False)
    if x.size == 0 or sample_rate <= 0:
        return CheckResult(NAME, "not_applicable", "no samples to examine")
    lsb = 2.0 ** -(bit_depth - 1) if bit_depth and 2 <= bit_depth <= 32 else 2.0**-15
    n = x.size
    duration = n / sample_rate
    hi, lo = blocks.extremes(x)
    bad = 0
    if not (math.isfinite(hi) and math.isfinite(lo)):  # a damaged float file
        bad = int(np.count_nonzero(~np.isfinite(x)))
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
        hi, lo = float(x.max()), float(x.min())
    peak = max(abs(hi), abs(lo))
    mean = _mean(x)
    rms = math.sqrt(_sum_squares(x) / n)
    ac_rms = math.sqrt(max(rms**2 - mean**2, 0.0))

    clipping, clipped = _clipping(x, sample_rate, hi, lo, lsb)
    dc_findings, dc_metrics = _dc_offset(x, sample_rate, mean, ac_rms)
    silence, zero_metrics = _digital_silence(x, sample_rate, lsb)

    findings = _top(clipping) + dc_findings + _top(silence)
    metrics = {
        "peak_dbfs": round(_dbfs(peak), 2),
        "rms_dbfs": round(_dbfs(rms), 2),
        "dc_offset": mean,
        "clipped_samples": clipped,
        "clipped_share": clipped / n,
        "clipping_regions": len(clipping),
        **dc_metrics,
        **zero_metrics,
        "lsb_assumed": lsb,
        "non_finite_samples": bad,
    }
    return CheckResult(
        NAME, "ok", _summary(metrics, clipping, dc_findings, silence, duration), metrics, findings
    )


def _top(findings: list[Finding]) -> list[Finding]:
    """The strongest findings of one kind, in time order (the metrics keep the full count)."""
    kept = sorted(findings, key=lambda f: -f.score)[:MAX_FINDINGS_PER_KIND]
    return sorted(kept, key=lambda f: f.start_s)


def _clipping(
    x: np.ndarray, rate: int, hi: float, lo: float, lsb: float
) -> tuple[list[Finding], int]:
    """Flat runs (≥3 samples within 1 LSB) at the extreme value, entered and left steeply.

    A natural peak of a low tone can also sit within 1 LSB for three samples, but it arrives
    there slowly; a clipped waveform hits the ceiling at full slope. Requiring a step of a few
    LSB into and out of the run separates the two.
    """
    tol = lsb * 1.01
    starts_all: list[np.ndarray] = []
    ends_all: list[np.ndarray] = []
    levels: list[float] = []
    for sign, level in ((1.0, hi), (-1.0, -lo)):
        if level < NEAR_FULL_SCALE:
            continue
        bound = level - tol if sign > 0 else -level + tol

        def at_extreme(v: np.ndarray, bound: float = bound, high: bool = sign > 0) -> np.ndarray:
            return v >= bound if high else v <= bound

        starts, ends = _runs_of(x, at_extreme)
        keep = ends - starts >= MIN_CLIP_RUN
        starts, ends = starts[keep], ends[keep]
        if starts.size:
            before = np.abs(x[starts] - x[np.maximum(starts - 1, 0)])
            after = np.abs(x[ends - 1] - x[np.minimum(ends, x.size - 1)])
            steep = (before + after) / 2 >= 3 * tol
            starts_all.append(starts[steep])
            ends_all.append(ends[steep])
            levels.append(level)
    if not starts_all:
        return [], 0
    starts = np.concatenate(starts_all)
    ends = np.concatenate(ends_all)
    order = np.argsort(starts)
    starts, ends = starts[order], ends[order]
    if not starts.size:
        return [], 0
    clipped = int((ends - starts).sum())
    gap = int(CLIP_REGION_GAP_S * rate)
    breaks = np.flatnonzero(starts[1:] - ends[:-1] > gap) + 1
    findings = []
    for group in np.split(np.arange(starts.size), breaks):
        runs = group.size
        lengths = ends[group] - starts[group]
        longest = int(lengths.max())
        score = 1 - 0.65 * math.exp(-(runs - 1) / 4) * math.exp(-(longest - MIN_CLIP_RUN) / 6)
        start_s, end_s = float(starts[group[0]] / rate), float(ends[group[-1]] / rate)
        findings.append(
            Finding(
                "clipping",
                NAME,
                start_s,
                end_s,
                round(score, 3),
                f"{runs} flat run(s) at the extreme sample value ({int(lengths.sum())} samples, "
                f"longest {longest}), entered and left steeply: the waveform was clipped here.",
                {
                    "runs": runs,
                    "clipped_samples": int(lengths.sum()),
                    "longest_run_samples": longest,
                    "levels_dbfs": [round(_dbfs(v), 2) for v in levels],
                },
            )
        )
    return findings, clipped


def _window_stats(x: np.ndarray, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and AC RMS of consecutive windows of ``w`` samples (the tail is dropped)."""
    nw = x.size // w
    means, sums = np.empty(nw), np.empty(nw)
    # Whole windows per block: each window's sums are then computed exactly as in one pass.
    rows = max(blocks.BLOCK // w, 1)
    for first in range(0, nw, rows):
        last = min(first + rows, nw)
        view = x[first * w : last * w]
        windows = np.array(view).reshape(last - first, w)
        blocks.release(view)
        means[first:last] = windows.mean(axis=1, dtype=np.float64)
        sums[first:last] = np.einsum("ij,ij->i", windows, windows, dtype=np.float64)
    mean_sq = sums / w
    return means, np.sqrt(np.maximum(mean_sq - means**2, 0.0))


def _dc_offset(
    x: np.ndarray, rate: int, mean: float, ac_rms: float
) -> tuple[list[Finding], dict[str, float | int]]:
    """A DC offset large against the signal, and steps in the local DC level.

    The offset is scored against the AC level (an offset of 0.002 is nothing beside speech at
    −20 dBFS but dominates near-silence) and against an absolute floor (−66 dBFS), below which
    it is a few LSB of converter bias.
    """
    findings: list[Finding] = []
    duration = x.size / rate
    ratio = abs(mean) / max(ac_rms, _TINY)
    score = float(min(_ramp(ratio, 0.02, 0.2), _ramp(_dbfs(abs(mean)), -66, -46)))
    if score > 0:
        findings.append(
            Finding(
                "dc_offset",
                NAME,
                0.0,
                float(duration),
                round(score, 3),
                f"The whole recording carries a DC offset of {mean:+.5f} "
                f"({_dbfs(abs(mean)):.1f} dBFS, {100 * ratio:.1f} % of the AC level).",
                {"dc_offset": mean, "ratio_to_ac_rms": ratio},
            )
        )
    metrics: dict[str, float | int] = {"dc_offset_ratio": min(ratio, 1e6)}
    # Short recordings get shorter windows so that a step still has context on both sides.
    window_s = min(DC_WINDOW_S, max(duration / (4 * DC_STEP_CONTEXT), 0.05))
    w = max(int(window_s * rate), 1)
    means, acs = _window_stats(x, w)
    per_report = max(int(DC_REPORT_WINDOW_S / window_s), 1)
    if means.size >= per_report:
        k = means.size // per_report
        long_means = means[: k * per_report].reshape(k, per_report).mean(axis=1)
        metrics["dc_offset_max_window"] = float(long_means[np.argmax(np.abs(long_means))])
    else:
        metrics["dc_offset_max_window"] = mean
    steps = _dc_steps(x, rate, means, acs, w)
    metrics["dc_steps"] = len(steps)
    return findings + steps, metrics


def _dc_steps(
    x: np.ndarray, rate: int, means: np.ndarray, acs: np.ndarray, w: int
) -> list[Finding]:
    """Places where the DC level moves from one steady value to another (a join, a switch).

    Compares the median window mean over ``DC_STEP_CONTEXT`` windows on each side with how
    much those means scatter, so low-frequency rumble, which wanders, does not count.
    """
    k = DC_STEP_CONTEXT
    if means.size < 2 * k + 1:
        return []
    view = np.lib.stride_tricks.sliding_window_view(means, k)
    left, right = view[:-k], view[k:]  # boundary j = i + k between left[i] and right[i]
    med_l, med_r = np.median(left, axis=1), np.median(right, axis=1)
    mad = np.maximum(
        np.median(np.abs(left - med_l[:, None]), axis=1),
        np.median(np.abs(right - med_r[:, None]), axis=1),
    )
    step = np.abs(med_r - med_l)
    local_ac = np.median(np.lib.stride_tricks.sliding_window_view(acs, 2 * k), axis=1)
    z = step / (1.4826 * mad + 0.1 * _steady_floor(local_ac) + _TINY)
    score = np.asarray(
        _ramp(step / np.maximum(local_ac, _TINY), 0.02, 0.15)
        * _ramp(z, 6, 15)
        * _ramp(20 * np.log10(step + _TINY), -66, -50)
    )
    findings = []
    for i in map(int, np.flatnonzero(score >= 0.05)):
        lo_i, hi_i = max(i - k, 0), min(i + k + 1, score.size)
        if score[i] < score[lo_i:hi_i].max() or (i > lo_i and score[i] == score[i - 1]):
            continue  # keep the strongest boundary of each neighbourhood
        j = i + k
        first = max(j - k // 2, 0) * w
        seg = x[first : (j + k // 2) * w].astype(np.float64)
        split = int(np.argmax(np.abs(np.cumsum(seg - seg.mean()))))
        at = (first + split + 1) / rate
        findings.append(
            Finding(
                "dc_offset",
                NAME,
                float(at),
                float(at),
                round(float(score[i]), 3),
                f"The DC level steps from {med_l[i]:+.5f} to {med_r[i]:+.5f} here and stays "
                "there: the recording chain's offset changed at this point (a join or a "
                "switch of device or setting would do this).",
                {"dc_before": float(med_l[i]), "dc_after": float(med_r[i]), "z": float(z[i])},
            )
        )
    return findings


def _steady_floor(ac: np.ndarray) -> np.ndarray:
    """A least scatter for window means, so a perfectly steady (synthetic) DC level does not
    turn a tiny step into an infinite z-score."""
    return np.maximum(ac * 1e-3, 2.0**-16)


def _digital_silence(
    x: np.ndarray, rate: int, lsb: float
) -> tuple[list[Finding], dict[str, float | int]]:
    """Runs of exact zeros of at least 20 ms, scored by length and by what surrounds them.

    Longer runs are stronger evidence; so are runs between clearly non-silent signal (a gap
    cut into the recording). A run at the start or end (padding) or between very quiet
    signal (a low-level recording quantised to zero, a fade) is weaker evidence.
    """
    min_len = max(int(MIN_ZERO_RUN_S * rate), 1)
    starts, ends = _runs_of(x, lambda v: v == 0)
    keep = ends - starts >= min_len
    starts, ends = starts[keep], ends[keep]
    metrics: dict[str, float | int] = {
        "zero_run_count": int(starts.size),
        "zero_run_total_s": float((ends - starts).sum() / rate),
    }
    if not starts.size:
        return [], metrics
    lengths = (ends - starts) / rate
    score_len = 1 - 0.6 * np.exp(-(lengths - MIN_ZERO_RUN_S) / 0.08)
    nb = max(int(NEIGHBOUR_S * rate), 1)

    def rms(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.array(
            [
                math.sqrt(float(np.dot(seg, seg)) / max(seg.size, 1))
                for seg in (
                    x[max(i, 0) : max(j, 0)].astype(np.float64) for i, j in zip(a, b, strict=True)
                )
            ]
        )

    at_start, at_end = starts == 0, ends == x.size
    before = np.where(at_start, np.inf, rms(starts - nb, starts))
    after = np.where(at_end, np.inf, rms(ends, ends + nb))
    neighbour = np.minimum(before, after)
    neighbour = np.where(np.isinf(neighbour), 0.0, neighbour)
    level = _ramp(np.log10(neighbour / lsb + _TINY), math.log10(2), math.log10(30))
    factor = 0.3 + 0.7 * level
    edge = np.where(at_start | at_end, 0.35, 1.0)
    scores = score_len * factor * edge
    findings = []
    for s, e, d, sc, nbr, is_edge in zip(
        starts, ends, lengths, scores, neighbour, at_start | at_end, strict=True
    ):
        where = (
            "at the start or end of the recording (where encoders and editors also pad)"
            if is_edge
            else "inside the recording"
        )
        findings.append(
            Finding(
                "digital_silence",
                NAME,
                float(s / rate),
                float(e / rate),
                round(float(sc), 3),
                f"{1000 * d:.0f} ms of exact digital zero {where}; neighbouring signal at "
                f"{_dbfs(float(nbr)):.1f} dBFS. Exact zeros are written by editing or muting; "
                "analogue room noise is never exactly zero.",
                {
                    "duration_s": float(d),
                    "neighbour_rms_dbfs": round(_dbfs(float(nbr)), 2),
                    "edge": bool(is_edge),
                },
            )
        )
    return findings, metrics


def _summary(
    metrics: dict,
    clipping: list[Finding],
    dc: list[Finding],
    silence: list[Finding],
    duration: float,
) -> str:
    parts = [f"Peak {metrics['peak_dbfs']:.1f} dBFS, RMS {metrics['rms_dbfs']:.1f} dBFS."]
    if clipping:
        parts.append(
            f"Clipping in {len(clipping)} region(s), "
            f"{100 * metrics['clipped_share']:.3f} % of samples."
        )
    else:
        parts.append("No clipping.")
    offset, ratio = metrics["dc_offset"], metrics["dc_offset_ratio"]
    share = f"{100 * ratio:.1f} % of the AC level" if ratio < 10 else "more than 10× the AC level"
    parts.append(
        f"DC offset {offset:+.5f} ({share})"
        + (f", {metrics['dc_steps']} step(s) in the DC level." if metrics["dc_steps"] else ".")
    )
    if silence:
        parts.append(
            f"{metrics['zero_run_count']} run(s) of exact digital silence ≥ "
            f"{1000 * MIN_ZERO_RUN_S:.0f} ms, {metrics['zero_run_total_s']:.2f} s in all."
        )
    else:
        parts.append("No digital silence.")
    return " ".join(parts)


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    return check_levels(
        recording.samples, recording.sample_rate, bit_depth=recording.facts.bits_per_sample
    )


EXAMINATION = Declaration(
    NAME,
    "levels (clipping, DC offset, digital silence)",
    {"clipping": "Clipping", "digital_silence": "Digital silence", "dc_offset": "DC offset"},
    run,
)
