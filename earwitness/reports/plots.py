"""Every plot the reports draw, in one place: the examination report's captioned figures and the
dossier's full-bleed timeline (time 0 at the left edge, the end of the recording at the right
edge, no margins) with small close-ups around each finding.

Figures are drawn with matplotlib's object API (no pyplot, no global backend) into base64 PNG
data that the pages inline, so rendering stays a pure function of its inputs.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from earwitness.forensics.examination import Examination
from earwitness.forensics.findings import INDICATION
from earwitness.media.blocks import BLOCK, extremes, release


def envelope(
    samples: np.ndarray, sample_rate: int, columns: int = 3000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(times, minimum, maximum) of the samples in ``columns`` equal blocks."""
    usable = len(samples) // columns * columns
    if usable == 0:
        times = np.arange(len(samples)) / max(sample_rate, 1)
        return times, samples, samples
    width = usable // columns
    low = np.empty(columns, dtype=samples.dtype)
    high = np.empty(columns, dtype=samples.dtype)
    # A few columns at a time: a long recording is a memory map, read and handed back in blocks.
    step = max(BLOCK // width, 1)
    for first in range(0, columns, step):
        last = min(first + step, columns)
        view = samples[first * width : last * width]
        shaped = view.reshape(last - first, width)
        low[first:last], high[first:last] = shaped.min(axis=1), shaped.max(axis=1)
        release(view)
    times = (np.arange(columns) + 0.5) * width / sample_rate
    return times, low, high


def spectrogram(
    samples: np.ndarray, sample_rate: int, columns: int = 1500
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(times, frequencies, power in dB) at up to ``columns`` places; None when too short."""
    n_fft = 1024 if sample_rate > 24000 else 512
    if len(samples) < n_fft:
        return None
    starts = np.linspace(0, len(samples) - n_fft, min(columns, len(samples) // n_fft * 4))
    starts = starts.astype(int)
    frames = samples[starts[:, None] + np.arange(n_fft)] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    db = 10 * np.log10(power.T + 1e-12)
    return (starts + n_fft / 2) / sample_rate, np.fft.rfftfreq(n_fft, 1 / sample_rate), db


def noise_floor_track(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Level of the quietest tenth of 50 ms frames in each 2 s window, in dBFS."""
    frame = max(int(0.05 * sample_rate), 1)
    count = len(samples) // frame
    if count < 4:
        return np.array([]), np.array([])
    energy = np.empty(count, dtype=np.result_type(samples.dtype, np.float32))
    step = max(BLOCK // frame, 1)  # frames at a time (a long recording is a memory map)
    for first in range(0, count, step):
        last = min(first + step, count)
        view = samples[first * frame : last * frame]
        energy[first:last] = np.mean(view.reshape(last - first, frame) ** 2, axis=1)
        release(view)
    level = 10 * np.log10(energy + 1e-12)
    per_window = 40
    windows = max(count // per_window, 1)
    shaped = level[: windows * per_window].reshape(windows, -1)
    floor = np.percentile(shaped, 10, axis=1)
    times = (np.arange(windows) + 0.5) * per_window * frame / sample_rate
    return times, floor


# The examination report's figures: titled, captioned, axes labelled.

Figure = tuple[str, str, str]  # (title, caption, base64 PNG)


def _report_png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _report_axis(height_in: float) -> tuple[Any, Any]:
    from matplotlib.figure import Figure as MplFigure

    figure = MplFigure(figsize=(11, height_in))
    return figure, figure.subplots()


def _mark_edits(axis: Any, exam: Examination) -> None:
    for finding in exam.findings:
        if finding_severity(finding.kind, finding.score) == "sev-hi":
            axis.axvline(finding.start_s, color=ALARM_COLOUR, linewidth=1.2, alpha=0.8)


def report_figures(exam: Examination, samples: np.ndarray, sample_rate: int) -> list[Figure]:
    """(title, caption, base64 PNG) for each plot that applies to this recording: waveform,
    spectrogram, every series the checks measured (in check order), background noise floor."""
    figures = []
    times, low, high = envelope(samples, sample_rate)
    figure, axis = _report_axis(2.6)
    axis.fill_between(times, low, high, color="#345", linewidth=0)
    _mark_edits(axis, exam)
    axis.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(samples) / sample_rate))
    figures.append(
        (
            "Waveform",
            "Minimum and maximum sample value in short blocks over the whole recording. Red lines "
            f"mark places with an edit-point score of {INDICATION} or more.",
            _report_png(figure),
        )
    )
    computed = spectrogram(samples, sample_rate)
    if computed is not None:
        spec_times, freqs, db = computed
        figure, axis = _report_axis(3.2)
        top = np.percentile(db, 99.5)
        axis.pcolormesh(
            spec_times, freqs, db, shading="auto", vmin=top - 90, vmax=top, cmap="magma"
        )
        _mark_edits(axis, exam)
        axis.set(xlabel="time (s)", ylabel="frequency (Hz)")
        figures.append(
            (
                "Spectrogram",
                "Power by frequency over time (dB, 90 dB range). A sharp horizontal edge shows the "
                "recording's bandwidth; vertical breaks in the background texture can mark joins. "
                "Red lines as above.",
                _report_png(figure),
            )
        )
    for check in exam.checks:
        for series in check.series.values():
            if not len(series.times):
                continue
            figure, axis = _report_axis(2.6)
            axis.plot(series.times, series.values, color=series.colour, linewidth=0.9)
            _mark_edits(axis, exam)
            axis.set(xlabel="time (s)", ylabel=series.value_label)
            axis.ticklabel_format(useOffset=False, axis="y")
            figures.append((series.title, series.caption, _report_png(figure)))
    floor_times, floor = noise_floor_track(samples, sample_rate)
    if len(floor_times):
        figure, axis = _report_axis(2.4)
        axis.step(floor_times, floor, where="mid", color="#6a1b9a", linewidth=0.9)
        _mark_edits(axis, exam)
        axis.set(xlabel="time (s)", ylabel="noise floor (dBFS)")
        figures.append(
            (
                "Background noise floor",
                "Level of the quietest tenth of 50 ms frames in each 2 s window: the background "
                "between words. A step where nothing else changes can mark a join of recordings "
                "made in different places or times.",
                _report_png(figure),
            )
        )
    return figures


# The dossier's timeline and close-ups: bare, full-bleed, palette PNGs.

TIMELINE_WIDTH_PX = 1600
WAVEFORM_HEIGHT_PX = 140
SPECTROGRAM_HEIGHT_PX = 200
DYNAMIC_RANGE_DB = 90
WAVE_COLOUR = "#1f3a5f"
ALARM_COLOUR = "#c62828"  # an edit point scored at the indication threshold or above
EDIT_COLOUR = "#b86e00"  # an edit point below it
LOW_COLOUR = "#6e7781"  # an edit point scored below 0.2
OBSERVATION_COLOUR = "#3d6a8f"  # anything else: encoder tags, transcoding, dropouts, truncation
SPAN_COLOUR = ALARM_COLOUR
EDIT_KIND = "edit_point"


def finding_severity(kind: str, score: float) -> str:
    """The class a finding is drawn with: only an edit point can raise the alarm (``sev-hi``,
    at a score of INDICATION or more); every other kind is an observation (``sev-obs``), drawn
    in a neutral colour whatever its score, because its innocent explanations are common."""
    if kind != EDIT_KIND:
        return "sev-obs"
    if score >= INDICATION:
        return "sev-hi"
    return "sev-mid" if score >= 0.2 else "sev-lo"


SEVERITY_COLOURS = {
    "sev-hi": ALARM_COLOUR,
    "sev-mid": EDIT_COLOUR,
    "sev-lo": LOW_COLOUR,
    "sev-obs": OBSERVATION_COLOUR,
}


def finding_colour(kind: str, score: float) -> str:
    """The colour a finding of ``kind`` scored ``score`` is drawn in (see finding_severity)."""
    return SEVERITY_COLOURS[finding_severity(kind, score)]


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


def palette_png(figure: Any, *, tight: bool = False, dpi: int = 100) -> str:
    """A figure as the compact base64 PNG the pages inline (for plots drawn elsewhere)."""
    return _png(figure, tight=tight, dpi=dpi)


def _bare_figure(width_px: int, height_px: int) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_px / 100, height_px / 100), dpi=100)
    axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axis.set_axis_off()
    return figure, axis


