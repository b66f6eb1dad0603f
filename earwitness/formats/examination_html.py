"""The examination as one self-contained HTML file: facts, checks, findings and captioned plots.

Plots are PNGs inlined as data URIs, styles are inline, nothing is fetched: the file can be
mailed, archived or opened offline and will look the same.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

import numpy as np

from earwitness.forensics.examine import INDICATION, Examination, timecode

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.mono{font-family:ui-monospace,monospace;word-break:break-all}
.ok{color:#176117}.not_applicable{color:#666}.error{color:#a00}
.hi{background:#fde8e8}figure{margin:1.5em 0}figcaption{color:#444;font-size:.92em}
img{max-width:100%}.summary{background:#f7f7f2;padding:1em;border-left:4px solid #888}
"""


def _figure_png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _mark_edits(axis: Any, exam: Examination) -> None:
    for finding in exam.findings:
        if finding.kind == "edit_point" and finding.score >= INDICATION:
            axis.axvline(finding.start_s, color="red", linewidth=1.2, alpha=0.8)


def _envelope(samples: np.ndarray, sample_rate: int, columns: int = 3000) -> tuple:
    usable = len(samples) // columns * columns
    if usable == 0:
        times = np.arange(len(samples)) / max(sample_rate, 1)
        return times, samples, samples
    blocks = samples[:usable].reshape(columns, -1)
    times = (np.arange(columns) + 0.5) * blocks.shape[1] / sample_rate
    return times, blocks.min(axis=1), blocks.max(axis=1)


