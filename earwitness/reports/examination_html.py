"""The examination as one self-contained HTML file: facts, checks, findings and captioned plots.

Plots are PNGs inlined as data URIs, styles are inline, nothing is fetched: the file can be
mailed, archived or opened offline and will look the same.
"""

from __future__ import annotations

import html
import json

import numpy as np

from earwitness.forensics.examination import Examination
from earwitness.forensics.examine import INDICATION, timecode
from earwitness.reports.plots import report_figures

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


def render_examination_html(exam: Examination, samples: np.ndarray, sample_rate: int) -> str:
    """The report page for ``exam`` of ``samples``; plots of the checks' series come from
    ``exam`` (fresh, or read back with its stored series), the others from the samples."""
    exhibit = exam.exhibit
    media = exhibit.media
    esc = html.escape
    facts = [
        ("File", esc(exhibit.filename)),
        ("SHA-256", f'<span class="mono">{exhibit.sha256}</span>'),
        ("Size", f"{exhibit.size_bytes:,} bytes"),
        (
            "Format",
            esc(
                f"{media.get('container')} / {media.get('codec')}, "
                f"{media.get('sample_rate')} Hz, {media.get('channels')} channel(s)"
            ),
        ),
        ("Duration", f"{timecode(exam.duration_s)} ({exam.duration_s:.3f} s)"),
        (
            "Examined",
            f"{esc(exam.created_at)} by earwitness {esc(exam.tool.version)}"
            f", parameters {esc(json.dumps(exam.tool.parameters))}",
        ),
        ("Highest edit-point score", f"{exam.summary.edit_score:.2f}"),
    ]
    rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in facts)
    checks = "".join(
        f'<tr><td>{esc(c.name)}</td><td class="{c.status}">{c.status}</td>'
        f"<td>{esc(c.summary)}<details><summary>measurements</summary>"
        f'<pre class="mono">{esc(json.dumps(c.metrics, indent=1, ensure_ascii=False))}'
        "</pre></details></td></tr>"
        for c in exam.checks
    )
    findings = (
        "".join(
            f'<tr class="{"hi" if f.score >= INDICATION else ""}">'
            f"<td>{timecode(f.start_s)}–{timecode(f.end_s)}</td><td>{esc(f.kind)}</td>"
            f"<td>{esc(f.check)}</td><td>{f.score:.2f}</td><td>{esc(f.description)}</td></tr>"
            for f in exam.findings
        )
        or '<tr><td colspan="5">No findings.</td></tr>'
    )
    figures = "".join(
        f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{png}">'
        f"<figcaption><b>{esc(title)}.</b> {esc(caption)}</figcaption></figure>"
        for title, caption, png in report_figures(exam, samples, sample_rate)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Examination of {esc(exhibit.filename)}</title><style>{_STYLE}</style></head>
<body>
<h1>Authenticity examination: {esc(exhibit.filename)}</h1>
<table>{rows}</table>
<h2>Summary</h2><p class="summary">{esc(exam.summary.text)}</p>
<h2>Checks</h2>
<table><tr><th>check</th><th>status</th><th>result</th></tr>{checks}</table>
<h2>Findings</h2>
<p>Scores run from 0 (no indication) to 1 (certain) and mean the same in every report.
Rows at or above {INDICATION} are highlighted.</p>
<table><tr><th>time</th><th>kind</th><th>check</th><th>score</th><th>observation</th></tr>
{findings}</table>
<h2>Figures</h2>{figures}
<p><small>Schema {esc(exam.schema)}. Reproduce with:
<code>earwitness examine {exhibit.sha256[:12]} --format json</code> on the original
(SHA-256 above).</small></p>
</body></html>
"""
