"""The sections of an evaluative examination report, in the order examiners write them (ENFSI
Best Practice Manual for Digital Audio Authenticity Analysis, ENFSI-FSA-BPM-002, 2021): the
question and the propositions, the items received, the methods and their validation, the
findings, the evaluative conclusion with its scale, the limitations, and the examiners'
sign-off. The examination HTML report and the dossier (and so its PDF) both use them.

Every builder is a pure function of its arguments and returns escaped HTML. Examinations made
before the calibration (no ``log10_lr`` anywhere) are shown as "not calibrated (examined by an
earlier version)", never refused.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from earwitness.forensics.evaluation.verbal import likelihood_ratio
from earwitness.forensics.examination import Examination
from earwitness.forensics.findings import INDICATION, Finding
from earwitness.forensics.metadata import NAME as CONTAINER_CHECK
from earwitness.forensics.registry import check_title, kind_label
from earwitness.reports.dossier_header import (
    format_line,
    media_tags,
    name_html,
    prose_html,
    text_value,
)
from earwitness.reports.method_validation import (
    NOT_CALIBRATED,
    CalibrationLike,
    is_calibrated,
    render_validation,
)
from earwitness.reports.plots import finding_severity
from earwitness.reports.signoffs import SignOff
from earwitness.text import timecode

esc = html.escape
SECTION_IDS = (
    "question",
    "items",
    "methods",
    "findings",
    "conclusion",
    "limitations",
    "signoff",
)
QUESTION = "Was this recording edited after it was first recorded?"
HP = (
    "The recording was edited: material was removed, inserted or joined after it was first "
    "recorded."
)
HD = (
    "The recording is an unedited original recording; it may have been transcoded or "
    "re-wrapped since."
)
STATUS_WORDS = {"ok": "performed", "not_applicable": "not applicable", "error": "failed to run"}
CONDITION_KINDS = ("truncation", "metadata_inconsistency", "reencoding")
NO_FINDINGS_ROW = '<tr><td colspan="6">No findings.</td></tr>'


def heading(number: int, title: str, anchor: str) -> str:
    return f'<h2 id="{anchor}-h">{number}. {esc(title)}</h2>'


def _section(anchor: str, number: int, title: str, body: str) -> str:
    return (
        f'<section class="ev ev-{anchor}" id="{anchor}" aria-labelledby="{anchor}-h">'
        f"{heading(number, title, anchor)}{body}</section>"
    )


# Numbers.


def signed(log10_lr: float) -> str:
    return f"{log10_lr:+.2f}".replace("-", "−")


def verbal_or_none(log10_lr: float) -> str | None:
    try:
        from earwitness.forensics.evaluation.verbal import verbal

        return str(verbal(log10_lr))
    except Exception:  # the scale is shown where it can be; the number always is
        return None


def support_html(log10_lr: float) -> str | None:
    """The scale's words for the LR's size and the proposition it favours (escaped HTML)."""
    words = verbal_or_none(abs(log10_lr))
    if words is None:
        return None
    if words == "no support":
        return "no support for either proposition"
    side = "H<sub>p</sub>" if log10_lr > 0 else "H<sub>d</sub>"
    return f"{esc(words)} for {side}"


def evidence_text(finding: Finding) -> str:
    """A finding's calibrated evidence in words; '' for an observation without one."""
    if finding.log10_lr is not None and math.isfinite(finding.log10_lr):
        words = finding.verbal or verbal_or_none(finding.log10_lr)
        tail = f" ({esc(words)} for editing here)" if words else ""
        return f"log10 LR {signed(finding.log10_lr)}{tail}"
    if finding.kind == "edit_point":
        return NOT_CALIBRATED
    return ""


# 1. The question and the propositions.


def render_question(number: int = 1) -> str:
    body = (
        f'<p class="question">{esc(QUESTION)}</p>'
        '<dl class="propositions">'
        f"<dt>H<sub>p</sub></dt><dd>{esc(HP)}</dd>"
        f"<dt>H<sub>d</sub></dt><dd>{esc(HD)}</dd></dl>"
        '<p class="note">The findings are evaluated under both propositions. A likelihood ratio '
        "(LR) above 1 (log10 LR above 0) means the findings are more probable if "
        "H<sub>p</sub> is true than if H<sub>d</sub> is; below 1, the reverse. The LR says how "
        "strongly the findings support one proposition over the other, not which one is "
        "true: that also depends on the other evidence in the case.</p>"
    )
    return _section("question", number, "Question and propositions", body)