def _amplitude_scale(samples: np.ndarray) -> float:
    high, low = extremes(samples) if len(samples) else (0.0, 0.0)
    peak = max(high, -low)  # the largest magnitude, without a full-length np.abs copy
    if not math.isfinite(peak) or peak <= 0:
        return 1.0
    return min(1.0, max(peak * 1.08, 0.01))


def _draw_waveform(axis: Any, samples: np.ndarray, sample_rate: int, offset_s: float, columns: int):
    if len(samples) <= columns * 2:
        times = offset_s + np.arange(len(samples)) / sample_rate
        axis.plot(times, samples, color=WAVE_COLOUR, linewidth=0.7)
    else:
        times, low, high = envelope(samples, sample_rate, columns)
        axis.fill_between(offset_s + times, low, high, color=WAVE_COLOUR, linewidth=0)


def _draw_spectrogram(
    axis: Any, samples: np.ndarray, sample_rate: int, offset_s: float, columns: int
) -> bool:
    computed = spectrogram(samples, sample_rate, columns)
    if computed is None:
        return False
    times, freqs, db = computed
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
        spectrogram_png: str | None = _png(figure)
    else:
        spectrogram_png = None
    return Timeline(duration, waveform, spectrogram_png, scale, sample_rate / 2)


def finding_window(start_s: float, end_s: float, duration_s: float) -> tuple[float, float]:
    """The stretch of the recording a close-up of the finding shows."""
    pad = max(1.0, 0.5 * (end_s - start_s))
    return max(0.0, start_s - pad), min(duration_s, end_s + pad)


def render_finding_plot(
    samples: np.ndarray,
    sample_rate: int,
    start_s: float,
    end_s: float,
    colour: str = SPAN_COLOUR,
) -> str | None:
    """Waveform over spectrogram around one finding, its span shaded in ``colour`` (see
    ``finding_colour``); None if nothing to show."""
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
            axis.axvspan(start_s, end_s, color=colour, alpha=0.18, linewidth=0)
        for edge in {start_s, end_s}:
            axis.axvline(edge, color=colour, linewidth=1.0, alpha=0.9)
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
