"""The examination as one self-contained HTML file, in the sections of an evaluative report
(question, items, methods and validation, findings, conclusion, limitations, sign-off), then
the captioned plots.

Plots are PNGs inlined as data URIs, styles are inline, nothing is fetched: the file can be
mailed, archived or opened offline and will look the same.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from earwitness.forensics.examination import Examination
from earwitness.reports.dossier_header import name_html, prose_html
from earwitness.reports.evaluative import (
    render_conclusion,
    render_findings_table,
    render_items,
    render_limitations,
    render_methods,
    render_question,
    render_signoffs,
)
from earwitness.reports.method_validation import CalibrationLike, shipped_calibration_or_reason
from earwitness.reports.plots import report_figures
from earwitness.reports.signoffs import SignOff
from earwitness.text import timecode

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.mono{font-family:ui-monospace,monospace;word-break:break-all}
caption{text-align:left;font-weight:600;color:#555;padding:.2em 0}
.ok{color:#176117}.not_applicable{color:#666}.error{color:#a00}
tr.sev-hi{background:#fde8e8}tr.sev-obs{background:#eef3f8}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;vertical-align:-.05em}
.swatch.sev-hi{background:#c62828}.swatch.sev-mid{background:#b86e00}
.swatch.sev-lo{background:#6e7781}.swatch.sev-obs{background:#3d6a8f}
figure{margin:1.5em 0}figcaption{color:#444;font-size:.92em}
img{max-width:100%}.summary,.conclusion{background:#f7f7f2;padding:1em;border-left:4px solid #888}
.note,.legend,.meta,.interval{color:#555;font-size:.92em}.interval{white-space:nowrap}.question{font-weight:600}
.propositions dt{font-weight:700;float:left;width:2.5em}.propositions dd{margin:0 0 .4em 2.5em}
.scale-table tr.here td{background:#fff3b0;font-weight:600}
.uncalibrated,.unavailable{color:#7a4b00}
"""


def render_examination_html(
    exam: Examination,
    samples: np.ndarray,
    sample_rate: int,
    *,
    signoffs: Sequence[SignOff] = (),
    examination_sha256: str | None = None,
    calibration: CalibrationLike | str | None = None,
) -> str:
    """The report page for ``exam`` of ``samples``, in the sections of an evaluative report
    (``reports.evaluative``), followed by the figures. Plots of the checks' series come from
    ``exam`` (fresh, or read back with its stored series), the others from the samples.

    ``signoffs``: the sign-offs of this exhibit read from the verified custody log;
    ``examination_sha256``: the stored report's hash they name (None outside a case);
    ``calibration``: the shipped calibration (loaded when None), or why it is unavailable.
    """
    exhibit = exam.exhibit
    esc = html.escape
    if calibration is None:
        calibration = shipped_calibration_or_reason()
    findings = sorted(exam.findings, key=lambda f: (f.start_s, -f.score))
    duration = f"{timecode(exam.duration_s)} ({exam.duration_s:.3f} s)"
    at_a_glance = exam.summary.conclusion or exam.summary.text
    sections = "".join(
        [
            render_question(),
            render_items(
                filename=exhibit.filename,
                sha256=exhibit.sha256,
                size_bytes=exhibit.size_bytes,
                media=exhibit.media,
                findings=findings,
                extra=f'<p class="note">Duration {duration}.</p>',
            ),
            render_methods(exam, calibration),
            render_findings_table(findings),
            render_conclusion(exam),
            render_limitations(exam),
            render_signoffs(signoffs, examination_sha256, exhibit.sha256),
        ]
    )
    figures = "".join(
        f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{png}">'
        f"<figcaption><b>{esc(title)}.</b> {esc(caption)}</figcaption></figure>"
        for title, caption, png in report_figures(exam, samples, sample_rate)
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Examination of {name_html(exhibit.filename)}</title><style>{_STYLE}</style></head>
<body>
<h1>Authenticity examination: {name_html(exhibit.filename)}</h1>
<p class="summary">{prose_html(at_a_glance)}</p>
{sections}
<h2 id="figures-h">Annex: figures</h2>{figures}
<p><small>Schema {esc(exam.schema)}. Reproduce with:
<code>earwitness examine {exhibit.sha256[:12]} --format json</code> on the original
(SHA-256 above).</small></p>
</body></html>
"""
