"""The examine stage: decode once, examine, store the report as a derived artefact of the exhibit.

Inside a case the request (exhibit, tool version, parameters) is looked up first, so asking
again returns the stored report instead of recomputing it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from earwitness.forensics.examine import Examination, ExamOptions, ExhibitFacts, examine
from earwitness.media.decode import decode_audio
from earwitness.media.probe import ProbeError, probe
from earwitness.vault.artefacts import find_artefact, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.catalog import Exhibit, Intake
from earwitness.vault.hashing import sha256_file

JSON_STAGE = "examination"
HTML_STAGE = "examination-html"
DECODER = "pyav/mono-float32"


@dataclass(frozen=True)
class ExamOutcome:
    report: dict[str, Any]
    html: str | None
    reused: bool


def exhibit_facts(case: Case, sha256: str) -> ExhibitFacts:
    with case.session() as session:
        exhibit = session.get_one(Exhibit, sha256)
        first = session.scalars(
            select(Intake).where(Intake.exhibit_sha256 == sha256).order_by(Intake.seq)
        ).first()
    return ExhibitFacts(
        sha256=sha256,
        filename=first.original_name if first else sha256,
        size_bytes=exhibit.size_bytes,
        media=exhibit.media,
        received_at=first.received_at if first else None,
        file_modified=(first.file_times or {}).get("modified") if first else None,
    )


def file_facts(path: Path) -> ExhibitFacts:
    try:
        media: dict[str, Any] | None = probe(path).to_dict()
    except ProbeError:
        media = None
    return ExhibitFacts(
        sha256=sha256_file(path),
        filename=path.name,
        size_bytes=path.stat().st_size,
        media=media,
    )


def run_examination(
    audio_path: Path, facts: ExhibitFacts, options: ExamOptions, want_html: bool
) -> tuple[Examination, str | None]:
    decoded = decode_audio(audio_path, mono=True)
    exam = examine(decoded.samples, decoded.sample_rate, facts, options)
    html = None
    if want_html:
        from earwitness.formats.examination_html import render_examination_html

        html = render_examination_html(exam, decoded.samples, decoded.sample_rate)
    return exam, html


def examine_file(path: Path, options: ExamOptions, want_html: bool) -> ExamOutcome:
    """Examine a file that is not in a case; nothing is stored or logged."""
    exam, html = run_examination(path, file_facts(path), options, want_html)
    return ExamOutcome(exam.report, html, reused=False)


def exam_params(options: ExamOptions) -> dict[str, Any]:
    return {**options.parameters(), "decoder": DECODER}


def stored_examination(case: Case, sha256: str, options: ExamOptions) -> dict[str, Any] | None:
    """The examination report already made for exactly this request, if any."""
    stored = find_artefact(case, sha256, JSON_STAGE, exam_params(options))
    return json.loads(case.store.read_bytes(stored.object_sha256)) if stored else None


def store_examination(
    case: Case, sha256: str, report: dict[str, Any], options: ExamOptions
) -> None:
    body = json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")
    store_artefact(
        case,
        sha256,
        JSON_STAGE,
        body,
        filename="examination.json",
        media_type="application/json",
        params=exam_params(options),
        action="examine",
    )


def examine_exhibit(case: Case, sha256: str, options: ExamOptions, want_html: bool) -> ExamOutcome:
    params = exam_params(options)
    stored_json = find_artefact(case, sha256, JSON_STAGE, params)
    stored_html = find_artefact(case, sha256, HTML_STAGE, params) if want_html else None
    if stored_json and (stored_html or not want_html):
        report = json.loads(case.store.read_bytes(stored_json.object_sha256))
        html = case.store.read_bytes(stored_html.object_sha256).decode() if stored_html else None
        return ExamOutcome(report, html, reused=True)
    facts = exhibit_facts(case, sha256)
    exam, html = run_examination(case.store.path_for(sha256), facts, options, want_html)
    store_examination(case, sha256, exam.report, options)
    if html is not None:
        store_artefact(
            case,
            sha256,
            HTML_STAGE,
            html.encode("utf-8"),
            filename="examination.html",
            media_type="text/html",
            params=params,
            action="examine",
        )
    return ExamOutcome(exam.report, html, reused=False)
