"""The examination: run every registered check on one decoded recording and word the result
neutrally.

``examine`` is pure (a ``Recording`` in, an ``Examination`` out), so the same decoded samples
can feed the speech stage too. The checks and their order come from
``earwitness.forensics.registry``. A check that raises is reported as such (status ``error``)
and the others still run, but the examination is then not ``complete``: callers must not cache
it. Running out of memory is never a check result: ``MemoryError`` propagates.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, overload

import numpy as np

from earwitness import __version__
from earwitness.forensics import registry
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.evaluation.calibration import Calibration, shipped_calibration
from earwitness.forensics.evaluation.verbal import likelihood_ratio, support_sentence, verbal
from earwitness.forensics.examination import (
    SCHEMA_ID,
    Examination,
    ExhibitRecord,
    Summary,
    ToolRecord,
    clean,
)
from earwitness.forensics.findings import INDICATION, CheckResult, Finding
from earwitness.forensics.limits import file_limitations
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import ExhibitFacts, Recording
from earwitness.forensics.truncation import shortfall
from earwitness.text import shown, timecode

__all__ = [
    "INDICATION",
    "SCHEMA_ID",
    "CheckProgress",
    "ExamOptions",
    "Examination",
    "ExhibitFacts",
    "Recording",
    "examine",
    "run_checks",
    "summary_text",
    "timecode",
]


CheckProgress = Callable[[str, int, int], None]
"""Told before each check runs (its name, the checks done, the checks in all), and once at the
end with an empty name: a recording of hours takes minutes to examine."""


def no_check_progress(_name: str, _done: int, _total: int) -> None:
    return None


def _failed(name: str, exc: Exception) -> CheckResult:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return CheckResult(
        name,
        "error",
        f"The check failed: {exc.__class__.__name__}: {exc} "
        f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno}).",
    )


def _undeclared(declared: Declaration, result: CheckResult) -> str | None:
    """Why ``result`` breaks its declaration, or None."""
    if result.name != declared.name:
        return f"returned a result named {result.name!r}"
    for finding in result.findings:
        if finding.kind not in declared.kinds or finding.check != declared.name:
            return f"emitted an undeclared finding ({finding.kind!r} from {finding.check!r})"
    return None


def run_check(declared: Declaration, recording: Recording, options: ExamOptions) -> CheckResult:
    """One check, guarded: an exception (other than MemoryError) becomes an ``error`` result."""
    try:
        result = declared.run(recording, options)
        problem = _undeclared(declared, result)
        if problem:
            raise ValueError(f"check {declared.name!r} {problem}")
        return result
    except MemoryError:
        raise  # a check that ran out of memory says nothing about the recording
    except Exception as exc:  # a failing check is a result, not a crash
        return _failed(declared.name, exc)


def run_checks(
    recording: Recording, options: ExamOptions, progress: CheckProgress = no_check_progress
) -> list[CheckResult]:
    """Every registered check, in registry order."""
    checks = registry.examinations()
    results = []
    for done, declared in enumerate(checks):
        progress(declared.name, done, len(checks))
        results.append(run_check(declared, recording, options))
    progress("", len(checks), len(checks))
    return results


@overload
def examine(
    recording: Recording,
    options: ExamOptions | None = None,
    *,
    progress: CheckProgress = no_check_progress,
) -> Examination: ...


@overload
def examine(
    recording: np.ndarray,
    sample_rate: int,
    facts: ExhibitFacts,
    options: ExamOptions | None = None,
    /,
    *,
    progress: CheckProgress = no_check_progress,
) -> Examination: ...


def examine(
    recording: Any,
    *args: Any,
    options: ExamOptions | None = None,
    progress: CheckProgress = no_check_progress,
) -> Examination:
    """Examine a ``Recording`` (mono float samples, −1..1, and the exhibit's facts).

    The older form ``examine(samples, sample_rate, facts, options=None)`` is still accepted
    while its callers (the benchmarks) move to ``Recording``.
    """
    if not isinstance(recording, Recording):
        sample_rate, facts, *args = args  # type: ignore[assignment]
        recording = Recording(recording, sample_rate, facts)
    if args:
        (options,) = args
    return examine_recording(recording, options or ExamOptions(), progress)


def examine_recording(
    recording: Recording, options: ExamOptions, progress: CheckProgress = no_check_progress
) -> Examination:
    calibration = shipped_calibration()  # verified first: no examination without it
    checks = run_checks(recording, options, progress)
    facts = recording.facts
    duration = recording.duration_s
    findings = sorted(
        (calibrated(f, calibration, duration) for check in checks for f in check.findings),
        key=lambda f: (f.start_s, -f.score),
    )
    edit_score = max((f.score for f in findings if f.kind == "edit_point"), default=0.0)
    file_lr = calibration.file_log10_lr(
        [c.to_dict() for c in checks], [f.to_dict() for f in findings], duration
    )
    file_lr = None if file_lr is None else round(file_lr, 2)
    media = _schema_media(facts)
    fresh = Examination(
        exhibit=ExhibitRecord(facts.sha256, facts.filename, facts.size_bytes, media),
        tool=ToolRecord(
            "earwitness",
            __version__,
            {**options.parameters(), "calibration": calibration.record()},
        ),
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration_s=round(duration, 6),
        checks=tuple(checks),
        findings=tuple(findings),
        summary=Summary(
            round(float(edit_score), 4),
            summary_text(facts, duration, checks, findings),
            log10_lr=file_lr,
            conclusion=conclusion(file_lr, findings),
            limitations=tuple(
                file_limitations(duration, checks, findings, media, calibration.limits)
            ),
        ),
        schema=SCHEMA_ID,
    )
    # Read back from its own JSON, so a fresh examination and a stored one hold the same
    # (rounded, plain) values and render alike.
    series = {check.name: check.series for check in checks if check.series}
    return Examination.from_report(fresh.report, series)


def calibrated(finding: Finding, calibration: Calibration, duration_s: float) -> Finding:
    """``finding`` with its calibrated log10 LR and verbal term, if it is an edit point."""
    if finding.kind != "edit_point":
        return finding
    value = calibration.finding_log10_lr(finding.to_dict(), duration_s)
    if value is None:  # a check the calibration does not know: no strength claimed
        value = 0.0
    value = round(value, 2)
    return replace(finding, log10_lr=value, verbal=verbal(value))


def conclusion(log10_lr: float | None, findings: Sequence[Finding] = ()) -> str:
    """The evaluative conclusion in words: never "authentic" or "fake".

    Where the whole file leans towards editing and no edit point does, it says why: a
    point's ratio weighs an edit at its place, the file model each check's strongest score
    wherever it lies, weak ones included. In the tamper benchmark, room changes under speech
    in genuine recordings gave points whose own ratio was 1/3.6 and a file ratio of 3.5; the
    ENF joins of spliced recordings that the hum leaves open over a second, points at or
    below 1 and file ratios up to 135. A reader who finds no place supporting editing must
    not be left to guess."""
    if log10_lr is None:
        return "No calibrated conclusion could be reached."
    text = (
        f"{support_sentence(log10_lr).rstrip('.')} (likelihood ratio "
        f"{likelihood_ratio(log10_lr)}). This "
        "weighs the findings under the two propositions, within the limitations stated; it "
        "is not a verdict on the recording."
    )
    points = [f.log10_lr for f in findings if f.kind == "edit_point" and f.log10_lr is not None]
    if log10_lr > 0 and all(value <= 0 for value in points):
        text += (
            " No single place supports editing on its own (no edit point's likelihood ratio, "
            "which weighs an edit at that place, exceeds 1); the whole-file ratio weighs the "
            "strongest score each check gave anywhere, weak ones included, and the other "
            "observations, as far as these differed "
            "between the edited and unedited recordings the calibration was fitted on."
        )
    return text


def _schema_media(facts: ExhibitFacts) -> dict[str, Any]:
    if not facts.media:
        return {"container": "unknown", "codec": "none", "sample_rate": 0, "channels": 0}
    return clean(facts.media)


def summary_text(
    facts: ExhibitFacts,
    duration: float,
    checks: list[CheckResult],
    findings: list[Finding],
) -> str:
    """A neutral paragraph: what was examined and what was observed. Only edit points speak to
    editing; other observations (encoder tags, transcoding, dropouts, truncation) are listed
    with their kinds (truncation in a sentence of its own, with the length missing), and the
    evaluation itself is ``Summary.conclusion``."""
    media = facts.media or {}
    parts = [
        # The name as the CLI shows it: an override in it would reverse the sentence.
        f"Examined: '{shown(facts.filename)}' (SHA-256 {facts.sha256}), "
        f"{media.get('container', 'unknown container')}/{media.get('codec', 'unknown codec')}, "
        f"{media.get('sample_rate', '?')} Hz, {media.get('channels', '?')} channel(s), "
        f"{timecode(duration)} long."
    ]
    title = registry.check_title
    done = [title(c.name) for c in checks if c.status == "ok"]
    skipped = [f"{title(c.name)} ({c.summary})" for c in checks if c.status != "ok"]
    parts.append("Examinations performed: " + "; ".join(done) + ".")
    if skipped:
        parts.append("Not performed or not applicable: " + "; ".join(skipped))
    edits = [f for f in findings if f.kind == "edit_point" and f.score >= INDICATION]
    others = [f for f in findings if f.kind != "edit_point" and f.score >= INDICATION]
    if edits:
        listed = ", ".join(f"{timecode(f.start_s)} ({_strength(f)}, {f.check})" for f in edits[:10])
        parts.append(
            f"{len(edits)} place(s) show features of the kind an edit (a cut, join or "
            f"insertion) leaves: {listed}. Each warrants closer examination."
        )
    else:
        parts.append(
            f"No place showed features of an edit at or above a score of {INDICATION:.1f}."
        )
    # Truncation is said apart: it is no sign of editing, but the reader must know that part
    # of the recording was never there to examine.
    cut_short = shortfall(findings)
    if cut_short is not None:
        parts.append(cut_short.sentence())
    others = [f for f in others if f.kind != "truncation"]
    if others:
        kinds = sorted({registry.kind_label(f.kind).lower() for f in others})
        parts.append(
            "Other observations, which need not concern the content: "
            + ", ".join(kinds)
            + " (see findings)."
        )
    return " ".join(parts)


def _strength(finding: Finding) -> str:
    if finding.log10_lr is None:
        return f"score {finding.score:.2f}"
    return f"score {finding.score:.2f}, log10 LR {finding.log10_lr:+.1f}: {finding.verbal}"
