"""Ground truth of the ENF trace an edit leaves: measured on the pure hum, before mixing.

At each edit point the fundamental's phasor is fitted over about one second on either side
(leaving out the crossfade and a short guard), each side's phase extrapolated to the edit
point along its own fitted frequency. The turn is the after-phase minus the before-phase
(degrees, −180…180); the step is the change of the fundamental's amplitude (dB). An edit point
is *traceable* when the turn is at least 20° or the step at least 1 dB (the project's decision,
issue 14): below that no examination can be expected to see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WINDOW_S = 1.0
GUARD_S = 0.005
TURN_LIMIT_DEG = 20.0
STEP_LIMIT_DB = 1.0
SILENT_DB = -99.0  # a side without hum: the step is reported as this floor


@dataclass(frozen=True)
class Phasor:
    """The fundamental on one side: amplitude, and phase as a line in time (radians)."""

    amplitude: float
    phase_at: float  # phase at time ``at`` (seconds)
    at: float
    slope: float  # radians per second relative to the nominal frequency

    def phase(self, t: float) -> float:
        return self.phase_at + self.slope * (t - self.at)


def _block_length(rate: int, nominal: float) -> int:
    """Samples in the shortest whole number of nominal cycles that is a whole number of
    samples (so the block mean cancels the harmonics); one cycle rounded if none is."""
    for cycles in range(1, 11):
        samples = rate * cycles / nominal
        if abs(samples - round(samples)) < 1e-9:
            return round(samples)
    return round(rate / nominal)


def fit_phasor(hum: np.ndarray, rate: int, nominal: float, start: int, stop: int) -> Phasor:
    """The fundamental of ``hum[start:stop]`` demodulated at ``nominal`` Hz, averaged over
    whole cycles, with a straight line fitted to the unwrapped phase of the block means."""
    start, stop = max(start, 0), min(stop, len(hum))
    block = _block_length(rate, nominal)
    count = (stop - start) // block
    if count < 2:
        return Phasor(0.0, 0.0, start / rate, 0.0)
    n = np.arange(start, start + count * block)
    carrier = np.exp(-2j * np.pi * nominal * n / rate)
    means = (hum[n] * carrier).reshape(count, block).mean(axis=1) * 2
    times = (start + (np.arange(count) + 0.5) * block) / rate
    phases = np.unwrap(np.angle(means))
    slope, intercept = np.polyfit(times - times.mean(), phases, 1)
    return Phasor(
        float(np.mean(np.abs(means))), float(intercept), float(times.mean()), float(slope)
    )


def measure(
    hum: np.ndarray, rate: int, nominal: float, time_s: float, crossfade_ms: float
) -> tuple[float, float]:
    """(turn in degrees, step in dB) of the hum's fundamental at the edit point ``time_s``."""
    half = crossfade_ms / 2000 + GUARD_S
    before = fit_phasor(
        hum, rate, nominal, int((time_s - half - WINDOW_S) * rate), int((time_s - half) * rate)
    )
    after = fit_phasor(
        hum, rate, nominal, int((time_s + half) * rate), int((time_s + half + WINDOW_S) * rate)
    )
    turn = np.angle(np.exp(1j * (after.phase(time_s) - before.phase(time_s))), deg=True)
    floor = 1e-12
    if before.amplitude <= floor and after.amplitude <= floor:
        return 0.0, 0.0
    step = 20 * np.log10(max(after.amplitude, floor) / max(before.amplitude, floor))
    return round(float(turn), 2), round(float(np.clip(step, SILENT_DB, -SILENT_DB)), 3)


def traceable(turn_deg: float, step_db: float) -> bool:
    return abs(turn_deg) >= TURN_LIMIT_DEG or abs(step_db) >= STEP_LIMIT_DB


def ground_truth(
    hum: np.ndarray,
    rate: int,
    nominal: float | None,
    edit_times: list[float],
    crossfade_ms: float,
) -> dict[str, list[float] | list[bool] | list[None]]:
    """Per edit point: ``enf_turn_deg``, ``enf_step_db`` and ``traceable``; for a file whose
    base recording has no hum the measurements are null and ``traceable`` is null."""
    if not nominal or not np.any(hum):
        nothing: list[None] = [None] * len(edit_times)
        return {"enf_turn_deg": nothing, "enf_step_db": nothing, "traceable": nothing}
    measured = [measure(hum, rate, nominal, t, crossfade_ms) for t in edit_times]
    return {
        "enf_turn_deg": [turn for turn, _ in measured],
        "enf_step_db": [step for _, step in measured],
        "traceable": [traceable(turn, step) for turn, step in measured],
    }
