"""The findings of an exhibit's newest stored examination, as the workbench shows them: on the
review page's timeline and as filters of the search index.

The examination report is read only through ``vault.artefacts.read_verified`` (a tampered
artefact raises ``ArtefactTampered``, never shows its content), and its JSON is then read as
hostile: an entry that is not an object with a kind and a start time is skipped, times and
scores are clamped, strings have unprintable characters written as escapes and are cut short,
and at most ``MAX_FINDINGS`` are kept (the highest scores). Titles are the words the dossier
prints for the same kinds and checks (``forensics.registry``), and each finding carries the
dossier's severity class (``reports.plots.finding_severity``): only an edit point can raise
the alarm; an encoder tag, a transcoding or a dropout is an observation, drawn in a neutral
colour. A finding's calibrated evidence (``log10_lr``) is shown as the dossier shows it, its
words recomputed from the number (``verbal``), never taken from the stored text.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from earwitness.forensics.evaluation.verbal import support_phrase, verbal
from earwitness.forensics.registry import check_title, kind_label
from earwitness.reports.plots import finding_severity
from earwitness.text import shown
from earwitness.vault.artefacts import ArtefactRecord, read_verified
from earwitness.vault.case import Case
from earwitness.vault.catalog import Artefact

log = logging.getLogger(__name__)

EXAMINATION_STAGE = "examination"  # jobs.examine.EXAMINATION's name
MAX_FINDINGS = 500
MAX_SECONDS = 7 * 24 * 3600.0  # longer than any recording; keeps a planted 1e308 off the page
MAX_NAME = 80  # characters of a kind or a check name
MAX_LOG10_LR = 10.0  # beyond any calibration's bounds; keeps a planted 1e308 off the page
MAX_CONCLUSION = 2000  # characters of the evaluative conclusion shown


@dataclass(frozen=True)
class ExamSummary:
    """What the examination concluded about the whole file, as the review page shows it."""

    log10_lr: float | None  # the calibrated whole-file evidence for "edited"
    conclusion: str | None  # the report's evaluative conclusion, in words

    def to_dict(self) -> dict[str, Any]:
        return {
            "log10_lr": self.log10_lr,
            "evidence": None if self.log10_lr is None else support_phrase(self.log10_lr),
            "conclusion": self.conclusion,
        }


NO_SUMMARY = ExamSummary(None, None)


@dataclass(frozen=True)
class ExamFinding:
    """One finding as the workbench shows it: ``title`` is the dossier's label of its kind."""

    kind: str
    check: str
    start_s: float
    end_s: float
    score: float
    log10_lr: float | None = None  # the calibrated evidence for "edited here", if any

    @property
    def title(self) -> str:
        return kind_label(self.kind)

    @property
    def severity(self) -> str:
        """``sev-hi``, ``sev-mid``, ``sev-lo`` (edit points by score) or ``sev-obs``."""
        return finding_severity(self.kind, self.score)

    @property
    def verbal(self) -> str | None:
        """The scale's words for ``log10_lr`` as support for editing here."""
        return None if self.log10_lr is None else verbal(self.log10_lr)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "kind": self.kind,
            "check": self.check,
            "check_title": check_title(self.check) if self.check else "",
            "title": self.title,
            "severity": self.severity,
            "score": self.score,
            "log10_lr": self.log10_lr,
            "verbal": self.verbal,
        }


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _name(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return shown(value.strip())[:MAX_NAME]  # no override may reverse what the page shows


def parse_findings(report: object) -> tuple[ExamFinding, ...]:
    """The findings of an examination report (parsed JSON of any shape), in time order: each
    entry an object with a ``kind`` and a numeric ``start_s``; anything else is skipped."""
    items = report.get("findings") if isinstance(report, dict) else None
    if not isinstance(items, list):
        return ()
    found: list[ExamFinding] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        kind, start = _name(item.get("kind")), _number(item.get("start_s"))
        if kind is None or start is None:
            continue
        start = min(max(start, 0.0), MAX_SECONDS)
        end = _number(item.get("end_s"))
        end = start if end is None else min(max(end, start), MAX_SECONDS)
        score = _number(item.get("score"))
        score = 0.0 if score is None else min(max(score, 0.0), 1.0)
        log10_lr = _number(item.get("log10_lr"))
        if log10_lr is not None:
            log10_lr = min(max(log10_lr, -MAX_LOG10_LR), MAX_LOG10_LR)
        check = _name(item.get("check")) or ""
        found.append(ExamFinding(kind, check, start, end, score, log10_lr))
    if len(found) > MAX_FINDINGS:  # keep the strongest, then show them in time order
        found = sorted(found, key=lambda f: -f.score)[:MAX_FINDINGS]
    return tuple(sorted(found, key=lambda f: (f.start_s, f.end_s)))


def parse_summary(report: object) -> ExamSummary:
    """The whole-file evidence and conclusion of an examination report (parsed JSON of any
    shape): a log10 LR that is no finite number, or a conclusion that is no text, is left out;
    the LR is clamped and the text cut short."""
    summary = report.get("summary") if isinstance(report, dict) else None
    if not isinstance(summary, dict):
        return NO_SUMMARY
    log10_lr = _number(summary.get("log10_lr"))
    if log10_lr is not None:
        log10_lr = min(max(log10_lr, -MAX_LOG10_LR), MAX_LOG10_LR)
    conclusion = summary.get("conclusion")
    text = shown(conclusion.strip())[:MAX_CONCLUSION] if isinstance(conclusion, str) else ""
    return ExamSummary(log10_lr, text or None)


def newest_examination(case: Case, exhibit_sha256: str) -> ArtefactRecord | None:
    """The catalog's record of the exhibit's newest examination artefact, unverified (the
    read through ``read_verified`` checks it against the signed log)."""
    query = (
        select(Artefact)
        .where(Artefact.exhibit_sha256 == exhibit_sha256, Artefact.stage == EXAMINATION_STAGE)
        .order_by(Artefact.seq.desc())
        .limit(1)
    )
    with case.session() as session:
        row = session.scalars(query).first()
        return ArtefactRecord.from_row(row) if row is not None else None


# Findings and summary per (case folder, examination object): read and verified once per
# process.
_READ: dict[tuple[str, str], tuple[tuple[ExamFinding, ...], ExamSummary]] = {}
_READ_LOCK = threading.Lock()


def read_examination(
    case: Case, record: ArtefactRecord
) -> tuple[tuple[ExamFinding, ...], ExamSummary]:
    """The findings and the whole-file summary of one examination artefact, verified
    (``ArtefactTampered`` if not)."""
    key = (str(case.paths.root), record.object_sha256)
    with _READ_LOCK:
        known = _READ.get(key)
    if known is not None:
        return known
    data = read_verified(case, record)
    try:
        report = json.loads(data)
    except (ValueError, RecursionError):
        log.warning("examination %s: not JSON; no findings shown", record.object_sha256[:12])
        report = None
    found = parse_findings(report), parse_summary(report)
    with _READ_LOCK:
        _READ[key] = found
    return found


def read_findings(case: Case, record: ArtefactRecord) -> tuple[ExamFinding, ...]:
    """The findings of one examination artefact, verified (``ArtefactTampered`` if not)."""
    return read_examination(case, record)[0]


def examination_findings(case: Case, exhibit_sha256: str) -> tuple[ExamFinding, ...]:
    """The findings of the exhibit's newest stored examination, or none."""
    newest = newest_examination(case, exhibit_sha256)
    return () if newest is None else read_findings(case, newest)
