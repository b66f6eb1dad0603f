"""The examination report and the dossier as examiners write them: seven sections in order,
calibrated evidence with its verbal scale, the method's validation, and examiner sign-offs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from earwitness.forensics.evaluation.verbal import VERBAL_SCALE
from earwitness.forensics.examination import Examination
from earwitness.forensics.findings import Finding
from earwitness.reports.dossier import render_dossier, write_pdf
from earwitness.reports.dossier_header import media_tags
from earwitness.reports.evaluative import SECTION_IDS, condition_lines
from earwitness.reports.examination_html import render_examination_html
from earwitness.reports.method_validation import render_validation
from earwitness.reports.plots import (
    ALARM_COLOUR,
    OBSERVATION_COLOUR,
    finding_colour,
    finding_severity,
)
from earwitness.reports.signoffs import SIGNOFF_ACTION, signoff_details, signoffs_of
from earwitness.vault.custody import Event
from tests.reports.test_dossier import (
    FINDINGS,
    RATE,
    SHA,
    custody,
    dossier_inputs,
    examination_report,
    parse,
    synthetic_audio,
)

EXAM_SHA = "e1" * 32
OLD_EXAM_SHA = "e0" * 32
EVIL_EXAMINER = "<script>alert('examiner')</script> Dr. Q"
EVIL_STATEMENT = "I reviewed it <img src=x onerror=alert(1)>"
CONCLUSION = (
    "The findings provide moderate support for the proposition that the recording was edited "
    "rather than that it is an unedited original."
)
LIMITS = ["An ENF phase turn below 20° cannot be seen at this file's hum level."]


@dataclass(frozen=True)
class FixtureCalibration:
    """The shape of ``forensics.evaluation.calibration.Calibration`` the reports read."""

    version: str = "1"
    sha256: str = "ca" * 32
    data: dict[str, Any] = field(
        default_factory=lambda: {"benchmark": "tamper-v3", "calibration_files": 81}
    )
    method: str = "Logistic calibration of each check's score, bounded by ELUB."
    validation: dict[str, Any] = field(default_factory=lambda: VALIDATION)


def _system(key: str, title: str, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    labels = [1] * 30 + [0] * 40
    lrs = np.concatenate([rng.normal(1.2, 0.8, 30), rng.normal(-1.0, 0.7, 40)])
    return {
        "key": key,
        "title": title,
        "targets": 30,
        "nontargets": 40,
        "cllr": 0.213,
        "cllr_min": 0.151,
        "auc": 0.987,
        "auc_interval": [0.961, 0.998],
        "cllr_interval": [0.17, "<b>x</b>"],  # hostile: not two numbers, so not shown
        "log10_lrs": [round(float(x), 3) for x in lrs],
        "labels": labels,
    }


VALIDATION = {
    "split": "base recordings 1-20 calibrate, 21-30 validate",
    "systems": [
        _system("file-enf", "Whole file, mains hum present", 1),
        _system("check-splices", "Edit points: background steps", 2),
    ],
    "goals": [
        {"goal": "Cllr ≤ 0.3 with ENF", "value": "0.21", "met": True},
        {"goal": "AUC ≥ 0.85 without ENF", "value": "0.79", "met": False},
        {"goal": "… of which in files whose hum stands ≥ 6 dB", "value": "53/57", "met": None},
    ],
}


def calibrated_report() -> dict[str, Any]:
    report = examination_report()
    findings = [dict(f) for f in FINDINGS]
    findings[1].update(log10_lr=1.4, verbal="moderate support")
    findings[3].update(log10_lr=-0.2, verbal="no support")
    report["findings"] = findings
    report["summary"] = {
        **report["summary"],
        "log10_lr": 1.3,
        "conclusion": CONCLUSION,
        "limitations": LIMITS,
    }
    return report


def signoff_event(seq: int, examination_sha256: str, name: str, statement: str) -> Event:
    details = signoff_details(
        examination_sha256=examination_sha256,
        examination_seq=5,
        conclusion=CONCLUSION,
        log10_lr=1.3,
        name=name,
        role="forensic audio examiner",
        statement=statement,
    )
    return Event(
        seq=seq,
        time=f"2026-11-29T09:00:0{seq % 10}Z",
        actor="examiner@lab",
        action=SIGNOFF_ACTION,
        exhibit=SHA,
        details=details,
        prev="f0" * 32,
        signer="mAj/kU47BQZ6oDrixqNZNs5B5A+AYURLZ+JG3CIWUSE=",
        hash=f"{seq:02d}" * 32,
        sig="c2ln",
    )


def signed_custody() -> list[Event]:
    return [
        *custody(),
        signoff_event(6, OLD_EXAM_SHA, "A. Earlier", "first look"),
        signoff_event(7, EXAM_SHA, EVIL_EXAMINER, EVIL_STATEMENT),
    ]


def h2_ids(page: str) -> list[str]:
    return re.findall(r'<h2 id="([a-z]+)-h"', page)


def in_order(page: str) -> list[str]:
    return [anchor for anchor in h2_ids(page) if anchor in SECTION_IDS]


def section(page: str, anchor: str) -> str:
    tree = parse(page)
    node = next(n for n in tree.iter() if n.attrs.get("id") == anchor)
    return node.text()


@pytest.fixture(scope="module")
def exam() -> Examination:
    return Examination.from_report(calibrated_report())


@pytest.fixture(scope="module")
def exam_page(exam: Examination) -> str:
    signoffs = signoffs_of(signed_custody(), SHA)
    return render_examination_html(
        exam,
        synthetic_audio(),
        RATE,
        signoffs=signoffs,
        examination_sha256=EXAM_SHA,
        calibration=FixtureCalibration(),
    )


@pytest.fixture(scope="module")
def dossier_page(exam: Examination) -> str:
    inputs = dossier_inputs(
        examination=exam,
        custody=signed_custody(),
        examination_sha256=EXAM_SHA,
        calibration=FixtureCalibration(),
    )
    return render_dossier(inputs)


@pytest.mark.parametrize("which", ["exam_page", "dossier_page"])
def test_the_seven_sections_come_in_the_examiners_order(which: str, request: Any) -> None:
    page = request.getfixturevalue(which)
    assert in_order(page) == list(SECTION_IDS)
    titles = re.findall(r'<h2 id="(?:' + "|".join(SECTION_IDS) + r')-h">([^<]+)</h2>', page)
    assert [t.split(". ")[0] for t in titles] == [str(n) for n in range(1, 8)]
    question = section(page, "question")
    assert "material was removed, inserted or joined" in question
    assert "transcoded or re-wrapped" in question
    items = section(page, "items")
    assert SHA in items and "256,044 bytes" in items and "Lavf" in items


def test_the_dossier_summary_leads_with_the_calibrated_evidence(dossier_page: str) -> None:
    figures = parse(dossier_page).find_all("p", "figures")[0].text()
    assert figures.startswith("moderate support for edited (+1.3) over the whole file")
    assert "highest edit-point score" in figures  # the score stays, named for what it is


@pytest.mark.parametrize("which", ["exam_page", "dossier_page"])
def test_calibrated_evidence_and_its_scale(which: str, request: Any) -> None:
    page = request.getfixturevalue(which)
    findings = section(page, "findings")
    assert "log10 LR +1.40 (moderate support for editing here)" in findings
    assert "log10 LR −0.20" in findings
    conclusion = section(page, "conclusion")
    assert CONCLUSION in conclusion and "log10 LR +1.30" in conclusion
    assert "about 20" in conclusion  # 10 ** 1.3
    tree = parse(page)
    scale = tree.find_all("table", "scale-table")[0]
    rows = scale.find_all("tbody")[0].find_all("tr")
    assert [r.find_all("td")[2].text() for r in rows] == [w for _l, _h, w in VERBAL_SCALE]
    assert [r.find_all("td")[1].text() for r in rows][1:3] == ["2 to 10", "10 to 100"]
    marked = [r.text() for r in rows if "here" in r.classes]
    assert len(marked) == 1 and "moderate support" in marked[0]
    assert LIMITS[0] in section(page, "limitations")


@pytest.mark.parametrize("which", ["exam_page", "dossier_page"])
def test_method_and_validation_from_the_calibration(which: str, request: Any) -> None:
    page = request.getfixturevalue(which)
    methods = section(page, "methods")
    assert "Method and validation" in methods
    assert "ca" * 32 in methods and "base recordings 1-20 calibrate" in methods
    for words in ("Whole file, mains hum present", "0.213", "0.151", "0.987", "Cllr ≤ 0.3"):
        assert words in methods, words
    assert "0.96–1.00" in methods  # the AUC's interval over base recordings
    table = next(t for t in parse(page).find_all("table") if "goals" in t.classes)
    goals = [r.find_all("td") for r in table.find_all("tr") if len(r.find_all("td")) == 3]
    status = {cells[0].text(): cells[2].text() for cells in goals}
    assert status["Cllr ≤ 0.3 with ENF"] == "met"
    assert status["AUC ≥ 0.85 without ENF"] == "not met"
    assert status["… of which in files whose hum stands ≥ 6 dB"] == "reported apart"
    assert "<b>x</b>" not in methods and "0.17–" not in methods
    tree = parse(page)
    plots = [i for i in tree.find_all("img") if i.attrs.get("alt", "").startswith("Tippett")]
    assert len(plots) == len(VALIDATION["systems"])
    assert all(p.attrs["src"].startswith("data:image/png;base64,") for p in plots)
    assert "Background noise" in methods or "levels" in methods.lower()  # the checks table


@pytest.mark.parametrize("which", ["exam_page", "dossier_page"])
def test_signoffs_are_listed_and_escaped(which: str, request: Any) -> None:
    page = request.getfixturevalue(which)
    assert "<script>alert('examiner')" not in page and "<img src=x" not in page
    tree = parse(page)
    tables = tree.find_all("table", "signoff-table")
    assert [t.find_all("caption")[0].text() for t in tables] == [
        "Signed off",
        "For an earlier examination",
    ]
    mine = tables[0].text()
    assert EVIL_EXAMINER in mine and EVIL_STATEMENT in mine and "07" * 32 in mine
    assert "forensic audio examiner" in mine and "2026-11-29T09:00:07Z" in mine
    assert "A. Earlier" in tables[1].text() and "A. Earlier" not in mine


def test_a_report_without_calibration_says_so() -> None:
    old = Examination.from_report(examination_report())  # made before the calibration
    page = render_examination_html(
        old, synthetic_audio(), RATE, calibration="calibration unavailable: no file"
    )
    assert in_order(page) == list(SECTION_IDS)
    assert "not calibrated (examined by an earlier version)" in section(page, "findings")
    assert "Not calibrated (examined by an earlier version)" in section(page, "conclusion")
    assert "calibration unavailable: no file" in section(page, "methods")
    assert "No examiner has signed off" in section(page, "signoff")
    dossier = render_dossier(dossier_inputs(examination=old, calibration="calibration unavailable"))
    assert in_order(dossier) == list(SECTION_IDS)
    assert "Not calibrated (examined by an earlier version)" in section(dossier, "conclusion")


def test_validation_without_plots_is_only_numbers() -> None:
    shown = render_validation(FixtureCalibration(), None, plots=False)
    assert "<img" not in shown and "0.213" in shown


def test_observations_are_never_drawn_in_the_alarm_colour() -> None:
    for kind in ("metadata_inconsistency", "reencoding", "dropout", "truncation", "clipping"):
        for score in (0.0, 0.5, 1.0):
            assert finding_colour(kind, score) == OBSERVATION_COLOUR, (kind, score)
            assert finding_severity(kind, score) == "sev-obs"
    assert finding_colour("edit_point", 0.5) == ALARM_COLOUR
    assert finding_colour("edit_point", 0.49) != ALARM_COLOUR
    assert finding_colour("edit_point", 0.1) != ALARM_COLOUR


def test_a_whole_file_metadata_finding_is_a_neutral_marker() -> None:
    tagged = {**FINDINGS[0], "score": 1.0, "description": "FFmpeg encoder tag (Lavf)."}
    exam = Examination.from_report(examination_report([tagged]))
    tree = parse(render_dossier(dossier_inputs(examination=exam)))
    [marker] = tree.find_all("a", "marker")
    assert "sev-obs" in marker.classes and "sev-hi" not in marker.classes
    assert "sev-obs" in tree.find_all("article", "finding")[0].classes


@pytest.mark.slow
def test_the_pdf_carries_the_sections_and_the_signoff(dossier_page: str, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "dossier.pdf"
    write_pdf(dossier_page, path)
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    flat = re.sub(r"\s+", " ", text)
    positions = [
        flat.find(title)
        for title in (
            "1. Question and propositions",
            "2. Items received",
            "3. Methods and their validation",
            "4. Findings",
            "5. Evaluative conclusion",
            "6. Limitations",
            "7. Examiner sign-off",
        )
    ]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "Dr. Q" in flat and "forensic audio examiner" in flat
    assert "moderate support" in flat


def test_stored_prose_cannot_reverse_a_line() -> None:
    """The summary and conclusion come from a stored report: read as hostile, like names."""
    report = calibrated_report()
    report["summary"]["text"] = "Examined: 'leak\u202egpj.wav' (SHA-256 5e…)."
    report["summary"]["conclusion"] = CONCLUSION + "\u202e"
    planted = Examination.from_report(report)
    pages = [
        render_examination_html(planted, synthetic_audio(), RATE, calibration=FixtureCalibration()),
        render_dossier(dossier_inputs(examination=planted, calibration=FixtureCalibration())),
    ]
    for page in pages:
        assert "\u202e" not in page
        assert "leak\\u202egpj.wav" in page


def test_signoffs_of_ignores_other_events_and_exhibits() -> None:
    events = signed_custody()
    other = replace(events[-1], exhibit="ab" * 32, hash="99" * 32)
    found = signoffs_of([*events, other], SHA)
    assert [s.examination_sha256 for s in found] == [OLD_EXAM_SHA, EXAM_SHA]
    assert found[1].name == EVIL_EXAMINER and found[1].log10_lr == pytest.approx(1.3)


def test_the_condition_names_stream_tags_and_encoder_observations() -> None:
    """An Opus or M4A file keeps its encoder tag on the stream. The condition once said "no
    container or encoder observation; no tags" of such a file while the examination listed
    both: every observation of the container check, and every stream's tags, are shown."""
    media = {
        "tags": {},
        "streams": [
            {"index": 0, "tags": {"encoder": "Lavf62.12.102"}},
            "<not a stream>",
            {"index": "<i>1</i>", "tags": {"<b>k</b>": "<b>v</b>"}},
            {"index": 2, "tags": ["not", "a", "mapping"]},
        ],
    }
    encoder = Finding("other", "container_metadata", 0.0, 61.0, 0.1, "Encoder tags name FFmpeg.")
    room = Finding("other", "discontinuities", 3.0, 4.0, 0.3, "A gradual change of the room.")
    lines = condition_lines(media, [encoder, room])
    assert lines[0] == "Observation (00:00:00.0): Encoder tags name FFmpeg."
    assert not any("room" in line for line in lines)  # not about the item's condition
    assert lines[1].startswith("Tags in the container and its streams: stream0:encoder = Lavf62")
    assert "&lt;b&gt;k&lt;/b&gt; = &lt;b&gt;v&lt;/b&gt;" in lines[1] and "<b>" not in lines[1]
    assert [key for key, _ in media_tags(media)] == ["stream0:encoder", "stream<i>1</i>:<b>k</b>"]
    assert media_tags({"tags": "x", "streams": "y"}) == []
    assert condition_lines({}, []) == []
