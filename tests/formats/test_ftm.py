"""Exhibits as FollowTheMoney entities that FtM's own model accepts unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from followthemoney import model

from earwitness.formats.ftm import exhibit_entity
from tests.cli.helpers import run
from tests.conftest import REPO
from tests.formats.test_transcript_rendering import TRANSCRIPT

EXHIBIT = {
    "sha256": "b" * 64,
    "filename": "briefing.mp3",
    "size_bytes": 112941,
    "media": {"duration_s": 13.97, "sample_rate": 16000, "streams": [{"type": "audio"}]},
}
EXAMINATION = {
    "created_at": "2026-11-28T10:00:00+00:00",
    "summary": {
        "edit_score": 0.12,
        "text": "No indication of editing was found.",
        "log10_lr": -0.62,
        "conclusion": "The findings provide weak support for the proposition that it is an "
        "unedited original rather than that the recording was edited.",
    },
}


def accepted_unchanged(entity: dict) -> None:
    """FtM's model cleans every value; a valid entity comes back exactly as it went in."""
    proxy = model.get_proxy(entity, cleaned=False)
    assert proxy.schema.validate(entity) is None
    cleaned = proxy.to_dict()["properties"]
    assert {k: sorted(v) for k, v in cleaned.items()} == {
        k: sorted(v) for k, v in entity["properties"].items()
    }


def test_an_exhibit_with_its_transcript_is_a_valid_audio_entity() -> None:
    entity = exhibit_entity(
        EXHIBIT, sha1="a" * 40, transcript=TRANSCRIPT.to_dict(), examination=EXAMINATION
    )
    accepted_unchanged(entity)
    props = entity["properties"]
    assert entity["schema"] == "Audio" and entity["id"] == "earwitness-" + "b" * 64
    assert props["contentHash"] == ["a" * 40]
    assert props["duration"] == ["13970"] and props["samplingRate"] == ["16000"]
    assert props["language"] == ["rus"] and props["translatedLanguage"] == ["eng"]
    assert "S1: Слушайте внимательно." in props["bodyText"][0]
    assert "00:00:00" in props["bodyText"][0]
    assert "Listen carefully." in props["translatedText"][0]
    assert any("d" * 64 in agent for agent in props["processingAgent"])
    assert any("b" * 64 in note for note in props["notes"])
    notes = props["notes"][0]
    assert "Evidence over the whole file: weak support for unedited (-0.6)" in notes
    assert "Evaluative conclusion: The findings provide weak support" in notes


@pytest.mark.parametrize("odd_lr", ["NaN", float("nan"), float("inf"), True, None])
def test_a_stored_examination_with_odd_values_still_gives_an_entity(odd_lr: object) -> None:
    odd = {"summary": {"edit_score": 0.5, "log10_lr": odd_lr, "conclusion": ["not text"]}}
    entity = exhibit_entity(EXHIBIT, sha1="a" * 40, examination=odd)
    accepted_unchanged(entity)
    notes = entity["properties"]["notes"][0]
    assert "Evidence over" not in notes and "Evaluative conclusion" not in notes


def test_a_video_without_transcript_is_a_video_entity() -> None:
    video = {**EXHIBIT, "filename": "clip.mp4", "media": {"streams": [{"type": "video"}]}}
    entity = exhibit_entity(video, sha1="c" * 40)
    accepted_unchanged(entity)
    assert entity["schema"] == "Video" and "bodyText" not in entity["properties"]


@pytest.mark.slow
def test_export_ftm_from_a_case_is_logged(tmp_path: Path) -> None:
    case = tmp_path / "case"
    run("init", case, check=True)
    run("ingest", REPO / "samples" / "briefing-en.wav", cwd=case, check=True)
    out = tmp_path / "entities.json"
    result = run("export", "--format", "ftm", "-o", out, cwd=case)
    assert result.returncode == 0, result.stderr
    [entity] = [json.loads(line) for line in out.read_text().splitlines()]
    accepted_unchanged(entity)
    assert entity["properties"]["fileName"] == ["briefing-en.wav"]
    events = [json.loads(line) for line in run("log", "--json", cwd=case).stdout.splitlines()]
    assert events[-1]["action"] == "export" and events[-1]["details"]["format"] == "ftm"
    assert run("verify", cwd=case).returncode == 0
