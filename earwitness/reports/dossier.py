"""The per-recording dossier: one self-contained HTML page (and a PDF of it) that puts the
exhibit's facts, custody, examination, transcript and the means to check them side by side.
The examination is set out as an evaluative report (``reports.evaluative``): question, items
received, methods and validation, findings, conclusion, limitations, examiner sign-off.

The page fetches nothing: plots are inline PNGs, style and script are inlined from
``dossier_assets/``, the audio is embedded as a data URI or sits beside the page. It can be
opened from disk or mailed. Rendering is a pure function of :class:`DossierInputs`; every text
that comes from the inputs (file names, transcripts, custody details) is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from earwitness.forensics.evaluation.verbal import likelihood_ratio, support_phrase
from earwitness.forensics.examination import Examination
from earwitness.forensics.findings import INDICATION, Finding
from earwitness.reports.dossier_header import (
    DossierExhibit,
    ToolVersions,
    name_html,
    prose_html,
    render_custody,
    render_facts,
    render_masthead,
)
from earwitness.reports.dossier_sections import (
    LOCAL_SHARE,
    render_findings,
    render_verify,
    severity,
)
from earwitness.reports.dossier_transcript import number, render_transcript
from earwitness.reports.drawn import Drawn
from earwitness.reports.evaluative import (
    heading,
    render_conclusion,
    render_items,
    render_limitations,
    render_methods,
    render_question,
    render_signoffs,
    signed,
)
from earwitness.reports.method_validation import CalibrationLike, shipped_calibration_or_reason
from earwitness.reports.plots import Timeline, ruler_ticks, short_time
from earwitness.reports.signoffs import signoffs_of
from earwitness.speech.types import Transcript
from earwitness.text import timecode
from earwitness.vault.custody import Event

esc = html.escape
LANE_HEIGHT_PX = 14
MAX_LANES = 4


@dataclass(frozen=True)
class DossierInputs:
    exhibit: DossierExhibit
    custody: Sequence[Event]
    examination: Examination | None
    transcript: Transcript | None
    samples: np.ndarray
    sample_rate: int
    audio_href: str
    audio_data: bytes | None = None
    audio_mime: str = "audio/mpeg"
    tool: ToolVersions = field(default_factory=ToolVersions)
    verify_commands: list[str] = field(default_factory=list)
    generated_at: str = ""
    # The SHA-256 of the stored examination report (what a sign-off names); None outside a case.
    examination_sha256: str | None = None
    # The shipped calibration (loaded when None), or why it is unavailable.
    calibration: CalibrationLike | str | None = None
    # Drawings of ``samples`` made ahead (``draw_ahead``); used only if made for that array.
    drawn: Drawn | None = None


def _asset(name: str) -> str:
    return (resources.files("earwitness.reports") / "dossier_assets" / name).read_text("utf-8")


def _audio_src(inputs: DossierInputs) -> str:
    if inputs.audio_data is not None:
        encoded = base64.b64encode(inputs.audio_data).decode("ascii")
        return f"data:{esc(inputs.audio_mime)};base64,{encoded}"
    # Percent-encoded, so the name stays a relative path: a colon can't start a scheme.
    return esc(quote(inputs.audio_href, safe="/"))


def _lanes(findings: list[Finding], duration: float) -> list[int]:
    """A row in the findings lane for each finding, so that overlapping markers stay apart."""
    minimum = duration * 0.012
    ends: list[float] = []
    lanes = []
    for finding in findings:
        start = number(finding.start_s)
        end = max(number(finding.end_s), start + minimum)
        lane = next((i for i, last in enumerate(ends) if last <= start), None)
        if lane is None and len(ends) < MAX_LANES:
            ends.append(end)
            lane = len(ends) - 1
        elif lane is None:  # all lanes busy: share the one that frees first
            lane = min(range(len(ends)), key=ends.__getitem__)
        ends[lane] = max(ends[lane], end)
        lanes.append(lane)
    return lanes


def _percent(seconds: float, duration: float) -> float:
    return 0.0 if duration <= 0 else min(100.0, max(0.0, seconds / duration * 100))


def _markers(findings: list[Finding], duration: float) -> tuple[str, str, int]:
    """(marker links for the findings lane, hairlines over the plots, number of lanes)."""
    lanes = _lanes(findings, duration)
    markers, lines = [], []
    for index, (finding, lane) in enumerate(zip(findings, lanes, strict=True), start=1):
        start, end = number(finding.start_s), number(finding.end_s)
        left, right = _percent(start, duration), _percent(end, duration)
        kind = finding.kind.replace("_", " ")
        score = number(finding.score)
        label = f"Finding {index}: {kind} at {timecode(start)}, score {score:.2f}"
        sev = severity(finding)
        markers.append(
            f'<a class="marker {sev}" href="#finding-{index}" data-finding="{index}" '
            f'data-start="{start:.3f}" data-end="{end:.3f}" title="{esc(label)}" '
            f'aria-label="{esc(label)}" style="left:{left:.3f}%;width:{right - left:.3f}%;'
            f'top:{2 + lane * LANE_HEIGHT_PX}px"><span>{index}</span></a>'
        )
        if right - left <= LOCAL_SHARE * 100:  # shaded over the plots too, unless file-wide
            lines.append(
                f'<div class="hairline {sev}" style="left:{left:.3f}%;width:{right - left:.3f}%">'
                "</div>"
            )
    return "".join(markers), "".join(lines), max(lanes, default=0) + 1


def _ruler(duration: float) -> str:
    ticks = ruler_ticks(duration)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return "".join(
        f'<span class="tick" style="left:{_percent(t, duration):.3f}%">{short_time(t, step)}</span>'
        for t in ticks
    )


def _player(inputs: DossierInputs, timeline: Timeline, findings: list[Finding]) -> str:
    duration = timeline.duration_s
    markers, hairlines, lanes = _markers(findings, duration)
    playhead = '<div class="playhead" aria-hidden="true"></div>'
    if timeline.spectrogram_png:
        khz = timeline.nyquist_hz / 1000
        spectrogram = (
            '<div class="row spec"><div class="gutter" aria-hidden="true">'
            f'<span class="top">{khz:g} kHz</span><span class="mid">{khz / 2:g}</span>'
            '<span class="bottom">0</span></div>'
            '<div class="track seekable"><img alt="Spectrogram of the whole recording: frequency '
            f'0 to {khz:g} kHz upwards, time left to right, {DYNAMIC_RANGE_TEXT}." '
            f'src="data:image/png;base64,{timeline.spectrogram_png}">{hairlines}{playhead}'
            "</div></div>"
        )
    else:
        spectrogram = ""
    return f"""