def _spectrogram(samples: np.ndarray, sample_rate: int, columns: int = 1500) -> tuple:
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
    energy = np.mean(samples[: count * frame].reshape(count, frame) ** 2, axis=1)
    level = 10 * np.log10(energy + 1e-12)
    per_window = 40
    windows = max(count // per_window, 1)
    shaped = level[: windows * per_window].reshape(windows, -1)
    floor = np.percentile(shaped, 10, axis=1)
    times = (np.arange(windows) + 0.5) * per_window * frame / sample_rate
    return times, floor


def render_figures(exam: Examination, samples: np.ndarray, sample_rate: int) -> list[tuple]:
    """(title, caption, base64 PNG) for each plot that applies to this recording."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    times, low, high = _envelope(samples, sample_rate)
    figure, axis = plt.subplots(figsize=(11, 2.6))
    axis.fill_between(times, low, high, color="#345", linewidth=0)
    _mark_edits(axis, exam)
    axis.set(xlabel="time (s)", ylabel="amplitude", xlim=(0, len(samples) / sample_rate))
    figures.append(
        (
            "Waveform",
            "Minimum and maximum sample value in short blocks over the whole recording. Red lines "
            f"mark places with an edit-point score of {INDICATION} or more.",
            _figure_png(figure),
        )
    )
    spectrogram = _spectrogram(samples, sample_rate)
    if spectrogram is not None:
        spec_times, freqs, db = spectrogram
        figure, axis = plt.subplots(figsize=(11, 3.2))
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
                _figure_png(figure),
            )
        )
    enf_plots = [
        (
            "enf_track",
            "frequency (Hz)",
            "#1565c0",
            "ENF frequency track",
            "Frequency of the mains hum (electric network frequency) over time, estimated from the "
            "hum and its harmonics. A real grid wanders slowly and continuously; a step or gap can "
            "mark an edit.",
        ),
        (
            "enf_phase",
            "phase residual (rad)",
            "#2e7d32",
            "ENF phase residual",
            "Phase of the mains hum after removing its slowly varying trend. In an unedited "
            "recording it stays near zero; removing or inserting material that is not a whole "
            "number of mains cycles makes it jump.",
        ),
    ]
    for key, ylabel, colour, title, caption in enf_plots:
        series = exam.tracks.get(key)
        if series is None or not len(series[0]):
            continue
        figure, axis = plt.subplots(figsize=(11, 2.6))
        axis.plot(series[0], series[1], color=colour, linewidth=0.9)
        _mark_edits(axis, exam)
        axis.set(xlabel="time (s)", ylabel=ylabel)
        axis.ticklabel_format(useOffset=False, axis="y")
        figures.append((title, caption, _figure_png(figure)))
    floor_times, floor = noise_floor_track(samples, sample_rate)
    if len(floor_times):
        figure, axis = plt.subplots(figsize=(11, 2.4))
        axis.step(floor_times, floor, where="mid", color="#6a1b9a", linewidth=0.9)
        _mark_edits(axis, exam)
        axis.set(xlabel="time (s)", ylabel="noise floor (dBFS)")
        figures.append(
            (
                "Background noise floor",
                "Level of the quietest tenth of 50 ms frames in each 2 s window: the background "
                "between words. A step where nothing else changes can mark a join of recordings "
                "made in different places or times.",
                _figure_png(figure),
            )
        )
    return figures


def render_examination_html(exam: Examination, samples: np.ndarray, sample_rate: int) -> str:
    report = exam.report
    exhibit = report["exhibit"]
    media = exhibit["media"]
    esc = html.escape
    facts = [
        ("File", esc(exhibit["filename"])),
        ("SHA-256", f'<span class="mono">{exhibit["sha256"]}</span>'),
        ("Size", f"{exhibit['size_bytes']:,} bytes"),
        (
            "Format",
            esc(
                f"{media.get('container')} / {media.get('codec')}, "
                f"{media.get('sample_rate')} Hz, {media.get('channels')} channel(s)"
            ),
        ),
        ("Duration", f"{timecode(report['duration_s'])} ({report['duration_s']:.3f} s)"),
        (
            "Examined",
            f"{esc(report['created_at'])} by earwitness {esc(report['tool']['version'])}"
            f", parameters {esc(json.dumps(report['tool']['parameters']))}",
        ),
        ("Highest edit-point score", f"{report['summary']['edit_score']:.2f}"),
    ]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    checks = "".join(
        f'<tr><td>{esc(c["name"])}</td><td class="{c["status"]}">{c["status"]}</td>'
        f"<td>{esc(c['summary'])}<details><summary>measurements</summary>"
        f'<pre class="mono">{esc(json.dumps(c.get("metrics", {}), indent=1, ensure_ascii=False))}'
        "</pre></details></td></tr>"
        for c in report["checks"]
    )
    findings = (
        "".join(
            f'<tr class="{"hi" if f["score"] >= INDICATION else ""}">'
            f"<td>{timecode(f['start_s'])}–{timecode(f['end_s'])}</td><td>{esc(f['kind'])}</td>"
            f"<td>{esc(f['check'])}</td><td>{f['score']:.2f}</td><td>{esc(f['description'])}</td></tr>"
            for f in report["findings"]
        )
        or '<tr><td colspan="5">No findings.</td></tr>'
    )
    figures = "".join(
        f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{png}">'
        f"<figcaption><b>{esc(title)}.</b> {esc(caption)}</figcaption></figure>"
        for title, caption, png in render_figures(exam, samples, sample_rate)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Examination of {esc(exhibit["filename"])}</title><style>{_STYLE}</style></head>
<body>
<h1>Authenticity examination: {esc(exhibit["filename"])}</h1>
<table>{rows}</table>
<h2>Summary</h2><p class="summary">{esc(report["summary"]["text"])}</p>
<h2>Checks</h2>
<table><tr><th>check</th><th>status</th><th>result</th></tr>{checks}</table>
<h2>Findings</h2>
<p>Scores run from 0 (no indication) to 1 (certain) and mean the same in every report.
Rows at or above {INDICATION} are highlighted.</p>
<table><tr><th>time</th><th>kind</th><th>check</th><th>score</th><th>observation</th></tr>
{findings}</table>
<h2>Figures</h2>{figures}
<p><small>Schema {esc(report["schema"])}. Reproduce with:
<code>earwitness examine {exhibit["sha256"][:12]} --format json</code> on the original
(SHA-256 above).</small></p>
</body></html>
"""