# 2. The items received.


def condition_lines(media: dict[str, Any] | None, findings: Sequence[Finding]) -> list[str]:
    """What the item's condition shows (escaped HTML lines): truncation, container and
    encoder observations, tags left by the software that wrote the file, probe warnings."""
    lines = [
        f"{esc(kind_label(f.kind))} ({timecode(f.start_s)}): {prose_html(f.description)}"
        for f in findings
        # every observation of the container check is about the item's condition
        if f.kind in CONDITION_KINDS or f.check == CONTAINER_CHECK
    ]
    media = media or {}
    tags = media_tags(media)
    if tags:
        shown = "; ".join(f"{text_value(k, 60)} = {text_value(v, 120)}" for k, v in tags)
        lines.append(f"Tags in the container and its streams: {shown}")
    lines += [f"Probe warning: {text_value(w)}" for w in media.get("warnings") or []]
    return lines


def render_items(
    *,
    filename: str,
    sha256: str,
    size_bytes: int,
    media: dict[str, Any] | None,
    findings: Sequence[Finding],
    received: str = "",
    extra: str = "",
    number: int = 2,
) -> str:
    """The item examined: name, SHA-256, size, format and condition. ``extra`` is more HTML
    (the dossier's full exhibit details) placed after the table."""
    condition = condition_lines(media, findings)
    rows = [
        ("File name", name_html(filename)),
        ("SHA-256", f'<code class="mono">{esc(sha256)}</code>'),
        ("Size", f"{int(size_bytes):,} bytes"),
        ("Format", esc(format_line(media or {}, bit_rate=True))),
        ("Received", esc(received)),
        (
            "Condition",
            "<br>".join(condition)
            or "No truncation, container or encoder observation; no tags in the container or "
            "its streams.",
        ),
    ]
    table = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in rows if v)
    body = (
        '<p class="note">One item was received and examined; it is identified by its SHA-256, '
        "which changes if a single bit of the file does.</p>"
        f'<table class="items-table">{table}</table>{extra}'
    )
    return _section("items", number, "Items received", body)


# 3. The methods and their validation.


def _measurements(values: dict[str, Any]) -> str:
    if not values:
        return ""
    rows = "".join(
        f'<tr><th scope="row">{esc(str(k).replace("_", " "))}</th><td>{text_value(v)}</td></tr>'
        for k, v in values.items()
    )
    return (
        "<details><summary>measurements</summary>"
        f'<table class="evidence"><caption>Measurements</caption>{rows}</table></details>'
    )


def render_checks_table(examination: Examination) -> str:
    rows = "".join(
        f"<tr><td>{esc(check_title(c.name))}</td>"
        f'<td class="status {esc(c.status)}">{esc(STATUS_WORDS.get(c.status, c.status))}</td>'
        f"<td>{prose_html(c.summary)}{_measurements(c.metrics)}</td></tr>"
        for c in examination.checks
    )
    tool = examination.tool
    return (
        f'<p class="meta">Examined {esc(examination.created_at)} by earwitness '
        f"{esc(tool.version)}, parameters {text_value(tool.parameters)}; report schema "
        f"{esc(examination.schema)}.</p>"
        '<table class="checks-table"><thead><tr><th scope="col">Check</th>'
        '<th scope="col">Status</th><th scope="col">Result</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def render_methods(
    examination: Examination | None,
    calibration: CalibrationLike | str,
    *,
    plots: bool = True,
    number: int = 3,
) -> str:
    if examination is None:
        checks = '<p class="note">No examination report was supplied.</p>'
    else:
        checks = (
            '<p class="note">Each check below was run on the whole decoded recording; a check '
            "that could not apply says why.</p>" + render_checks_table(examination)
        )
    body = checks + render_validation(calibration, examination, plots=plots)
    return _section("methods", number, "Methods and their validation", body)