<section class="player" id="player" aria-label="Recording and timeline">
<audio id="audio" src="{_audio_src(inputs)}" preload="auto" controls></audio>
<div class="controls" role="toolbar" aria-label="Playback">
<button type="button" id="btn-play" class="primary" aria-label="Play (Space or Esc)">
<span class="icon play" aria-hidden="true"></span><span class="label">Play</span></button>
<button type="button" id="btn-back" aria-label="Back 3 seconds (Left arrow)">« 3 s</button>
<button type="button" id="btn-fwd" aria-label="Forward 3 seconds (Right arrow)">3 s »</button>
<span class="speed"><button type="button" id="btn-slower" aria-label="Slower ([ key)">−</button>
<output id="rate" aria-live="polite" aria-label="Playback speed">1.00×</output>
<button type="button" id="btn-faster" aria-label="Faster (] key)">+</button></span>
<span class="clock"><span id="now">{timecode(0)}</span> / {timecode(duration)}</span>
<label class="follow"><input type="checkbox" id="follow" checked> Follow transcript</label>
<span class="keys" aria-hidden="true"><kbd>Space</kbd>/<kbd>Esc</kbd> play·pause
<kbd>←</kbd><kbd>→</kbd> 3 s <kbd>[</kbd><kbd>]</kbd> speed</span>
</div>
<div class="timeline" id="timeline" data-duration="{duration:.3f}" role="group"
 aria-label="Timeline: click to play from a time; numbered markers are findings">
