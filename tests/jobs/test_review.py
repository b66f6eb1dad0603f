"""Review edits in a real case: stored as artefacts, logged as signed "review" events that name
the account but never the words, read back only after verification, replayed in order."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from earwitness.jobs.review import (
    EarlierEdits,
    earlier_edits,
    record_edit,
    review_edits,
    reviewed_state,
)
from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.review.edits import CorrectText, Redact, RenameSpeaker, SplitSegment
from earwitness.review.provenance import describe
from earwitness.review.state import apply, start
from earwitness.speech.types import Transcript
from earwitness.vault.artefacts import ArtefactRecord, ArtefactTampered, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.custody import canonical_json, iter_events
from earwitness.vault.intake import ingest_paths
from tests.conftest import write_wav
from tests.review.samples import sample


@pytest.fixture
def exhibit(case: Case, tmp_path: Path) -> str:
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "a.wav")])
    assert outcome.sha256
    return outcome.sha256


def store_asr(case: Case, exhibit: str, asr: Transcript, params: dict) -> ArtefactRecord:
    """``asr`` stored as the TRANSCRIPT stage stores one (no Whisper run)."""
    return store_artefact(
        case,
        exhibit,
        TRANSCRIPT.name,
        json.dumps(asr.to_dict()).encode(),
        filename=TRANSCRIPT.filename,
        media_type=TRANSCRIPT.media_type,
        params=params,
        model_sha256=asr.model_sha256,
        action=TRANSCRIPT.action,
    )


def _store_transcript(case: Case, exhibit: str, model: str = "b" * 64) -> ArtefactRecord:
    """A hand-made ASR transcript, stored."""
    asr = replace(sample(), exhibit_sha256=exhibit, model_sha256=model)
    return store_asr(case, exhibit, asr, {"model": model})


def test_an_edit_is_a_signed_review_event_without_its_words(case: Case, exhibit: str) -> None:
    base = _store_transcript(case, exhibit)
    record = record_edit(case, exhibit, base, CorrectText(0, "Бедняга, ребят"), "anna")
    assert record.stage == "review_edit" and record.params["account"] == "anna"
    (event,) = [e for e in iter_events(case.paths.custody) if e.action == "review"]
    assert event.exhibit == exhibit and event.seq == record.seq
    logged = json.dumps(event.details, ensure_ascii=False)
    assert '"account": "anna"' in logged and '"kind": "correct_text"' in logged
    assert base.object_sha256 in logged
    assert "Бедняга" not in logged and "ребят" not in logged  # the words stay out of the log
    stored = json.loads(case.store.path_for(record.object_sha256).read_bytes())
    assert stored["edit"] == {
        "kind": "correct_text",
        "segment_id": 0,
        "text": "Бедняга, ребят",
        "track": "original",
    }
    assert stored["base_transcript_sha256"] == base.object_sha256


def test_edits_replay_into_the_reviewed_state(case: Case, exhibit: str) -> None:
    assert reviewed_state(case, exhibit) is None
    base = _store_transcript(case, exhibit)
    edits = [
        (CorrectText(0, "Бедняга, ребят hello"), "anna"),
        (SplitSegment(1, 2), "boris"),
        (RenameSpeaker("S2", "Boris"), "anna"),
        (Redact(6.0, 6.5), "boris"),
    ]
    expected = start(sample())
    for edit, account in edits:
        expected = apply(expected, edit, account)
        record_edit(case, exhibit, base, edit, account)
    read = review_edits(case, exhibit, base.object_sha256)
    assert [(e, a) for e, a, _ in read] == edits
    assert [seq for _, _, seq in read] == sorted(seq for _, _, seq in read)
    found = reviewed_state(case, exhibit)
    assert found is not None
    record, state = found
    assert record.object_sha256 == base.object_sha256
    assert (
        state.transcript.segments == replace(expected.transcript, exhibit_sha256=exhibit).segments
    )
    assert describe(state) == "ASR + 4 corrections by 2 reviewers"
    assert state.speaker_names == {"S2": "Boris"}
    # A newer ASR transcript starts a new review, which keeps the redaction of the recording.
    newer = _store_transcript(case, exhibit, model="d" * 64)
    found = reviewed_state(case, exhibit)
    assert found is not None and found[0].object_sha256 == newer.object_sha256
    assert found[1].redactions == ((6.0, 6.5),) and found[1].corrections == 1
    assert "fine" not in json.dumps(found[1].transcript.to_dict())
    # The other three stay with the transcript they were made on, and are counted as such.
    assert earlier_edits(case, exhibit, newer.object_sha256) == EarlierEdits(3, 1)
    assert earlier_edits(case, exhibit, base.object_sha256) == EarlierEdits(0, 0)
    record_edit(case, exhibit, newer, CorrectText(0, "again"), "anna")
    assert earlier_edits(case, exhibit, newer.object_sha256) == EarlierEdits(3, 1)
    assert earlier_edits(case, exhibit, base.object_sha256) == EarlierEdits(0, 0)  # newer ones
    assert earlier_edits(case, exhibit, "f" * 64) == EarlierEdits(0, 0)  # no such transcript
    newest = _store_transcript(case, exhibit, model="e" * 64)
    assert earlier_edits(case, exhibit, newest.object_sha256) == EarlierEdits(4, 2)


def test_a_tampered_edit_is_refused(case: Case, exhibit: str) -> None:
    base = _store_transcript(case, exhibit)
    record = record_edit(case, exhibit, base, CorrectText(0, "what was said"), "anna")
    stored = case.store.path_for(record.object_sha256)
    os.chmod(stored, 0o644)
    forged = json.loads(stored.read_bytes())
    forged["edit"]["text"] = "what was never said"
    stored.write_bytes(canonical_json(forged))
    with pytest.raises(ArtefactTampered, match="altered"):
        review_edits(case, exhibit, base.object_sha256)
    with pytest.raises(ArtefactTampered):
        reviewed_state(case, exhibit)


def test_a_logged_object_that_is_no_edit_is_refused(case: Case, exhibit: str) -> None:
    """Signed but malformed (a bug or another tool): refused as hostile, never half-read."""
    base = _store_transcript(case, exhibit)
    params = {
        "account": "anna",
        "kind": "correct_text",
        "base_transcript_sha256": base.object_sha256,
        "segments": [0],
    }
    body = {
        "schema": "earwitness.review-edit/1",
        "edit": {"kind": "correct_text", "segment_id": True, "text": "x"},
        "account": "anna",
        "base_transcript_sha256": base.object_sha256,
    }
    store_artefact(
        case,
        exhibit,
        "review_edit",
        canonical_json(body),
        filename="review-edit.json",
        media_type="application/json",
        params=params,
        action="review",
    )
    with pytest.raises(ArtefactTampered, match="segment_id is not an integer"):
        review_edits(case, exhibit, base.object_sha256)
