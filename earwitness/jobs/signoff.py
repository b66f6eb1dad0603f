"""Examiner sign-off: an examiner endorses a stored examination of an exhibit, in a signed
custody event (``reports.signoffs``), which every later report and dossier shows.

The sign-off names the examination by the SHA-256 of the stored report's bytes (read and
checked against its own signed event first), so it can never drift to another version: a
report made from a different examination lists it as "for an earlier examination".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from earwitness.errors import EarwitnessError
from earwitness.jobs.engine import Run
from earwitness.reports.signoffs import (
    MAX_FIELD_CHARS,
    SIGNOFF_ACTION,
    SignOff,
    signoff_details,
    signoff_of,
    signoffs_of,
)
from earwitness.vault.artefacts import ArtefactRecord, read_verified
from earwitness.vault.case import Case
from earwitness.vault.custody import Event
from earwitness.vault.verified_log import verified_events, verified_projection

EXAMINATION_STAGE = "examination"  # jobs.examine.EXAMINATION's name


class SignOffRefused(EarwitnessError):
    """A sign-off that cannot be recorded as asked (nothing was written)."""


class SignOffUsage(SignOffRefused):
    exit_code = 2


@dataclass(frozen=True)
class SignedExamination:
    """What a sign-off endorses: the stored examination report and what it concludes."""

    record: ArtefactRecord
    conclusion: str | None
    log10_lr: float | None


def _field(value: str | None, what: str, *, required: bool) -> str | None:
    text = " ".join((value or "").split())  # one line: no newlines or runs of spaces
    if required and not text:
        raise SignOffUsage(f"the examiner's {what} is empty; give --{what} with a value")
    if len(text) > MAX_FIELD_CHARS:
        raise SignOffUsage(f"the examiner's {what} is longer than {MAX_FIELD_CHARS} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise SignOffUsage(f"the examiner's {what} holds control characters")
    return text or None


def latest_examination(case: Case, exhibit_sha256: str) -> SignedExamination:
    """The exhibit's newest stored examination report, read and verified; SignOffRefused if
    the exhibit was never examined in this case."""
    projection = verified_projection(case)
    stored = [
        artefact
        for artefact in projection.artefacts.values()
        if artefact.exhibit_sha256 == exhibit_sha256 and artefact.stage == EXAMINATION_STAGE
    ]
    if not stored:
        raise SignOffRefused(
            f"{exhibit_sha256[:12]}: not examined in this case; run 'earwitness examine "
            f"{exhibit_sha256[:12]}' first"
        )
    record = ArtefactRecord.from_row(max(stored, key=lambda artefact: artefact.seq))
    report = json.loads(read_verified(case, record))
    summary = report.get("summary") or {}
    log10_lr = summary.get("log10_lr")
    if not isinstance(log10_lr, int | float) or not math.isfinite(log10_lr):
        log10_lr = None
    conclusion = summary.get("conclusion")
    return SignedExamination(record, conclusion if isinstance(conclusion, str) else None, log10_lr)


def sign_off(
    case: Case, exhibit_sha256: str, *, name: str, role: str, statement: str | None = None
) -> tuple[Event, SignedExamination]:
    """Record the examiner's sign-off of the exhibit's newest stored examination."""
    examiner = _field(name, "name", required=True)
    function = _field(role, "role", required=True)
    said = _field(statement, "statement", required=False)
    assert examiner is not None and function is not None
    examination = latest_examination(case, exhibit_sha256)
    details = signoff_details(
        examination_sha256=examination.record.object_sha256,
        examination_seq=examination.record.seq,
        conclusion=examination.conclusion,
        log10_lr=examination.log10_lr,
        name=examiner,
        role=function,
        statement=said,
    )
    with case.writing():
        committed = case.record(SIGNOFF_ACTION, exhibit_sha256, details)
    return committed, examination


def run_signoffs(run: Run) -> list[SignOff]:
    """The sign-offs of the run's exhibit in the verified log (none outside a case)."""
    if run.case is None:
        return []
    return signoffs_of(verified_events(run.case), run.exhibit_sha256)


def signoff_hashes(run: Run) -> tuple[str, ...]:
    """The hashes of the exhibit's sign-off events: part of a report's key, so that a report
    asked for after a sign-off is drawn again and shows it."""
    return tuple(signoff.event_hash for signoff in run_signoffs(run))


def signoffs_by_hash(run: Run, hashes: tuple[str, ...]) -> list[SignOff]:
    """The sign-offs named by ``hashes``, from the verified log, in log order."""
    if run.case is None or not hashes:
        return []
    wanted = set(hashes)
    found = []
    for event in verified_events(run.case):
        if event.hash in wanted and event.exhibit == run.exhibit_sha256:
            signoff = signoff_of(event)
            if signoff is not None:
                found.append(signoff)
    return found
