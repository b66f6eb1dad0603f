"""The index page of a report run over several recordings: one row per dossier."""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from earwitness.forensics.evaluation.verbal import support_phrase
from earwitness.forensics.truncation import Shortfall
from earwitness.reports.dossier_header import name_html


@dataclass(frozen=True)
class IndexRow:
    """What the index shows of one recording; the report job fills one per dossier."""

    name: str
    sha256: str
    duration_s: float
    edit_score: float
    language: str | None
    speakers: int
    dossier: Path  # the dossier's index.html
    log10_lr: float | None = None  # calibrated, whole file; None for an uncalibrated report
    shortfall: Shortfall | None = None  # the file is truncated: what it declares

    def length(self) -> str:
        """Its duration, and whether it is all there: "30.4 s (truncated: 61.7 s declared)"."""
        said = f"{self.duration_s:.1f} s"
        return f"{said} ({self.shortfall.phrase()})" if self.shortfall else said


def render_index(out_dir: Path, reports: Sequence[IndexRow]) -> str:
    rows = []
    for item in reports:
        link = os.path.relpath(item.dossier, out_dir)
        rows.append(
            "<tr>"
            f'<td><a href="{html.escape(link)}">{name_html(item.name)}</a></td>'
            f"<td><code>{item.sha256[:16]}…</code></td>"
            f"<td>{html.escape(item.length())}</td>"
            f"<td>{html.escape(support_phrase(item.log10_lr))}</td>"
            f"<td>{item.edit_score:.2f}</td>"
            f"<td>{html.escape(item.language or '–')}</td>"
            f"<td>{item.speakers}</td>"
            "</tr>"
        )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Earwitness report</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;margin:2rem;color:#1b1b1b}"
        "table{border-collapse:collapse}td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;"
        "text-align:left}th{background:#f3f3f3}</style></head><body>"
        "<h1>Recordings in this report</h1>"
        "<p>Evidence: the calibrated likelihood ratio over the whole file (log10 in brackets), "
        "in the words of the ENFSI verbal scale, for the proposition it supports — edited, "
        "or an unedited original — within the limitations each dossier states. Highest "
        "edit-point score: the strongest single place a check scored (0 = no indication); "
        "open a dossier for what they rest on.</p>"
        "<table><tr><th>Recording</th><th>SHA-256</th><th>Duration</th><th>Evidence</th>"
        "<th>Highest edit-point score</th>"
        "<th>Language</th><th>Speakers</th></tr>" + "".join(rows) + "</table></body></html>\n"
    )


def write_index(out_dir: Path, reports: Sequence[IndexRow]) -> Path:
    target = out_dir / "index.html"
    temporary = target.with_name(".index.html.tmp")
    temporary.write_text(render_index(out_dir, reports), encoding="utf-8")
    os.replace(temporary, target)
    return target
