"""Electric network frequency (ENF): is mains hum present, how does it wander, does it jump?

Method, in the order the signal goes through it:

1. Resample to 1 kHz (hum and its low harmonics live below 500 Hz).
2. Presence: a long-window Welch spectrum; the peak within ±0.1·h Hz of each harmonic h of
   50 and 60 Hz against the median level 0.5–2·h Hz away. Its best candidate must also stand
   out along its own track (``tracked_snr``: the mean SNR along each harmonic's most likely
   path through noise-weighted 16 s frames), which alone finds hum under the rest of its
   band: under speech the long-term spectrum sees the hum smeared by the grid's wander and
   buried under the bursts. The tracked SNR also picks the harmonics (up to three).
3. Frequency track (``enf.track``, where the method is described): a point every second from
   16 s frames of a noise-weighted baseband around each used harmonic, harmonics that agree
   summed, the slowly moving path through the frames found by dynamic programming.
4. Phasors: each used harmonic's baseband turned back by the phase the track accumulates
   (``harmonic_phasors``). Continuity leaves a phasor that stays put; removing or inserting
   material that is not a whole number of mains cycles turns it (a phase step), and joining
   another recording changes its phase and usually its length (the other hum is weaker,
   stronger or absent). Each sample carries the variance of the noise beside the harmonic,
   raised where the phasor spikes away and back (``outlier_variance``).
5. Steps: a likelihood-ratio test of "another phasor after t" at every t, over 4 and 8 s
   either side, harmonics combined as far as one time shift or a join explains them (a
   grid's even harmonic turns on its own with the loads; an edit turns them all:
   ``enf_steps.step_evidence``); the strongest steps are
   taken one at a time, each becoming a boundary for the next (``enf.search``). Where the
   statistic runs above the model all through the file (a line less steady than mains hum:
   a tape machine's buzz, hum under a phone's automatic gain), every statistic is divided
   by that inflation first (``enf.steps.inflation``).
6. The track's 16 s frames straddle a real jump and bend around it, which can swallow a jump
   or fake more of them a few seconds away. So the first search runs against a track
   smoothed over another 16 s (the bend cannot swallow all of the jump there); its steps only
   nominate cuts, the frequency is tracked again with frames kept to their own side of each
   cut, and the reported steps come from the phasors against that unsmoothed track, the cuts
   following the steps it confirms (``_follow_cuts``). Between the frames either side of a
   cut the frequency is held, not interpolated (``harmonic_phasors``): one side may have no
   hum, and its track is then noise.
7. A step that changes the hum's level (a join: the hum starts, stops or changes strength)
   is placed again by the likelihood of a change in one fixed stretch (``enf.locate``); the
   sliding windows see every place on the hum-free side about as well.
8. Each step is reported with the stretch where it may lie (``span``), its phase jump where
   the hum on both sides gives one, the change of hum level and its evidence
   (``enf.points``).

The evidence is −log of the chance that noise alone makes a step this large at one place, so
weak hum is judged against the phase noise its own strength implies, not against one global
threshold, and one logistic turns it into a score that means the same for every file. This
follows the phase-discontinuity idea of Rodríguez, Apolinário & Biscainho (IEEE TIFS 2010),
with the instantaneous phase replaced by a noise-weighted step test, which is what keeps it
usable with the hum 40 dB under speech. A separate frequency-step test was dropped: a join of
two recordings moves phase and level at once, which this test already sees, and in the tamper
benchmark the frequency test never reported a step on its own.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.enf.locate import Phasors
from earwitness.forensics.enf.points import NAME, edit_points
from earwitness.forensics.enf.search import (
    JOIN_DB,
    NEAR_S,
    Step,
    find_steps,
    level_change_db,
)
from earwitness.forensics.enf.steps import (
    FLOOR_EVIDENCE,
    INFLATION_TOLERANCE,
    held_drift,
    inflation,
    outlier_variance,
)
from earwitness.forensics.enf.track import (
    BASE_RATE,
    FRAME_S,
    HOP_S,
    PRESENT_SNR_DB,
    RATE,
    ROLL_OFF_HZ,
    harmonic_phasors,
    harmonic_snr,
    resample,
    top_harmonic_hz,
    track_frequency,
    tracked_present,
    tracked_snr,
)
from earwitness.forensics.findings import CheckResult, Series
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording

FORCED_SNR_DB = 6.0  # when the user names the nominal frequency, weaker hum is still tracked
SEARCH_SMOOTH_S = 16.0  # track smoothing for the first search (see the module docstring)
# Every reported step becomes a cut for the next track: under weak hum the smoothed search's
# track still bends around a jump and hides half of it. A weaker candidate must not: the
# tracks either side of a cut are free to differ, so a cut makes any place look like a step.
CUT_EVIDENCE = FLOOR_EVIDENCE
MAX_CUTS = 6  # tracks at most this many times more
PLOT_SNR = 4.0  # plotted phase points need this SNR (phase within about 0.35 rad)


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
    threshold = PRESENT_SNR_DB if nominal is None else FORCED_SNR_DB
    metrics: dict[str, Any] = {
        "present": best_snr >= threshold,
        "nominal_hz": best_nominal,
        "best_harmonic": best_harmonic,
        "snr_db": round(best_snr, 2),
        "harmonic_snr_db": {f"{n:g}x{h}": round(s, 1) for (n, h), s in sorted(snrs.items())},
    }
    # A line at a high harmonic that does not follow the grid can pass the long-term
    # spectrum; the hum it names must also stand out along its own track. The tracked SNR
    # also picks the harmonics: under speech the long-term spectrum ranks them poorly.
    top_hz = top_harmonic_hz(sample_rate)
    found_by = "spectrum"
    present_at = tracked_present(len(x) / RATE)
    stats, bands = tracked_snr(x, best_nominal, top_hz) if best_snr >= threshold else ({}, {})
    if max(stats.values(), default=0.0) < present_at:
        weak = _weak_hum(x, top_hz, nominal, present_at)
        if weak is None:
            return CheckResult(
                NAME,
                "not_applicable",
                f"No mains hum found (best candidate {best_nominal:g} Hz × {best_harmonic}, "
                f"{best_snr:.1f} dB above the neighbouring spectrum; {threshold:g} dB needed; "
                f"no harmonic stands {10 * np.log10(present_at):.1f} dB above the "
                "noise along its own track).",
                metrics,
            )
        best_nominal, stats, bands = weak
        found_by = "track"
    used = _strongest(stats, present_at)
    best_harmonic = used[0][0]
    metrics.update(present=True, nominal_hz=best_nominal, best_harmonic=best_harmonic)
    metrics["found_by"] = found_by
    bands = {h: bands[h] for h, _ in used}
    times, freq, _ = track_frequency(x, best_nominal, used, bands=bands, edge_hz=ROLL_OFF_HZ)
    phasors = _phasors(bands, best_nominal, times, freq, SEARCH_SMOOTH_S)
    # Against the smoothed track the statistic runs high from the track's own bends, and
    # these steps only nominate cuts: no correction for an unsteady line here.
    steps = find_steps(phasors, correct=False, held=held_drift(times, len(phasors[0][1])))
    times, freq, phasors, steps = _follow_cuts(x, best_nominal, used, bands, times, freq, steps)
    if tracks is not None:
        tracks["enf_track"] = (times, freq)
        tracks["enf_phase"] = _plotted_phase(phasors)
    unsteady = inflation(phasors, held_drift(times, len(phasors[0][1])))
    findings = edit_points(steps, phasors, best_nominal, unsteady <= INFLATION_TOLERANCE)
    strong = [f for f in findings if f.score >= 0.5]
    metrics.update(
        step_inflation=round(unsteady, 2),
        harmonics_used=[h for h, _ in used],
        mean_hz=round(float(np.mean(freq)), 5),
        std_mhz=round(float(np.std(freq) * 1000), 3),
        track_points=len(times),
        edit_point_count=len(strong),
    )
    strength = (
        f"{best_snr:.1f} dB"
        if found_by == "spectrum"
        else f"{used[0][1]:.1f} dB along its track in 16 s frames, too weak for the "
        "long-term spectrum"
    )
    summary = (
        f"Mains hum present at {best_nominal:g} Hz (strongest at harmonic {best_harmonic}, "
        f"{strength}); frequency "
        + (
            f"tracked at {len(times)} points {HOP_S:g} s apart"
            if len(times) > 1
            else "measured once, the recording being one frame long"
        )
        + f" (frames of {min(FRAME_S, len(x) / RATE):.0f} s), mean "
        f"{np.mean(freq):.4f} Hz, spread {np.std(freq) * 1000:.1f} mHz. "
        + (
            f"{len(strong)} discontinuity(ies) in ENF phase or level."
            if strong
            else "Phase and level continuous throughout."
        )
        + (
            f" The line is less steady than mains hum all through the file: its step "
            f"statistic runs {unsteady:.1f}× the model's (steady hum: up to "
            f"{INFLATION_TOLERANCE:g}×), as with a buzz or hum under automatic gain, and steps "
            "are judged against that."
            if unsteady > INFLATION_TOLERANCE
            else ""
        )
    )
    return CheckResult(NAME, "ok", summary, metrics, findings)


def _weak_hum(
    x: np.ndarray, top_hz: float, nominal: float | None, present_at: float
) -> tuple[float, dict[int, float], dict[int, np.ndarray]] | None:
    """(nominal, tracked SNR per harmonic, basebands) of the nominal frequency whose best
    harmonic stands out most along its own track (``tracked_snr``); None when no harmonic of
    either reaches ``present_at`` (or of ``nominal``, when given)."""
    best: tuple[float, dict[int, float], dict[int, np.ndarray]] | None = None
    for candidate in (50.0, 60.0) if nominal is None else (nominal,):
        stats, bands = tracked_snr(x, candidate, top_hz)
        if stats and (best is None or max(stats.values()) > max(best[1].values())):
            best = candidate, stats, bands
    if best is None or max(best[1].values()) < present_at:
        return None
    return best


def _strongest(
    stats: dict[int, float], present_at: float, count: int = 3
) -> list[tuple[int, float]]:
    """(harmonic, tracked SNR dB) of the ``count`` strongest harmonics that are hum on their
    own (at least ``present_at``), strongest first (the first one reports the jump)."""
    strong = sorted((h for h in stats if stats[h] >= present_at), key=lambda h: -stats[h])
    return [(h, float(10 * np.log10(stats[h]))) for h in strong[:count]]


def _follow_cuts(
    x: np.ndarray,
    nominal: float,
    used: list[tuple[int, float]],
    bands: dict[int, np.ndarray],
    times: np.ndarray,
    freq: np.ndarray,
    steps: list[Step],
) -> tuple[np.ndarray, np.ndarray, Phasors, list[Step]]:
    """Track and test again with the strong steps as cuts until the cuts stay put.

    The steps of the smoothed search only nominate cuts; what is reported comes from the
    unsmoothed track with cuts at the steps that this track itself confirms. Each round keeps
    a cut where a strong step still lies within ``NEAR_S`` of it (moved onto that step: the
    smoothed search may place a step a second off, and a cut holds the track's bend there, so
    a misplaced cut would pin the step to itself), drops a cut no step confirms, and adds the
    strongest step not yet cut (one at a time: a jump's own bend must not become a cut)."""
    near = NEAR_S * BASE_RATE
    cuts: list[Step] | None = None
    phasors: Phasors = []
    for _ in range(MAX_CUTS + 1):
        strong = [s for s in steps if s.evidence >= CUT_EVIDENCE]
        kept: list[Step] = []
        for cut in cuts or []:
            close = [s for s in strong if abs(s.index - cut.index) <= near]
            if close and all(abs(close[0].index - k.index) > near for k in kept):
                kept.append(close[0])
        fresh = [s for s in strong if all(abs(s.index - k.index) > near for k in kept)]
        proposal = kept + fresh[:1]
        if cuts is not None and [c.index for c in proposal] == [c.index for c in cuts]:
            break
        if proposal or cuts:
            times, freq, _ = track_frequency(
                x,
                nominal,
                used,
                cuts_s=[c.index / BASE_RATE for c in proposal],
                joins_s=[
                    c.index / BASE_RATE for c in proposal if abs(level_change_db(c)) >= JOIN_DB
                ],
                bands=bands,
                edge_hz=ROLL_OFF_HZ,
            )
        cuts = proposal
        phasors = _phasors(bands, nominal, times, freq, 0.0, [c.index / BASE_RATE for c in cuts])
        steps = find_steps(phasors, held=held_drift(times, len(phasors[0][1])))
    return times, freq, phasors, steps


def _phasors(
    bands: dict[int, np.ndarray],
    nominal: float,
    times: np.ndarray,
    freq: np.ndarray,
    smooth_s: float,
    cuts_s: list[float] | None = None,
) -> Phasors:
    """The harmonics' phasors against the track, strongest harmonic first (``bands`` keeps
    the order of ``_strongest``), with spikes' variance raised."""
    phasors = harmonic_phasors(bands, nominal, times, freq, smooth_s, ROLL_OFF_HZ, cuts_s)
    return [(h, z, outlier_variance(z, v)) for h, z, v in phasors]


def _plotted_phase(phasors: Phasors) -> tuple[np.ndarray, np.ndarray]:
    """Phase of the strongest harmonic (radians of the fundamental), noise-weighted over
    0.5 s and shown every 0.1 s, for the report's plot; NaN (a gap) where the hum is too weak
    there to give its phase.

    The noise variance of a 0.5 s mean is 1 / (its summed weight), so |mean|² × weight is its
    SNR. Below ``PLOT_SNR`` the phase is mostly noise's, and unwrapped it wanders through whole
    cycles that are not the hum's (a genuine file once showed a 2π jump under loud speech).
    The reliable points are unwrapped among themselves, across the gaps."""
    harmonic, z, variance = phasors[0]
    kernel = np.ones(BASE_RATE // 2)
    weight = 1.0 / variance
    total = np.convolve(weight, kernel, "same")
    mean = np.convolve(weight * z, kernel, "same") / total
    step = BASE_RATE // 10
    mean, total = mean[::step], total[::step]
    reliable = np.abs(mean) ** 2 * total >= PLOT_SNR
    phase = np.full(len(mean), np.nan)
    if reliable.any():
        phase[reliable] = np.unwrap(np.angle(mean[reliable])) / harmonic
        phase -= np.median(phase[reliable])
    return np.arange(len(phase)) * step / BASE_RATE, phase


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    tracks: dict[str, Any] = {}
    result = check_enf(recording.samples, recording.sample_rate, options.enf_nominal, tracks)
    return replace(result, series=_series(tracks))


def _series(tracks: dict[str, Any]) -> dict[str, Series]:
    """The plotted frequency track and phase residual, with what the report says of them."""
    series = {}
    if "enf_track" in tracks:
        times, values = tracks["enf_track"]
        series["enf_track"] = Series(
            times,
            values,
            title="ENF frequency track",
            caption="Frequency of the mains hum (electric network frequency) over time, "
            "estimated from the hum and its harmonics. A real grid wanders slowly and "
            "continuously; a step or gap can mark an edit.",
            value_label="frequency (Hz)",
            colour="#1565c0",
        )
    if "enf_phase" in tracks:
        times, values = tracks["enf_phase"]
        series["enf_phase"] = Series(
            times,
            values,
            title="ENF phase residual",
            caption="Phase of the mains hum (its strongest harmonic, in radians of the "
            "fundamental) after removing what its tracked frequency accounts for; gaps are "
            "where speech or noise hides the hum's phase. In a continuous recording it stays "
            "level, drifting slowly where the track misses some of the grid's wander. "
            "Removing or inserting material that is not a whole number of mains cycles makes "
            "it step. A step of about π (half a cycle) is also what a recorder that drops or "
            "repeats a few samples leaves, as the ENF-WHU reference recordings of the mains "
            "itself show. A jump of a whole cycle (2π, or 2π divided by the harmonic's "
            "number) changes nothing in the hum: where one shows, across a gap, the plot has "
            "re-joined the phase on another cycle, which is no event; for the same reason a "
            "deletion of whole mains cycles cannot be seen here.",
            value_label="phase residual (rad)",
            colour="#2e7d32",
        )
    return series


EXAMINATION = Declaration(
    NAME, "electric network frequency (ENF)", {"edit_point": "Edit point"}, run
)
