"""The examination stages: the report (JSON), its plot series, and the HTML report.

``EXAMINATION`` runs every registered check on the run's decoded recording; ``SERIES`` keeps
the tracks the plots draw (ENF frequency, noise floor, …) so an HTML report can be drawn
again from the case without re-examining; ``EXAMINATION_HTML`` draws the report from both and
the samples. All three are logged under the custody action ``examine``. An examination in
which a check failed is shown but never stored (the command exits non-zero).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earwitness.forensics.examination import (
    Examination,
    SeriesSet,
    series_from_bytes,
    series_to_bytes,
)
from earwitness.forensics.options import ExamOptions
from earwitness.jobs.engine import (
    Request,
    Run,
    Stage,
    StageIncomplete,
    StageResult,
    run_stage,
)
from earwitness.jobs.recording import DECODER, exhibit_run, file_run
from earwitness.vault.case import Case

if TYPE_CHECKING:
    from earwitness.forensics.examine import CheckProgress


@dataclass(frozen=True)
class ExamParams:
    options: ExamOptions

    def parameters(self) -> dict[str, Any]:
        from earwitness.forensics.evaluation.calibration import shipped_calibration
        from earwitness.forensics.registry import examinations

        # The registered checks and the calibration are part of the key: a new check or a
        # refitted calibration changes the report, so one stored before is not the answer.
        checks = [declared.name for declared in examinations()]
        calibration = shipped_calibration().sha256
        return {
            **self.options.parameters(),
            "decoder": DECODER,
            "checks": checks,
            "calibration": calibration,
        }


def _compute_examination(run: Run, request: Request[Examination]) -> Examination:
    from earwitness.forensics.examine import examine, no_check_progress
    from earwitness.forensics.recording import Recording

    assert isinstance(request.params, ExamParams)
    decoded = run.resource("decoded")
    recording = Recording(decoded.samples, decoded.sample_rate, run.resource("facts"))
    progress = run.resources.get("check_progress", lambda: no_check_progress)()
    return examine(recording, request.params.options, progress=progress)


def report_bytes(report: dict[str, Any]) -> bytes:
    return json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8")


def _failed_checks(exam: Examination) -> str:
    failed = [c.name for c in exam.checks if c.status == "error"]
    return "check(s) failed: " + ", ".join(failed)


EXAMINATION: Stage[Examination] = Stage(
    name="examination",
    version=1,
    action="examine",
    filename="examination.json",
    media_type="application/json",
    compute=_compute_examination,
    serialise=lambda exam: report_bytes(exam.report),
    deserialise=lambda data: Examination.from_report(json.loads(data)),
    is_complete=lambda exam: exam.complete,
    incomplete_reason=_failed_checks,
)


def _compute_series(run: Run, request: Request[SeriesSet]) -> SeriesSet:
    assert isinstance(request.params, ExamParams)
    made = run_stage(run, Request(EXAMINATION, request.params))
    if made.reused:
        # Stored by an older version without its series: the plots need the examination again.
        return _compute_examination(run, Request(EXAMINATION, request.params)).series
    return made.value.series


SERIES: Stage[SeriesSet] = Stage(
    name="examination-series",
    version=1,
    action="examine",
    filename="examination-series.npz",
    media_type="application/octet-stream",
    compute=_compute_series,
    serialise=series_to_bytes,
    deserialise=series_from_bytes,
    inputs=lambda request: (Request(EXAMINATION, request.params),),
)


@dataclass(frozen=True)
class ExamHtmlParams:
    """The HTML report's key: the examination's, and the examiner sign-offs it shows (the
    hashes of their custody events), so a report asked for after a sign-off shows it."""

    exam: ExamParams
    signoffs: tuple[str, ...] = ()

    def parameters(self) -> dict[str, Any]:
        return {**self.exam.parameters(), "signoffs": list(self.signoffs)}


def _compute_html(run: Run, request: Request[str]) -> str:
    from earwitness.jobs.signoff import signoffs_by_hash
    from earwitness.reports.examination_html import render_examination_html

    params = request.params
    assert isinstance(params, ExamHtmlParams)
    stored = run_stage(run, Request(EXAMINATION, params.exam)).record
    exam = examination_with_series(run, params.exam)
    decoded = run.resource("decoded")
    return render_examination_html(
        exam,
        decoded.samples,
        decoded.sample_rate,
        signoffs=signoffs_by_hash(run, params.signoffs),
        examination_sha256=stored.object_sha256 if stored else None,
    )


EXAMINATION_HTML: Stage[str] = Stage(
    name="examination-html",
    version=2,  # 2: the sections of an evaluative report, the sign-offs
    action="examine",
    filename="examination.html",
    media_type="text/html",
    compute=_compute_html,
    serialise=lambda html: html.encode("utf-8"),
    deserialise=lambda data: data.decode("utf-8"),
    inputs=lambda request: (
        Request(EXAMINATION, request.params.exam),  # type: ignore[attr-defined]
        Request(SERIES, request.params.exam),  # type: ignore[attr-defined]
    ),
)


def examination_with_series(run: Run, params: ExamParams) -> Examination:
    """The examination of the run's recording with its plot series, each verified or made."""
    made = run_stage(run, Request(EXAMINATION, params))
    series = run.value(Request(SERIES, params))
    return Examination.from_report(made.value.report, series)