# 5. The evaluative conclusion.


def _scale_rows(log10_lr: float | None) -> tuple[str, str]:
    try:
        from earwitness.forensics.evaluation.verbal import VERBAL_SCALE
    except Exception as exc:
        return "", f'<p class="note">The verbal scale is unavailable ({esc(str(exc))}).</p>'
    rows = []
    symmetric = all(low is None or low >= 0 for low, _high, _words in VERBAL_SCALE)
    for low, high, words in VERBAL_SCALE:
        here = (
            log10_lr is not None
            and (low is None or (abs(log10_lr) if symmetric else log10_lr) >= low)
            and (high is None or (abs(log10_lr) if symmetric else log10_lr) < high)
        )
        log10, ratio = _span(low, high)
        mark = ' class="here" aria-current="true"' if here else ""
        rows.append(f"<tr{mark}><td>{log10}</td><td>{ratio}</td><td>{esc(str(words))}</td></tr>")
    note = (
        '<p class="note">For a log10 LR below 0 the same words express support for '
        "H<sub>d</sub> over H<sub>p</sub>, by the size of the log10 LR.</p>"
        if symmetric
        else ""
    )
    return "".join(rows), note


def _span(low: float | None, high: float | None) -> tuple[str, str]:
    """A scale row's bounds as (log10 LR, LR) text: ("0.3 to 1", "2 to 10")."""

    def bound(value: float | None, infinite: str, power: bool) -> str:
        if value is None or not math.isfinite(value):
            return infinite
        return f"{10**value:,.0f}" if power else f"{value:.2g}"

    log10 = f"{bound(low, '−∞', False)} to {bound(high, '+∞', False)}".replace("-", "−")
    ratio = f"{bound(low, '0', True)} to {bound(high, '∞', True)}"
    return log10, ratio