<div class="row lane"><div class="gutter">Findings</div>
<div class="track" style="height:{lanes * LANE_HEIGHT_PX + 4}px">{markers}{playhead}</div></div>
<div class="row wave"><div class="gutter" aria-hidden="true">
<span class="top">+{timeline.amplitude_scale:.2g}</span><span class="mid">0</span>
<span class="bottom">−{timeline.amplitude_scale:.2g}</span></div>
<div class="track seekable"><img alt="Waveform of the whole recording, time left to right."
 src="data:image/png;base64,{timeline.waveform_png}">{hairlines}{playhead}</div></div>
{spectrogram}
<div class="row ruler"><div class="gutter"></div><div class="track">{_ruler(duration)}</div></div>
</div>
</section>"""


DYNAMIC_RANGE_TEXT = "colour shows power over a 90 dB range"


def _summary(examination: Examination | None, findings: list[Finding]) -> str:
    text = examination.summary.text if examination else ""
    text = text or "No examination report was supplied."
    edit_score = examination.summary.edit_score if examination else 0.0
    edits = [f for f in findings if f.kind == "edit_point"]
    strong = sum(1 for f in edits if number(f.score) >= INDICATION)
    figures = [
        f"<b>{number(edit_score):.2f}</b> highest edit-point score",
        f"<b>{len(edits)}</b> edit point(s), <b>{strong}</b> at or above {INDICATION}",
        f"<b>{len(findings) - len(edits)}</b> observation(s)",
    ]
    conclusion = ""
    if examination is not None and examination.summary.log10_lr is not None:
        log10_lr = examination.summary.log10_lr
        # The calibrated evidence leads: a bold score alone reads as a verdict (issue 14).
        figures.insert(0, f"<b>{esc(support_phrase(log10_lr))}</b> over the whole file")
        conclusion = (
            f'<p class="conclusion">{prose_html(examination.summary.conclusion or "")} '
            f"<b>log10 LR {signed(log10_lr)}</b> (LR {likelihood_ratio(log10_lr)}); see "
            '<a href="#conclusion-h">the conclusion</a> and its scale.</p>'
        )
    elif examination is not None:
        conclusion = (
            '<p class="conclusion uncalibrated">Not calibrated (examined by an earlier '
            "version): no likelihood ratio.</p>"
        )
    return (
        '<section class="summary" id="summary" aria-labelledby="summary-h">'
        '<h2 id="summary-h">Examination summary</h2>'
        f'<p class="figures">{" · ".join(figures)}</p>{conclusion}'
        f'<p class="statement">{prose_html(str(text))}</p>'
        '<p class="scale">Scores run from 0 (no indication) to 1 (certain) and mean the same in '
        "every report. They describe features of the signal; the conclusions drawn from them are "
        "the examiner's.</p></section>"
    )


def _in_order(examination: Examination | None) -> list[Finding]:
    return sorted(
        examination.findings if examination else (),
        key=lambda f: (number(f.start_s), -number(f.score)),
    )


def draw_ahead(drawn: Drawn, examination: Examination | None) -> None:
    """Draw what the page of ``examination`` shows of ``drawn``'s samples, and the shipped
    calibration's validation plots: everything that needs no transcript. ``report`` calls
    this while the speech is decoded; the page then finds the drawings done."""
    findings = _in_order(examination)
    render_findings(findings, drawn, drawn.timeline().duration_s)
    calibration = shipped_calibration_or_reason()
    if not isinstance(calibration, str):
        render_methods(examination, calibration)  # its plots are kept by the calibration's hash


def render_dossier(inputs: DossierInputs) -> str:
    """The whole dossier as one HTML document (a string)."""
    exhibit = inputs.exhibit
    examination = inputs.examination
    findings = _in_order(examination)
    drawn = (inputs.drawn or Drawn(inputs.samples, inputs.sample_rate)).for_samples(
        inputs.samples, inputs.sample_rate
    )
    timeline = drawn.timeline()
    name = name_html(exhibit.filename or "unnamed recording")
    generated = esc(inputs.generated_at) if inputs.generated_at else "—"
    version = esc(inputs.tool.earwitness)
    calibration = inputs.calibration
    if calibration is None:
        calibration = shipped_calibration_or_reason()
    items = render_items(
        filename=exhibit.filename or "unnamed recording",
        sha256=exhibit.sha256,
        size_bytes=exhibit.size_bytes,
        media=exhibit.media,
        findings=findings,
        received=exhibit.received_at or "",
        extra=render_facts(exhibit, inputs.tool, timeline.duration_s),
    )
    signoffs = signoffs_of(inputs.custody, exhibit.sha256)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="earwitness {version}">
<title>Dossier: {name}</title>
<style>{_asset("dossier.css")}</style></head>
<body>
<a class="skip" href="#transcript-h">Skip to transcript</a>
{render_masthead(exhibit, inputs.custody, inputs.tool, timeline.duration_s, inputs.generated_at)}
<main>
{_summary(examination, findings)}
{_player(inputs, timeline, findings)}
{render_question()}
{items}
{render_methods(examination, calibration)}
<div class="columns">
<section class="transcript-panel" aria-labelledby="transcript-h">
<h2 id="transcript-h">Transcript</h2>
{render_transcript(inputs.transcript)}
</section>
<section class="findings-panel ev ev-findings" id="findings" aria-labelledby="findings-h">
{heading(4, "Findings", "findings")}
{render_findings(findings, drawn, timeline.duration_s)}
</section>
</div>
{render_conclusion(examination)}
{render_limitations(examination)}
{render_signoffs(signoffs, inputs.examination_sha256, exhibit.sha256)}
{render_custody(inputs.custody)}
{render_verify(inputs.verify_commands, exhibit.sha256)}
</main>
<footer><p>Generated {generated} by earwitness {version}. This page is self-contained: it loads
nothing from the network. The recording it describes is identified by its SHA-256 above.</p>
</footer>
<script>{_asset("dossier.js")}</script>
</body></html>
"""


def _offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher for inline data only: the PDF, like the page, fetches nothing."""
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint 68 and later
        return urls.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
        if not url.startswith("data:"):
            raise ValueError(f"the dossier PDF loads no external resource ({url[:40]!r})")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def write_pdf(html: str, path: Path) -> None:
    """Print the dossier to PDF with its print stylesheet (no player; the transcript a table)."""
    import weasyprint

    document = weasyprint.HTML(string=html, url_fetcher=_offline_fetcher(), media_type="print")
    document.write_pdf(Path(path))


__all__ = [
    "DossierExhibit",
    "DossierInputs",
    "ToolVersions",
    "draw_ahead",
    "render_dossier",
    "write_pdf",
]