@dataclass(frozen=True)
class ExamOutcome:
    report: dict[str, Any]
    html: str | None
    reused: bool
    data: bytes  # the report's bytes as stored (or as made, outside a case)
    failed: str | None = None  # what failed, when a check did: the report was not stored


def _outcome(run: Run, options: ExamOptions, want_html: bool) -> ExamOutcome:
    params = ExamParams(options)
    try:
        made: StageResult[Examination] = run_stage(run, Request(EXAMINATION, params))
    except StageIncomplete as incomplete:
        return _partial(run, incomplete.value, want_html)
    # The plotted series are kept with every examination made, so a report drawn later
    # needs no second examination.
    run_stage(run, Request(SERIES, params))
    html = None
    if want_html:
        from earwitness.jobs.signoff import signoff_hashes

        page = ExamHtmlParams(params, signoff_hashes(run))
        html = run_stage(run, Request(EXAMINATION_HTML, page))
    reused = made.reused and (html is None or html.reused)
    return ExamOutcome(made.value.report, html.value if html else None, reused, made.data)


def _partial(run: Run, exam: Examination, want_html: bool) -> ExamOutcome:
    """An examination in which a check failed: shown (JSON, text or HTML), never stored."""
    html = None
    if want_html:
        from earwitness.reports.examination_html import render_examination_html

        decoded = run.resource("decoded")
        html = render_examination_html(exam, decoded.samples, decoded.sample_rate)
    data = report_bytes(exam.report)
    return ExamOutcome(exam.report, html, False, data, failed=_failed_checks(exam))


def examine_file(
    path: Path, options: ExamOptions, want_html: bool, progress: CheckProgress | None = None
) -> ExamOutcome:
    """Examine a file that is not in a case; nothing is stored or logged. ``progress`` is
    told of each check as it starts."""
    run = file_run(path)
    if progress is not None:
        run.resources["check_progress"] = lambda: progress
    return _outcome(run, options, want_html)


def examine_exhibit(
    case: Case,
    sha256: str,
    options: ExamOptions,
    want_html: bool,
    progress: CheckProgress | None = None,
    *,
    force: bool = False,
) -> ExamOutcome:
    """The examination of an exhibit: verified from the case, or made, stored and logged.
    ``progress`` is told of each check as it starts (of none when the examination comes from
    the case)."""
    run = exhibit_run(case, sha256, force=force)
    if progress is not None:
        run.resources["check_progress"] = lambda: progress
    return _outcome(run, options, want_html)
