"""The whole examination on synthetic recordings with known answers, the JSON contract, the
registry the checks are declared in, and the examination read back from storage."""

import json
from dataclasses import replace

import jsonschema
import numpy as np
import pytest

from earwitness.forensics import registry
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.examination import Examination, series_from_bytes, series_to_bytes
from earwitness.forensics.examine import (
    ExamOptions,
    ExhibitFacts,
    Recording,
    examine,
    summary_text,
)
from earwitness.forensics.findings import FINDING_KINDS, CheckResult, Finding
from earwitness.reports.examination_html import render_examination_html
from earwitness.schemas import load_schema

RATE = 8000
CHECK_NAMES = [
    "container_metadata",
    "enf",
    "discontinuities",
    "duplicated_material",
    "compression_history",
    "levels",
]


def facts(name: str = "call.wav") -> ExhibitFacts:
    media = {
        "container": "wav",
        "codec": "pcm_s16le",
        "sample_rate": RATE,
        "channels": 1,
        "bit_rate": RATE * 16,
        "duration_s": 60.0,
        "tags": {},
        "warnings": [],
        "streams": [
            {
                "index": 0,
                "type": "audio",
                "codec": "pcm_s16le",
                "sample_rate": RATE,
                "channels": 1,
                "duration_s": 60.0,
                "bits_per_sample": 16,
                "tags": {},
            }
        ],
    }
    return ExhibitFacts(sha256="a" * 64, filename=name, size_bytes=RATE * 2 * 60 + 44, media=media)