def render_scale(log10_lr: float | None) -> str:
    rows, note = _scale_rows(log10_lr)
    table = (
        '<table class="scale-table"><caption>Verbal scale (ENFSI Guideline for Evaluative '
        'Reporting, 2015)</caption><thead><tr><th scope="col">log10 LR</th>'
        '<th scope="col">LR</th><th scope="col">Verbal equivalent</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    return table + note


def render_conclusion(examination: Examination | None, number: int = 5) -> str:
    if examination is None:
        body = '<p class="note">No examination report was supplied.</p>'
        return _section("conclusion", number, "Evaluative conclusion", body)
    summary = examination.summary
    parts = []
    if summary.log10_lr is None:
        parts.append(
            '<p class="conclusion uncalibrated">Not calibrated (examined by an earlier '
            "version): this report gives no likelihood ratio. The paragraph below describes the "
            "findings only.</p>"
        )
    else:
        words = support_html(summary.log10_lr)
        parts.append(
            f'<p class="conclusion">{prose_html(summary.conclusion or "")}</p>'
            '<p class="lr"><b>log10 LR '
            f"{signed(summary.log10_lr)}</b> (LR {likelihood_ratio(summary.log10_lr)}"
            f"{'; ' + words if words else ''}) for H<sub>p</sub> against H<sub>d</sub>, "
            "over the whole recording.</p>"
        )
    parts.append(f'<p class="statement">{prose_html(summary.text)}</p>')
    parts.append(render_scale(summary.log10_lr))
    return _section("conclusion", number, "Evaluative conclusion", "".join(parts))


# 6. The limitations.


def render_limitations(examination: Examination | None, number: int = 6) -> str:
    limits = list(examination.summary.limitations) if examination else []
    if limits:
        body = "<ul>" + "".join(f"<li>{prose_html(str(limit))}</li>" for limit in limits) + "</ul>"
    elif examination is not None and not is_calibrated(examination):
        body = (
            f'<p class="note uncalibrated">Not stated: the examination is {NOT_CALIBRATED}. An '
            "edit that leaves no trace these checks measure cannot be seen; a report without "
            "findings does not show that the recording is unedited.</p>"
        )
    else:
        body = '<p class="note">None stated.</p>'
    return _section("limitations", number, "Limitations", body)


# 7. The sign-off.


def _signoff_rows(signoffs: Sequence[SignOff]) -> str:
    return "".join(
        f"<tr><td>{esc(s.name)}</td><td>{esc(s.role)}</td><td>{esc(s.time)}</td>"
        f"<td>{esc(s.statement or '')}</td>"
        f"<td>{prose_html(s.conclusion or NOT_CALIBRATED)}"
        f"{f' (log10 LR {signed(s.log10_lr)})' if s.log10_lr is not None else ''}</td>"
        f'<td><code class="mono hash">{esc(s.event_hash)}</code></td></tr>'
        for s in signoffs
    )


def _signoff_table(signoffs: Sequence[SignOff], caption: str) -> str:
    return (
        f'<table class="signoff-table"><caption>{esc(caption)}</caption><thead><tr>'
        '<th scope="col">Examiner</th><th scope="col">Role</th><th scope="col">Signed (UTC)</th>'
        '<th scope="col">Statement</th><th scope="col">Conclusion endorsed</th>'
        '<th scope="col">Custody event hash</th></tr></thead>'
        f"<tbody>{_signoff_rows(signoffs)}</tbody></table>"
    )


def render_signoffs(
    signoffs: Sequence[SignOff],
    examination_sha256: str | None,
    exhibit_sha256: str,
    number: int = 7,
) -> str:
    """Every sign-off of this examination (and, apart, those of earlier examinations), each a
    signed custody event: name and role as the examiner typed them."""
    mine = [
        s for s in signoffs if examination_sha256 and s.examination_sha256 == examination_sha256
    ]
    earlier = [s for s in signoffs if s not in mine]
    parts = []
    if mine:
        parts.append(_signoff_table(mine, "Signed off"))
    else:
        parts.append(
            '<p class="note unsigned">No examiner has signed off this examination. An examiner '
            "who has reviewed it signs off with <code>earwitness signoff "
            f"{esc(exhibit_sha256[:12])} --name NAME --role ROLE</code>; the sign-off is a "
            "signed custody event and appears in the next report.</p>"
        )
    if earlier:
        parts.append(_signoff_table(earlier, "For an earlier examination"))
    if examination_sha256:
        parts.append(
            '<p class="note">This examination report has SHA-256 '
            f'<code class="mono">{esc(examination_sha256)}</code>; a sign-off names it, and '
            "<code>earwitness verify</code> checks each sign-off's signature.</p>"
        )
    return _section("signoff", number, "Examiner sign-off", "".join(parts))


# 4. The findings (the examination report's table; the dossier draws cards).


def findings_legend() -> str:
    return (
        '<p class="legend"><span class="swatch sev-hi"></span> edit point, score ≥ '
        f'{INDICATION} <span class="swatch sev-mid"></span> edit point, 0.2–{INDICATION} '
        '<span class="swatch sev-lo"></span> edit point, below 0.2 '
        '<span class="swatch sev-obs"></span> observation (encoder tags, transcoding, dropouts, '
        "truncation, levels): described, not an indication of editing by itself</p>"
    )


def render_findings_table(findings: Sequence[Finding], number: int = 4) -> str:
    rows = "".join(
        f'<tr class="{finding_severity(f.kind, f.score)}">'
        f"<td>{timecode(f.start_s)}–{timecode(f.end_s)}</td><td>{esc(kind_label(f.kind))}</td>"
        f"<td>{esc(check_title(f.check))}</td><td>{f.score:.2f}</td>"
        f"<td>{evidence_text(f)}</td><td>{prose_html(f.description)}</td></tr>"
        for f in findings
    )
    body = (
        '<p class="note">Scores run from 0 (no indication) to 1 (certain) and describe a '
        "feature of the signal; the calibrated evidence of an edit point is its likelihood "
        "ratio.</p>"
        + findings_legend()
        + '<table class="findings-table"><thead><tr><th scope="col">Time</th>'
        '<th scope="col">Kind</th><th scope="col">Check</th><th scope="col">Score</th>'
        '<th scope="col">Evidence (log10 LR)</th><th scope="col">Observation</th></tr></thead>'
        f"<tbody>{rows or NO_FINDINGS_ROW}</tbody></table>"
    )
    return _section("findings", number, "Findings", body)
