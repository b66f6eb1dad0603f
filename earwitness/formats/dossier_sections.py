"""Sections of the dossier page below the player: the findings, the checks performed and how
to verify. All input text is escaped."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from earwitness.forensics.examine import CHECK_TITLES, INDICATION, timecode
from earwitness.formats.dossier_header import text_value
from earwitness.formats.dossier_plots import finding_window, render_finding_plot
from earwitness.formats.dossier_transcript import number

esc = html.escape
MAX_FINDING_PLOTS = 12
LOCAL_SHARE = 0.6  # a finding spanning more of the recording than this gets no close-up
STATUS_WORDS = {"ok": "performed", "not_applicable": "not applicable", "error": "failed to run"}
KIND_LABELS = {
    "edit_point": "Edit point",
    "reencoding": "Re-encoding",
    "bandwidth_limit": "Bandwidth limit",
    "upsampling": "Upsampling",
    "clipping": "Clipping",
    "digital_silence": "Digital silence",
    "dc_offset": "DC offset",
    "metadata_inconsistency": "Metadata inconsistency",
    "other": "Other observation",
}


def severity(score: float) -> str:
    if score >= INDICATION:
        return "sev-hi"
    return "sev-mid" if score >= 0.2 else "sev-lo"


def _plotted(findings: list[dict[str, Any]], duration: float) -> set[int]:
    """Indexes of the findings that get a close-up: local ones, highest scores first."""
    local = [
        i
        for i, f in enumerate(findings)
        if number(f.get("end_s")) - number(f.get("start_s")) <= LOCAL_SHARE * max(duration, 1e-9)
    ]
    local.sort(key=lambda i: -number(findings[i].get("score")))
    return set(local[:MAX_FINDING_PLOTS])


def _measurements(values: dict[str, Any], caption: str = "Measurements") -> str:
    if not values:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{esc(str(k).replace("_", " "))}</th><td>{text_value(v)}</td></tr>'
        for k, v in values.items()
    )
    return f'<table class="evidence"><caption>{esc(caption)}</caption>{rows}</table>'


def render_findings(
    findings: list[dict[str, Any]], samples: np.ndarray, sample_rate: int, duration: float
) -> str:
    if not findings:
        return '<p class="note">The examination reported no findings.</p>'
    plotted = _plotted(findings, duration)
    cards = []
    for index, finding in enumerate(findings, start=1):
        start, end = number(finding.get("start_s")), number(finding.get("end_s"))
        score = number(finding.get("score"))
        kind = str(finding.get("kind", "other"))
        check = str(finding.get("check", ""))
        plot = None
        if index - 1 in plotted:
            plot = render_finding_plot(samples, sample_rate, start, end)
        if plot:
            low, high = finding_window(start, end, duration)
            figure = (
                f'<figure><img alt="Close-up of finding {index}: waveform above spectrogram from '
                f'{timecode(low)} to {timecode(high)}" src="data:image/png;base64,{plot}">'
                f"<figcaption>Waveform (top) and spectrogram (bottom), {timecode(low)}–"
                f"{timecode(high)}; the finding's span is shaded red.</figcaption></figure>"
            )
        elif end - start > LOCAL_SHARE * max(duration, 1e-9):
            figure = (
                '<p class="note">This finding concerns most or all of the recording; see the '
                "timeline plots above.</p>"
            )
        else:
            figure = (
                f'<p class="note">No close-up: only the {MAX_FINDING_PLOTS} highest-scoring local '
                f"findings get one. See the timeline above at {timecode(start)}.</p>"
            )
        span = timecode(start) if end - start < 0.05 else f"{timecode(start)}–{timecode(end)}"
        cards.append(
            f'<article class="finding {severity(score)}" id="finding-{index}" tabindex="-1" '
            f'data-start="{start:.3f}" data-end="{end:.3f}">'
            f'<header><span class="num" aria-hidden="true">{index}</span>'
            f"<h3>{esc(KIND_LABELS.get(kind, kind.replace('_', ' ')))}</h3>"
            f'<span class="score" title="score from 0 (no indication) to 1 (certain)">'
            f'<span class="bar"><span style="width:{min(max(score, 0), 1) * 100:.0f}%"></span>'
            f"</span>score {score:.2f}</span></header>"
            f'<p class="when"><button type="button" class="seek" data-start="{start:.3f}" '
            f'aria-label="Play from {timecode(start)}">{span}</button> · '
            f"{esc(CHECK_TITLES.get(check, check))}</p>"
            f'<p class="desc">{esc(str(finding.get("description", "")))}</p>'
            f"<details><summary>Measurements and plot</summary>"
            f"{_measurements(finding.get('evidence') or {})}{figure}</details></article>"
        )
    return (
        '<p class="legend"><span class="swatch sev-hi"></span> score ≥ '
        f'{INDICATION} <span class="swatch sev-mid"></span> 0.2–{INDICATION} '
        '<span class="swatch sev-lo"></span> below 0.2</p>' + "".join(cards)
    )


def render_checks(examination: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{esc(CHECK_TITLES.get(str(c.get('name')), str(c.get('name'))))}</td>"
        f'<td class="status {esc(str(c.get("status")))}">'
        f"{esc(STATUS_WORDS.get(str(c.get('status')), str(c.get('status'))))}</td>"
        f"<td>{esc(str(c.get('summary', '')))}<details><summary>measurements</summary>"
        f"{_measurements(c.get('metrics') or {}, 'Measurements')}</details></td></tr>"
        for c in examination.get("checks") or []
    )
    tool = examination.get("tool") or {}
    meta = (
        f"Examined {esc(str(examination.get('created_at', '?')))} by earwitness "
        f"{esc(str(tool.get('version', '?')))}, parameters "
        f"{text_value(tool.get('parameters') or {})}; report schema "
        f"{esc(str(examination.get('schema', '?')))}."
    )
    return (
        '<section class="checks" aria-labelledby="checks-h"><h2 id="checks-h">Checks performed'
        f'</h2><p class="meta">{meta}</p><table class="checks-table"><thead><tr>'
        '<th scope="col">Check</th><th scope="col">Status</th><th scope="col">Result</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def render_verify(commands: list[str], exhibit: dict[str, Any]) -> str:
    sha = esc(str(exhibit.get("sha256", "")))
    items = "".join(f"<li><pre><code>{esc(c)}</code></pre></li>" for c in commands)
    body = (
        f'<ol class="commands">{items}</ol>'
        if items
        else '<p class="note">No verification commands were supplied.</p>'
    )
    return (
        '<section class="verify" id="verify" aria-labelledby="verify-h">'
        '<h2 id="verify-h">How to verify</h2>'
        "<p>Every result in this dossier can be reproduced from the original recording. First "
        f'confirm that the file you hold is the original: its SHA-256 must be <code class="mono">'
        f"{sha}</code>. Then run these commands; each one recomputes a result shown above.</p>"
        f"{body}</section>"
    )
