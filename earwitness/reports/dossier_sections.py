"""Sections of the dossier page below the player: the findings as cards (section 4 of the
evaluative report, ``reports.evaluative``) and how to verify. All input text is escaped."""

from __future__ import annotations

import html
from typing import Any

from earwitness.forensics.findings import Finding
from earwitness.forensics.registry import check_title, kind_label
from earwitness.reports.dossier_header import prose_html, text_value
from earwitness.reports.dossier_transcript import number
from earwitness.reports.drawn import Drawn
from earwitness.reports.evaluative import evidence_text, findings_legend
from earwitness.reports.plots import (
    finding_colour,
    finding_severity,
    finding_window,
)
from earwitness.text import shown, timecode

esc = html.escape
MAX_FINDING_PLOTS = 12
LOCAL_SHARE = 0.6  # a finding spanning more of the recording than this gets no close-up


def severity(finding: Finding) -> str:
    """The finding's class: the alarm colour only for an edit point scored INDICATION or more,
    a neutral one for every observation (``plots.finding_severity``)."""
    return finding_severity(finding.kind, number(finding.score))


def _plotted(findings: list[Finding], duration: float) -> set[int]:
    """Indexes of the findings that get a close-up: local ones, highest scores first."""
    local = [
        i
        for i, f in enumerate(findings)
        if number(f.end_s) - number(f.start_s) <= LOCAL_SHARE * max(duration, 1e-9)
    ]
    local.sort(key=lambda i: -number(findings[i].score))
    return set(local[:MAX_FINDING_PLOTS])


def _measurements(values: dict[str, Any], caption: str = "Measurements") -> str:
    if not values:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{esc(str(k).replace("_", " "))}</th><td>{text_value(v)}</td></tr>'
        for k, v in values.items()
    )
    return f'<table class="evidence"><caption>{esc(caption)}</caption>{rows}</table>'


def render_findings(findings: list[Finding], drawn: Drawn, duration: float) -> str:
    if not findings:
        return '<p class="note">The examination reported no findings.</p>'
    plotted = _plotted(findings, duration)
    cards = []
    for index, finding in enumerate(findings, start=1):
        start, end = number(finding.start_s), number(finding.end_s)
        score = number(finding.score)
        plot = None
        sev = severity(finding)
        if index - 1 in plotted:
            colour = finding_colour(finding.kind, score)
            plot = drawn.close_up(start, end, colour)
        if plot:
            low, high = finding_window(start, end, duration)
            figure = (
                f'<figure><img alt="Close-up of finding {index}: waveform above spectrogram from '
                f'{timecode(low)} to {timecode(high)}" src="data:image/png;base64,{plot}">'
                f"<figcaption>Waveform (top) and spectrogram (bottom), {timecode(low)}–"
                f"{timecode(high)}; the finding's span is shaded in its colour.</figcaption>"
                "</figure>"
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
        evidence = evidence_text(finding)
        lr = f'<p class="lr">{evidence}</p>' if evidence else ""
        cards.append(
            f'<article class="finding {sev}" id="finding-{index}" tabindex="-1" '
            f'data-start="{start:.3f}" data-end="{end:.3f}">'
            f'<header><span class="num" aria-hidden="true">{index}</span>'
            f"<h3>{esc(kind_label(finding.kind))}</h3>"
            f'<span class="score" title="score from 0 (no indication) to 1 (certain)">'
            f'<span class="bar"><span style="width:{min(max(score, 0), 1) * 100:.0f}%"></span>'
            f"</span>score {score:.2f}</span></header>"
            f'<p class="when"><button type="button" class="seek" data-start="{start:.3f}" '
            f'aria-label="Play from {timecode(start)}">{span}</button> · '
            f"{esc(check_title(finding.check))}</p>"
            f'<p class="desc">{prose_html(finding.description)}</p>{lr}'
            f"<details><summary>Measurements and plot</summary>"
            f"{_measurements(finding.evidence)}{figure}</details></article>"
        )
    return findings_legend() + "".join(cards)


def render_verify(commands: list[str], sha256: str) -> str:
    sha = esc(sha256)
    # A command names the file; shown() keeps an override in a name from reversing it on screen.
    items = "".join(f"<li><pre><code>{esc(shown(c))}</code></pre></li>" for c in commands)
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