def hum_recording(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    wander = 0.02 * np.sin(2 * np.pi * np.arange(n) / RATE / 40)
    phase = 2 * np.pi * np.cumsum(50 + wander) / RATE
    speechy = rng.standard_normal(n) * (0.1 + 0.1 * (np.sin(np.arange(n) / RATE * 3) > 0))
    return (speechy * 0.3 + 0.01 * np.sin(phase) + 0.004 * rng.standard_normal(n)).astype(
        np.float32
    )


def recording(samples: np.ndarray, name: str = "call.wav") -> Recording:
    return Recording(samples, RATE, facts(name))


@pytest.fixture(scope="module")
def schema() -> dict:
    return load_schema("examination")


@pytest.fixture(scope="module")
def hum_exam() -> Examination:
    return examine(recording(hum_recording(60)), ExamOptions())


def test_report_validates_and_lists_every_check(schema: dict, hum_exam: Examination) -> None:
    jsonschema.validate(hum_exam.report, schema)
    json.dumps(hum_exam.report, allow_nan=False)  # plain JSON, no NaN
    assert [check["name"] for check in hum_exam.report["checks"]] == CHECK_NAMES
    assert all(check["status"] != "error" for check in hum_exam.report["checks"]), hum_exam.report
    assert hum_exam.complete


def test_the_older_call_gives_the_same_report(hum_exam: Examination) -> None:
    older = examine(hum_recording(60), RATE, facts(), ExamOptions()).report
    assert {**older, "created_at": ""} == {**hum_exam.report, "created_at": ""}


def test_progress_is_told_of_each_check_before_it_runs_and_of_the_end() -> None:
    told: list[tuple[str, int, int]] = []
    exam = examine(recording(hum_recording(5)), progress=lambda *step: told.append(step))
    total = len(CHECK_NAMES)
    assert told == [(name, done, total) for done, name in enumerate(CHECK_NAMES)] + [
        ("", total, total)
    ]
    assert [check["name"] for check in exam.report["checks"]] == CHECK_NAMES


def test_summary_is_neutral_and_names_the_file() -> None:
    text = examine(recording(hum_recording(30), "встреча.wav")).report["summary"]["text"]
    assert "встреча.wav" in text
    for verdict in ("authentic", "fake", "forged", "genuine"):
        assert verdict not in text.lower()


def test_summary_says_apart_what_a_truncated_file_lacks() -> None:
    """Truncation is no sign of editing, but it is no aside either: the summary says how
    much of the recording was never there to examine."""
    cut = Finding(
        "truncation",
        "container_metadata",
        30.3,
        30.4,
        0.95,
        "ends early",
        {"declared_s": 61.73, "payload_s": 30.42, "missing_s": 31.31},
    )
    dropout = Finding("dropout", "discontinuities", 19.4, 19.5, 0.97, "a dropout")
    text = summary_text(facts(), 30.42, [], [cut, dropout])
    assert (
        "The file is truncated: it declares 61.73 s and holds 30.42 s; the missing 31.31 s" in text
    )
    assert "need not concern the content: dropout (see findings)." in text
    whole = summary_text(facts(), 30.42, [], [dropout])
    assert "truncated" not in whole


def test_the_summary_names_the_file_as_it_is_not_as_an_override_would_show_it() -> None:
    text = summary_text(facts("leak\u202egpj.wav\nsecond line"), 60.0, [], [])
    assert text.startswith("Examined: 'leak\\u202egpj.wav\\nsecond line' (SHA-256 ")
    assert text.isprintable()


def test_edit_score_is_the_highest_edit_point_score(schema: dict) -> None:
    signal = hum_recording(60, seed=3)
    cut = int(30.013 * RATE)
    edited = np.concatenate([signal[:cut], signal[cut + int(0.9137 * RATE) :]])
    report = examine(recording(edited)).report
    jsonschema.validate(report, schema)
    edit_scores = [f["score"] for f in report["findings"] if f["kind"] == "edit_point"]
    assert report["summary"]["edit_score"] == pytest.approx(max(edit_scores, default=0.0))
    assert report["summary"]["edit_score"] >= 0.5
    assert any(
        abs(f["start_s"] - 30.0) < 0.5
        for f in report["findings"]
        if f["kind"] == "edit_point" and f["score"] >= 0.5
    )


def test_a_failing_check_is_reported_and_leaves_the_examination_incomplete(
    monkeypatch: pytest.MonkeyPatch, schema: dict
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("earwitness.forensics.levels.check_levels", broken)
    exam = examine(recording(hum_recording(5)))
    jsonschema.validate(exam.report, schema)
    levels = next(c for c in exam.report["checks"] if c["name"] == "levels")
    assert levels["status"] == "error" and "boom" in levels["summary"]
    assert not exam.complete
    assert [c["name"] for c in exam.report["checks"]] == CHECK_NAMES  # the others still ran


def test_running_out_of_memory_is_never_a_check_result(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr("earwitness.forensics.splices.check_discontinuities", exhausted)
    with pytest.raises(MemoryError):
        examine(recording(hum_recording(5)))


def test_a_finding_its_check_did_not_declare_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def clipping_from_metadata(media, **kwargs):
        return CheckResult(
            "container_metadata",
            "ok",
            "fine",
            findings=[Finding("clipping", "container_metadata", 0.0, 1.0, 0.9, "loud")],
        )

    monkeypatch.setattr("earwitness.forensics.metadata.check_metadata", clipping_from_metadata)
    exam = examine(recording(hum_recording(5)))
    metadata = next(c for c in exam.checks if c.name == "container_metadata")
    assert metadata.status == "error" and "undeclared finding ('clipping'" in metadata.summary
    assert not exam.complete and not any(f.kind == "clipping" for f in exam.findings)


def test_unreadable_media_is_examined_with_what_exists(schema: dict) -> None:
    exam = examine(
        Recording(np.zeros(0, dtype=np.float32), RATE, ExhibitFacts("b" * 64, "x", 10, None))
    )
    jsonschema.validate(exam.report, schema)
    assert exam.report["exhibit"]["media"]["codec"] == "none"


def test_titles_labels_and_kinds_come_from_the_declarations() -> None:
    declared = registry.examinations()
    assert [d.name for d in declared] == CHECK_NAMES
    assert registry.check_titles()["enf"] == "electric network frequency (ENF)"
    assert registry.kind_labels()["reencoding"] == "Re-encoding"
    assert set(registry.kind_labels()) <= registry.schema_finding_kinds()
    assert registry.check_title("unknown_check") == "unknown_check"


def test_the_finding_kinds_are_the_schemas() -> None:
    assert set(FINDING_KINDS) == registry.schema_finding_kinds()


def test_a_declaration_outside_the_contract_is_refused() -> None:
    base = registry.EXAMINATIONS[0]
    with pytest.raises(registry.RegistryError, match="'forgery'"):
        registry.validate([replace(base, name="new", kinds={"forgery": "Forgery"})])
    with pytest.raises(registry.RegistryError, match="used twice"):
        registry.validate([base, base])
    with pytest.raises(registry.RegistryError, match="labelled"):
        registry.validate([base, replace(base, name="x", kinds={"metadata_inconsistency": "M"})])
    assert isinstance(base, Declaration)


@pytest.mark.slow
def test_a_stored_examination_reads_back_and_renders_the_same(hum_exam: Examination) -> None:
    stored_json = json.dumps(hum_exam.report, indent=2, ensure_ascii=False)
    stored_series = series_to_bytes(hum_exam.series)
    assert series_to_bytes(hum_exam.series) == stored_series  # same series, same bytes (and hash)
    series = series_from_bytes(stored_series)
    assert set(series["enf"]) == {"enf_track", "enf_phase"}
    np.testing.assert_array_equal(
        series["enf"]["enf_track"].values, hum_exam.series["enf"]["enf_track"].values
    )
    back = Examination.from_report(json.loads(stored_json), series)
    assert json.dumps(back.report, indent=2, ensure_ascii=False) == stored_json
    assert back.checks == hum_exam.checks and back.findings == hum_exam.findings
    samples = hum_recording(60)
    fresh_html = render_examination_html(hum_exam, samples, RATE)
    assert render_examination_html(back, samples, RATE) == fresh_html
    assert fresh_html.count("<figure>") == 5  # waveform, spectrogram, ENF track and phase, floor
    without_series = render_examination_html(
        Examination.from_report(hum_exam.report), samples, RATE
    )
    assert without_series.count("<figure>") == 3
