"""Electric network frequency (ENF): is mains hum present, how does it wander, does it jump?

Method, in the order the signal goes through it:

1. Resample to 1 kHz (hum and its low harmonics live below 500 Hz).
2. Presence: a long-window Welch spectrum; the peak within ±0.1·h Hz of each harmonic h of
   50 and 60 Hz against the median level 0.5–2·h Hz away. The best nominal and harmonics win.
3. Frequency track (``enf_track``, where the method is described): a point every second from
   16 s frames of a noise-weighted baseband around each used harmonic, harmonics that agree
   summed, the slowly moving path through the frames found by dynamic programming. It is the
   track benchmarked in bench/enf_accuracy (about 3 mHz RMSE with the hum 40 dB under speech).
4. Phase: the hum is demodulated against the phase integrated from the (median-smoothed)
   track, not against a fixed frequency, so grid wander does not look like phase drift. Real
   continuity leaves a smooth residual; removing or inserting material that is not a whole
   number of mains cycles leaves a step. This tracks phase through the wander rather than
   reading a raw Hilbert phase (cf. Rodríguez, Apolinário & Biscainho, IEEE TIFS 2010).
5. Edit points: steps in the phase residual (and in the frequency track) larger than the
   file's own step noise, scored with one logistic so scores mean the same across files.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage, signal

from earwitness.forensics.enf_track import (
    FRAME_S,
    HOP_S,
    PRESENT_SNR_DB,
    RATE,
    choose_harmonics,
    harmonic_snr,
    resample,
    top_harmonic_hz,
    track_frequency,
)
from earwitness.forensics.findings import CheckResult, Finding

NAME = "enf"
FORCED_SNR_DB = 6.0  # when the user names the nominal frequency, weaker hum is still tracked
PHASE_RATE = 10  # residual samples per second
PHASE_SMOOTH_FRAMES = 3  # track smoothing for demodulation, in frames (see phase_residual)
BAND_HZ = 0.5  # half-width of the band around each harmonic; narrow keeps speech out


def phase_residual(
    x: np.ndarray, times: np.ndarray, freq: np.ndarray, harmonic: int, nominal: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phase (radians of the fundamental) and amplitude of harmonic ``harmonic`` against the
    tracked frequency, per 0.1 s: a jump of π/2 is a quarter mains cycle missing or added."""
    # A running mean over three frames: where a frame straddles a phase jump its spectral
    # peak splits and the track is thrown off, one way before the jump and the other way
    # after, for about a frame each side; integrated into the reference phase, that would
    # show as further, false jumps a few seconds away. Over three frames the two excursions
    # cancel, the grid's wander (minutes) passes, and what the mean leaves out only makes the
    # residual drift slowly, which the step detector (1 s either side) does not see.
    spacing = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    size = max(round(PHASE_SMOOTH_FRAMES * FRAME_S / spacing), 1)
    smooth = ndimage.uniform_filter1d(freq, size, mode="nearest")
    centre = nominal * harmonic
    sos = signal.butter(
        4,
        [centre - BAND_HZ * harmonic, centre + BAND_HZ * harmonic],
        "bandpass",
        fs=RATE,
        output="sos",
    )
    band = signal.sosfiltfilt(sos, x)
    instantaneous = np.interp(np.arange(len(x)) / RATE, times, smooth)
    reference = 2 * np.pi * harmonic * np.cumsum(instantaneous) / RATE
    baseband = band * np.exp(-1j * reference)
    block = RATE // PHASE_RATE
    count = len(baseband) // block
    averaged = baseband[: count * block].reshape(count, block).mean(axis=1)
    # A 0.3 s moving average keeps the step sharp while removing the 2h·f image.
    kernel = np.ones(3) / 3
    averaged = np.convolve(averaged, kernel, mode="same")
    residual = np.unwrap(np.angle(averaged)) / harmonic
    return (np.arange(count) + 0.5) / PHASE_RATE, residual, np.abs(averaged)


