"""The examination stages: a failed check is shown, never stored; the series travel with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.forensics import registry
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.findings import CheckResult
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording
from earwitness.jobs.examine import examine_exhibit
from earwitness.vault.artefacts import list_artefacts
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from tests.conftest import write_wav


def _broken(recording: Recording, options: ExamOptions) -> CheckResult:
    raise ValueError("a bug in this check")


def _exhausted(recording: Recording, options: ExamOptions) -> CheckResult:
    raise MemoryError


@pytest.fixture
def exhibit(case: Case, tmp_path: Path) -> str:
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "call.wav", seconds=2.0)])
    assert outcome.sha256
    return outcome.sha256


def _with(monkeypatch: pytest.MonkeyPatch, run) -> None:  # type: ignore[no-untyped-def]
    extra = Declaration("broken", "a check that fails", {"other": "Observation"}, run)
    monkeypatch.setattr(registry, "EXAMINATIONS", (*registry.EXAMINATIONS, extra))


def test_an_examination_with_a_failed_check_is_shown_but_not_stored(
    case: Case, exhibit: str, monkeypatch: pytest.MonkeyPatch
):
    _with(monkeypatch, _broken)
    outcome = examine_exhibit(case, exhibit, ExamOptions(), want_html=True)
    assert outcome.failed and "broken" in outcome.failed
    assert not outcome.reused
    statuses = {check["name"]: check["status"] for check in outcome.report["checks"]}
    assert statuses["broken"] == "error" and statuses["levels"] == "ok"
    assert outcome.html and "a check that fails" in outcome.html
    assert list_artefacts(case, exhibit) == []
    # Asked again, it is examined again (nothing degraded was kept to be served).
    assert examine_exhibit(case, exhibit, ExamOptions(), want_html=False).failed


def test_a_check_out_of_memory_fails_the_run_and_stores_nothing(
    case: Case, exhibit: str, monkeypatch: pytest.MonkeyPatch
):
    _with(monkeypatch, _exhausted)
    with pytest.raises(MemoryError):
        examine_exhibit(case, exhibit, ExamOptions(), want_html=False)
    assert list_artefacts(case, exhibit) == []


def test_a_whole_examination_is_stored_with_its_series_and_reused(case: Case, exhibit: str):
    first = examine_exhibit(case, exhibit, ExamOptions(), want_html=False)
    stages = sorted(record.stage for record in list_artefacts(case, exhibit))
    assert stages == ["examination", "examination-series"]
    second = examine_exhibit(case, exhibit, ExamOptions(), want_html=True)
    assert second.report == first.report and second.data == first.data
    assert second.html and not second.reused  # the HTML was new, drawn from the stored series
    stages = sorted(record.stage for record in list_artefacts(case, exhibit))
    assert stages == ["examination", "examination-html", "examination-series"]
    assert examine_exhibit(case, exhibit, ExamOptions(), want_html=True).reused


def test_progress_follows_the_checks_of_a_new_examination_only(case: Case, exhibit: str):
    told: list[tuple[str, int, int]] = []
    examine_exhibit(case, exhibit, ExamOptions(), False, lambda *step: told.append(step))
    names = [declared.name for declared in registry.examinations()]
    assert [name for name, _done, _total in told] == [*names, ""]
    assert [done for _name, done, _total in told] == list(range(len(names) + 1))
    told.clear()
    again = examine_exhibit(case, exhibit, ExamOptions(), False, lambda *step: told.append(step))
    assert again.reused
    assert told == []  # taken from the case: nothing ran


def test_adding_a_check_means_a_new_examination(
    case: Case, exhibit: str, monkeypatch: pytest.MonkeyPatch
):
    examine_exhibit(case, exhibit, ExamOptions(), want_html=False)

    def quiet(recording: Recording, options: ExamOptions) -> CheckResult:
        return CheckResult("quiet", "ok", "Nothing to say.")

    extra = Declaration("quiet", "a quiet check", {"other": "Observation"}, quiet)
    monkeypatch.setattr(registry, "EXAMINATIONS", (*registry.EXAMINATIONS, extra))
    again = examine_exhibit(case, exhibit, ExamOptions(), want_html=False)
    assert not again.reused
    assert [c["name"] for c in again.report["checks"]][-1] == "quiet"
