"""Plots for the dossier: a full-bleed waveform and spectrogram that line up with the HTML
timeline (time 0 at the left edge, the end of the recording at the right edge, no margins), and
small captioned close-ups around each finding.

Figures are drawn with matplotlib's object API (no pyplot, no global backend) into PNG data that
the page inlines, so rendering stays a pure function of the samples.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from earwitness.formats.examination_html import _envelope, _spectrogram

TIMELINE_WIDTH_PX = 1600
WAVEFORM_HEIGHT_PX = 140
SPECTROGRAM_HEIGHT_PX = 200
DYNAMIC_RANGE_DB = 90
WAVE_COLOUR = "#1f3a5f"
SPAN_COLOUR = "#c62828"


@dataclass(frozen=True)
class Timeline:
    """Base64 PNGs that span exactly 0..duration_s from left to right."""

    duration_s: float
    waveform_png: str
    spectrogram_png: str | None
    amplitude_scale: float  # the waveform's vertical axis runs from -scale to +scale
    nyquist_hz: float


def _png(figure: Any, *, tight: bool = False, dpi: int = 100) -> str:
    """The figure as base64 PNG, reduced to a 256-colour palette (a quarter of the bytes)."""
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    # PIL writes no text chunks: the page carries no web address, not even inside a PNG.
    reduced.save(out, format="PNG", optimize=True)
    return base64.b64encode(out.getvalue()).decode("ascii")


def _bare_figure(width_px: int, height_px: int) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
    axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axis.set_axis_off()
    return figure, axis


def _amplitude_scale(samples: np.ndarray) -> float:
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if not math.isfinite(peak) or peak <= 0:
        return 1.0
    return min(1.0, max(peak * 1.08, 0.01))


def _draw_waveform(axis: Any, samples: np.ndarray, sample_rate: int, offset_s: float, columns: int):
    if len(samples) <= columns * 2:
        times = offset_s + np.arange(len(samples)) / sample_rate
        axis.plot(times, samples, color=WAVE_COLOUR, linewidth=0.7)
    else:
        times, low, high = _envelope(samples, sample_rate, columns)
        axis.fill_between(offset_s + times, low, high, color=WAVE_COLOUR, linewidth=0)


def _draw_spectrogram(
    axis: Any, samples: np.ndarray, sample_rate: int, offset_s: float, columns: int
) -> bool:
    spectrogram = _spectrogram(samples, sample_rate, columns)
    if spectrogram is None:
        return False
    times, freqs, db = spectrogram
    top = float(np.percentile(db, 99.5))
    step = (times[1] - times[0]) if len(times) > 1 else len(samples) / sample_rate
    axis.imshow(
        db,
        origin="lower",
        aspect="auto",
        cmap="magma",
        vmin=top - DYNAMIC_RANGE_DB,
        vmax=top,
        interpolation="nearest",
        extent=(
            offset_s + times[0] - step / 2,
            offset_s + times[-1] + step / 2,
            float(freqs[0]),
            float(freqs[-1]),
        ),
    )
    return True


def render_timeline(samples: np.ndarray, sample_rate: int) -> Timeline:
    """The overview images the page lays its markers, playhead and ruler over."""
    samples = np.asarray(samples, dtype=np.float32)
    if sample_rate <= 0:
        samples = samples[:0]
    duration = len(samples) / sample_rate if sample_rate > 0 else 0.0
    scale = _amplitude_scale(samples)
    figure, axis = _bare_figure(TIMELINE_WIDTH_PX, WAVEFORM_HEIGHT_PX)
    if len(samples):
        _draw_waveform(axis, samples, sample_rate, 0.0, TIMELINE_WIDTH_PX)
    axis.axhline(0.0, color="#8896a8", linewidth=0.6)
    axis.set_xlim(0.0, max(duration, 1e-6))
    axis.set_ylim(-scale, scale)
    waveform = _png(figure)
    figure, axis = _bare_figure(TIMELINE_WIDTH_PX, SPECTROGRAM_HEIGHT_PX)
    if len(samples) and _draw_spectrogram(axis, samples, sample_rate, 0.0, TIMELINE_WIDTH_PX):
        axis.set_xlim(0.0, duration)
        axis.set_ylim(0.0, sample_rate / 2)
        spectrogram: str | None = _png(figure)
    else:
        spectrogram = None
    return Timeline(duration, waveform, spectrogram, scale, sample_rate / 2)


def finding_window(start_s: float, end_s: float, duration_s: float) -> tuple[float, float]:
    """The stretch of the recording a close-up of the finding shows."""
    pad = max(1.0, 0.5 * (end_s - start_s))
    return max(0.0, start_s - pad), min(duration_s, end_s + pad)


def render_finding_plot(
    samples: np.ndarray, sample_rate: int, start_s: float, end_s: float
) -> str | None:
    """Waveform over spectrogram around one finding, its span shaded; None if nothing to show."""
    from matplotlib.figure import Figure

    duration = len(samples) / sample_rate if sample_rate else 0.0
    low, high = finding_window(start_s, end_s, duration)
    first, last = int(low * sample_rate), int(high * sample_rate)
    piece = np.asarray(samples[first:last], dtype=np.float32)
    if len(piece) < 64:
        return None
    figure = Figure(figsize=(6.4, 3.4))
    wave_axis, spec_axis = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1.4], "hspace": 0.08}
    )
    _draw_waveform(wave_axis, piece, sample_rate, first / sample_rate, 1200)
    scale = _amplitude_scale(piece)
    wave_axis.set_ylim(-scale, scale)
    wave_axis.set_ylabel("amplitude", fontsize=8)
    has_spectrogram = _draw_spectrogram(spec_axis, piece, sample_rate, first / sample_rate, 600)
    spec_axis.set_ylabel("Hz" if has_spectrogram else "", fontsize=8)
    spec_axis.set_xlabel("time (s)", fontsize=8)
    for axis in (wave_axis, spec_axis):
        if end_s - start_s > 1e-3:
            axis.axvspan(start_s, end_s, color=SPAN_COLOUR, alpha=0.18, linewidth=0)
        for edge in {start_s, end_s}:
            axis.axvline(edge, color=SPAN_COLOUR, linewidth=1.0, alpha=0.9)
        axis.tick_params(labelsize=7)
        axis.set_xlim(low, high)
    return _png(figure, tight=True, dpi=80)


def ruler_ticks(duration_s: float, most: int = 12) -> list[float]:
    """Round tick positions in seconds: at most ``most`` of them across the recording."""
    if duration_s <= 0:
        return [0.0]
    steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200]
    step = next((s for s in steps if duration_s / s <= most), steps[-1])
    while duration_s / step > most:
        step *= 2
    count = int(duration_s / step + 1e-9)
    return [round(i * step, 3) for i in range(count + 1)]


def short_time(seconds: float, step: float = 1.0) -> str:
    """m:ss (or h:mm:ss) for ruler labels; tenths when the ruler's step needs them."""
    whole = int(seconds)
    tenths = f".{round((seconds - whole) * 10) % 10}" if step < 1 else ""
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02}:{secs:02}{tenths}"
    return f"{minutes}:{secs:02}{tenths}"