def _steps(values: np.ndarray, rate: float, half_window_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Size of a step at each point (right median − left median) and its z-score against the
    file's own step noise (median absolute step)."""
    half = max(int(half_window_s * rate), 1)
    if len(values) < 2 * half + 3:
        return np.zeros(len(values)), np.zeros(len(values))
    windows = np.lib.stride_tricks.sliding_window_view(values, half)
    medians = np.median(windows, axis=1)
    jump = np.zeros(len(values))
    jump[half : len(values) - half + 1] = medians[half:] - medians[: len(medians) - half]
    noise = 1.4826 * np.median(np.abs(jump[half : len(values) - half + 1])) + 1e-9
    return jump, np.abs(jump) / noise


def _peaks(z: np.ndarray, rate: float, threshold: float, spacing_s: float) -> list[int]:
    found, _ = signal.find_peaks(z, height=threshold, distance=max(int(spacing_s * rate), 1))
    return list(found)


def score_from_z(z: float) -> float:
    """One logistic for every file: z = 6 gives 0.5, z = 10 about 0.98, z = 3 about 0.05."""
    return float(1 / (1 + np.exp(-(z - 6.0) / 1.0)))


def check_enf(
    samples: np.ndarray,
    sample_rate: int,
    nominal: float | None = None,
    tracks: dict[str, Any] | None = None,
) -> CheckResult:
    """Detect, track and test the mains hum; ``tracks`` (if given) receives the plotted tracks."""
    if len(samples) < 10 * sample_rate or sample_rate < 200:
        return CheckResult(
            NAME,
            "not_applicable",
            "Recording shorter than 10 s: too short for ENF analysis.",
            {"present": False},
        )
    x = resample(samples, sample_rate)
    snrs = harmonic_snr(x, top_harmonic_hz(sample_rate))
    candidates = {k: v for k, v in snrs.items() if nominal is None or k[0] == nominal}
    (best_nominal, best_harmonic), best_snr = max(candidates.items(), key=lambda kv: kv[1])
    metrics: dict[str, Any] = {
        "present": best_snr >= PRESENT_SNR_DB,
        "nominal_hz": best_nominal,
        "best_harmonic": best_harmonic,
        "snr_db": round(best_snr, 2),
        "harmonic_snr_db": {f"{n:g}x{h}": round(s, 1) for (n, h), s in sorted(snrs.items())},
    }
    threshold = PRESENT_SNR_DB if nominal is None else FORCED_SNR_DB
    metrics["present"] = best_snr >= threshold
    if best_snr < threshold:
        return CheckResult(
            NAME,
            "not_applicable",
            f"No mains hum found (best candidate {best_nominal:g} Hz × {best_harmonic}, "
            f"{best_snr:.1f} dB above the neighbouring spectrum; {threshold:g} dB needed).",
            metrics,
        )
    used = choose_harmonics(snrs, best_nominal, threshold)
    times, freq, _ = track_frequency(x, best_nominal, used)
    phase_times, residual, amplitude = phase_residual(x, times, freq, best_harmonic, best_nominal)
    if tracks is not None:
        tracks["enf_track"] = (times, freq)
        tracks["enf_phase"] = (phase_times, residual - np.median(residual))
    findings = _edit_points(times, freq, phase_times, residual, amplitude)
    metrics.update(
        harmonics_used=[h for h, _ in used],
        mean_hz=round(float(np.mean(freq)), 5),
        std_mhz=round(float(np.std(freq) * 1000), 3),
        track_points=len(times),
        edit_point_count=sum(f.score >= 0.5 for f in findings),
    )
    strong = [f for f in findings if f.score >= 0.5]
    summary = (
        f"Mains hum present at {best_nominal:g} Hz (strongest at harmonic {best_harmonic}, "
        f"{best_snr:.1f} dB); frequency tracked over {len(times)} s, mean "
        f"{np.mean(freq):.4f} Hz, spread {np.std(freq) * 1000:.1f} mHz. "
        + (
            f"{len(strong)} discontinuity(ies) in ENF phase or frequency."
            if strong
            else "Phase and frequency continuous throughout."
        )
    )
    return CheckResult(NAME, "ok", summary, metrics, findings)


def _edit_points(
    times: np.ndarray,
    freq: np.ndarray,
    phase_times: np.ndarray,
    residual: np.ndarray,
    amplitude: np.ndarray,
) -> list[Finding]:
    typical = float(np.median(amplitude)) + 1e-30
    phase_jump, phase_z = _steps(residual, PHASE_RATE, 1.0)
    freq_jump, freq_z = _steps(freq, 1.0 / HOP_S, 4.0)
    findings: list[Finding] = []
    for index in _peaks(phase_z, PHASE_RATE, 3.0, 2.0):
        at = float(phase_times[index])
        jump = float(np.angle(np.exp(1j * phase_jump[index])))
        near = int(np.clip(np.searchsorted(times, at), 0, len(times) - 1))
        window = slice(max(near - 4, 0), near + 5)
        freq_step = float(np.max(np.abs(freq_jump[window]))) * 1000 if len(freq_jump) else 0.0
        score = score_from_z(float(phase_z[index]))
        if abs(jump) < 0.1:  # below a sixtieth of a cycle: within estimation noise
            score = min(score, 0.3)
        # Amplitude beside the step, not at it: a real phase jump itself cancels the
        # band-passed hum for a moment.
        beside = np.concatenate(
            [amplitude[max(index - 20, 0) : max(index - 8, 0)], amplitude[index + 8 : index + 20]]
        )
        if beside.size == 0 or np.min(beside) < 0.3 * typical:  # hum too weak to measure
            score = min(score, 0.3)
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 0.25, 0.0),
                at + 0.25,
                round(score, 4),
                f"ENF phase jumps by {np.degrees(jump):.0f}° at {at:.1f} s "
                f"(z = {phase_z[index]:.1f}); a continuous recording keeps the mains phase "
                "continuous. Consistent with material removed or inserted here.",
                {
                    "phase_jump_rad": round(jump, 4),
                    "z": round(float(phase_z[index]), 2),
                    "freq_jump_mhz": round(freq_step, 2),
                },
            )
        )
    for index in _peaks(freq_z, 1.0 / HOP_S, 6.0, 8.0):
        at = float(times[index])
        # Within half a frame of a phase jump, the frequency step is that jump seen through
        # the analysis window (the peak splits while the window straddles it): not a new edit.
        if any(abs(f.start_s + 0.25 - at) < max(3.0, FRAME_S / 2) for f in findings):
            continue
        step = float(freq_jump[index]) * 1000
        score = score_from_z(float(freq_z[index])) if abs(step) >= 5 else 0.2
        findings.append(
            Finding(
                "edit_point",
                NAME,
                max(at - 2.0, 0.0),
                at + 2.0,
                round(score, 4),
                f"ENF frequency steps by {step:+.1f} mHz around {at:.0f} s "
                f"(z = {freq_z[index]:.1f}); the grid frequency drifts smoothly, so a step is "
                "consistent with a join of recordings made at different times.",
                {"freq_jump_mhz": round(step, 2), "z": round(float(freq_z[index]), 2)},
            )
        )
    findings.sort(key=lambda f: -f.score)
    return sorted(findings[:20], key=lambda f: f.start_s)
