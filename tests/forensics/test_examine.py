"""The whole examination on synthetic recordings with known answers, and the JSON contract."""

import json

import jsonschema
import numpy as np
import pytest

from earwitness.forensics.examine import ExamOptions, ExhibitFacts, examine
from tests.conftest import SHARED

SCHEMA_PATH = SHARED / "schemas" / "examination.schema.json"
RATE = 8000


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


@pytest.fixture(scope="module")
def schema() -> dict:
    if not SCHEMA_PATH.is_file():
        pytest.skip("../shared/schemas is absent")
    return json.loads(SCHEMA_PATH.read_text())


def test_report_validates_and_lists_every_check(schema: dict) -> None:
    exam = examine(hum_recording(60), RATE, facts(), ExamOptions())
    jsonschema.validate(exam.report, schema)
    json.dumps(exam.report, allow_nan=False)  # plain JSON, no NaN
    names = [check["name"] for check in exam.report["checks"]]
    assert names == [
        "container_metadata",
        "enf",
        "discontinuities",
        "duplicated_material",
        "compression_history",
        "levels",
    ]
    assert all(check["status"] != "error" for check in exam.report["checks"]), exam.report


def test_summary_is_neutral_and_names_the_file(schema: dict) -> None:
    text = examine(hum_recording(30), RATE, facts("встреча.wav")).report["summary"]["text"]
    assert "встреча.wav" in text
    for verdict in ("authentic", "fake", "forged", "genuine"):
        assert verdict not in text.lower()


def test_edit_score_is_the_highest_edit_point_score(schema: dict) -> None:
    signal = hum_recording(60, seed=3)
    cut = int(30.013 * RATE)
    edited = np.concatenate([signal[:cut], signal[cut + int(0.9137 * RATE) :]])
    report = examine(edited, RATE, facts()).report
    jsonschema.validate(report, schema)
    edit_scores = [f["score"] for f in report["findings"] if f["kind"] == "edit_point"]
    assert report["summary"]["edit_score"] == pytest.approx(max(edit_scores, default=0.0))
    assert report["summary"]["edit_score"] >= 0.5
    assert any(
        abs(f["start_s"] - 30.0) < 0.5
        for f in report["findings"]
        if f["kind"] == "edit_point" and f["score"] >= 0.5
    )


def test_a_failing_check_is_reported_not_raised(monkeypatch, schema: dict) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("earwitness.forensics.levels.check_levels", broken)
    report = examine(hum_recording(5), RATE, facts()).report
    jsonschema.validate(report, schema)
    levels = next(c for c in report["checks"] if c["name"] == "levels")
    assert levels["status"] == "error" and "boom" in levels["summary"]


def test_unreadable_media_is_examined_with_what_exists(schema: dict) -> None:
    report = examine(
        np.zeros(0, dtype=np.float32), RATE, ExhibitFacts("b" * 64, "x.bin", 10, None)
    ).report
    jsonschema.validate(report, schema)
    assert report["exhibit"]["media"]["codec"] == "none"
