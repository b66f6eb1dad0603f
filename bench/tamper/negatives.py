"""Genuine recordings with real-world artefacts that are not edits.

- Dropouts: single samples, and short runs of 1–20 samples, set to zero at random places (a
  recorder's buffer underrun, a bad block on a memory card).
- A room change within one recording: a speaker walks to another room or a door opens, so the
  impulse response and the background noise change gradually over 0.5–2 s while the hum, which
  comes from the recorder's own supply, runs on.
- A speech onset after a long silence (3–10 s of only noise and hum) is made in
  ``generate.build_clean`` by a long pause before one turn.
"""

from __future__ import annotations

import numpy as np

EDGE_S = 1.0  # no dropout closer than this to either end


def dropouts(
    x: np.ndarray, rate: int, rng: np.random.Generator
) -> tuple[np.ndarray, list[dict[str, float | int]]]:
    """A copy of ``x`` with 2–4 single-sample dropouts and 2–4 zero runs of 1–20 samples,
    and where they are (start in seconds, length in samples)."""
    out = x.copy()
    places: list[dict[str, float | int]] = []
    singles, runs = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    for length in [1] * singles + [int(rng.integers(1, 21)) for _ in range(runs)]:
        start = int(rng.uniform(EDGE_S * rate, len(x) - EDGE_S * rate - length))
        out[start : start + length] = 0.0
        places.append({"at_s": round(start / rate, 5), "samples": length})
    places.sort(key=lambda place: float(place["at_s"]))
    return out, places


def gradual(count: int, rate: int, start_s: float, length_s: float) -> np.ndarray:
    """0 before ``start_s``, 1 after ``start_s + length_s``, a raised-cosine ramp between."""
    t = np.arange(count) / rate
    phase = np.clip((t - start_s) / length_s, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * phase)
