"""Edit points without ENF: where the background changes abruptly or the waveform steps.

A recording made in one place at one time has one background: the noise between words keeps
its level and spectral shape. Two recordings joined, or a cut across a change, shows a step in
that background. The floor is measured as a low percentile of band energies over ~2 s on each
side of every candidate time (speech raises energy but hardly the 10th percentile), and the
step is judged against the file's own step noise, so scores mean the same across files.
A butt splice inside sound leaves a sample-level step, found as an outlier of the second
difference against its local scale.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from scipy import signal

from earwitness.forensics.findings import CheckResult, Finding

NAME = "discontinuities"
FRAME_S = 0.032
BANDS = 16
SIDE_S = 2.0
STEP_S = 0.1


def _band_levels(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Log energy (dB) per frame and band; frames hop by STEP_S."""
    frame = int(FRAME_S * sample_rate)
    hop = int(STEP_S * sample_rate)
    count = 1 + (len(samples) - frame) // hop
    index = np.arange(frame)[None, :] + hop * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(samples[index] * np.hanning(frame), axis=1)) ** 2
    freqs = np.fft.rfftfreq(frame, 1 / sample_rate)
    edges = np.geomspace(250, sample_rate / 2 * 0.95, BANDS + 1)  # >= 4 bins in every band
    bands = np.stack(
        [
            spectrum[:, (freqs >= lo) & (freqs < hi)].sum(axis=1)
            for lo, hi in itertools.pairwise(edges)
        ],
        axis=1,
    )
    return 10 * np.log10(bands + 1e-12), hop / sample_rate


def _floor_steps(levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per frame: level step (dB), shape change (dB) and a combined z-score."""
    side = int(SIDE_S / STEP_S)
    windows = np.lib.stride_tricks.sliding_window_view(levels, side, axis=0)
    floors = np.percentile(windows, 10, axis=2)  # (frames - side + 1, bands)
    count = len(levels)
    left = np.full((count, BANDS), np.nan)
    right = np.full((count, BANDS), np.nan)
    left[side:] = floors[: count - side]
    right[: count - side + 1] = floors
    # A join changes the background for good; a passing noise (a door, a cough) does not.
    # So the step must still be there one window further on each side.
    further = np.full((count, BANDS), np.nan)
    earlier = np.full((count, BANDS), np.nan)
    if count > 2 * side:
        further[: count - 2 * side + 1] = floors[side:]
        earlier[2 * side :] = floors[: count - 2 * side]
    difference = right - left
    with warnings.catch_warnings():  # the first and last SIDE_S have no two sides
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(difference, axis=1)
        shape = np.sqrt(np.nanmean((difference - level[:, None]) ** 2, axis=1))
        lasting = np.nanmean(further - left, axis=1)
        standing = np.nanmean(right - earlier, axis=1)
    valid = np.isfinite(level)
    combined = np.zeros(count)
    if valid.sum() > 10:
        for value in (np.abs(level), shape):
            centre = np.median(value[valid])
            spread = 1.4826 * np.median(np.abs(value[valid] - centre)) + 0.05
            combined = np.maximum(combined, np.where(valid, (value - centre) / spread, 0))
    persistent = np.ones(count, dtype=bool)
    for other in (lasting, standing):  # where a side reaches past the file, it cannot be checked
        holds = np.abs(np.nan_to_num(other)) >= 0.5 * np.abs(np.nan_to_num(level))
        persistent &= holds | ~np.isfinite(other)
    return np.nan_to_num(level), np.nan_to_num(shape), np.where(persistent, combined, 0.0)


def _sample_jumps(samples: np.ndarray, sample_rate: int) -> list[tuple[int, float]]:
    """Indices where the second difference is an extreme outlier against its neighbourhood."""
    second = np.abs(np.diff(samples.astype(np.float64), 2))
    block = max(int(0.05 * sample_rate), 8)
    count = len(second) // block
    if count < 3:
        return []
    blocks = second[: count * block].reshape(count, block)
    scale = np.median(blocks, axis=1) + 1e-9
    local = np.repeat(np.maximum(scale, np.roll(scale, 1)), block)
    ratio = second[: count * block] / np.maximum(local, np.roll(local, -block))
    peaks, _ = signal.find_peaks(ratio, height=15, distance=int(0.5 * sample_rate))
    span = max(int(0.02 * sample_rate), 4)
    near = max(int(0.002 * sample_rate), 2)
    jumps = []
    for peak in peaks:
        before = samples[max(peak - span, 0) : max(peak - 1, 0)]
        after = samples[peak + 3 : peak + 3 + span]
        # A step shows in two neighbouring second differences; look beyond them.
        around = np.concatenate(
            [ratio[max(peak - near, 0) : max(peak - 1, 0)], ratio[peak + 2 : peak + near]]
        )
        if before.size < 4 or after.size < 4 or around.size == 0:
            continue
        rms = sorted([np.std(before) + 1e-12, np.std(after) + 1e-12])
        # A splice joins sound to sound in one sample; a word starting out of silence is an
        # onset (level rises), and a click or plosive rings over several samples.
        if rms[1] / rms[0] <= 4 and ratio[peak] >= 3 * np.max(around):
            jumps.append((int(peak) + 1, float(ratio[peak])))
    return jumps


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
    samples = np.nan_to_num(np.asarray(samples, dtype=np.float64))
    if len(samples) < 6 * sample_rate or sample_rate < 2000:
        return CheckResult(NAME, "not_applicable", "Recording shorter than 6 s.")
    if np.ptp(samples) == 0:
        return CheckResult(NAME, "not_applicable", "The signal is constant (no background).")
    levels, step_s = _band_levels(samples, sample_rate)
    level, shape, z = _floor_steps(levels)
    findings = []
    peaks, _ = signal.find_peaks(z, height=4.0, distance=int(1.0 / step_s))
    for index in peaks:
        # The floor step shows as a plateau as the windows slide over it: take its middle.
        above = np.abs(level) >= 0.8 * abs(level[index])
        start, end = index, index
        while start > 0 and above[start - 1]:
            start -= 1
        while end < len(above) - 1 and above[end + 1]:
            end += 1
        at = (start + end) / 2 * step_s + FRAME_S / 2
        # Scored in decibels, which mean the same in every file: 3 dB gives 0.5, 6 dB 0.99.
        # Shape is the noisier measure (16 bands, each its own percentile): weigh it less.
        size = max(abs(level[index]), 0.6 * shape[index])
        score = (
            _logistic(size, 3.0, 0.7) if z[index] >= 4.0 else min(_logistic(size, 3.0, 0.7), 0.3)
        )
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 0.25, 0),
                at + 0.25,
                round(score, 4),
                f"Background noise floor changes by {level[index]:+.1f} dB (spectral shape by "
                f"{shape[index]:.1f} dB) at {at:.1f} s; consistent with a join of recordings or a "
                "cut across a change of background.",
                {
                    "level_step_db": round(float(level[index]), 2),
                    "shape_step_db": round(float(shape[index]), 2),
                    "z": round(float(z[index]), 2),
                },
            )
        )
    for index, ratio in _sample_jumps(samples, sample_rate):
        at = index / sample_rate
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 0.01, 0),
                at + 0.01,
                round(_logistic(ratio, 20, 3), 4),
                f"Sample-level step at {at:.3f} s ({ratio:.0f}× the local second difference); "
                "consistent with a butt splice.",
                {"sample_index": index, "ratio": round(ratio, 1)},
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
