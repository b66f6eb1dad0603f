"""Carrying a review to a transcript made again, in a real case: an explicit, logged action
that keeps who made each correction, says who carried it, and never carries twice."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from earwitness.jobs.carry_review import CarryRefused, carry_review, carry_sources, left_behind
from earwitness.jobs.review import earlier_edits, record_edit, reviewed_state
from earwitness.jobs.reviewed import newest_shown
from earwitness.reports.dossier_transcript import version_shown
from earwitness.review.edits import AddAnnotation, CorrectText, Redact, SetSpeaker
from earwitness.review.segments import tokens
from earwitness.vault.artefacts import (
    ArtefactRecord,
    ArtefactTampered,
    list_artefacts,
    store_artefact,
)
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from earwitness.vault.verify import verify_case
from tests.jobs.test_review import exhibit, store_asr
from tests.review.samples import sample

__all__ = ["exhibit"]  # the fixture


def store_transcript(case: Case, exhibit: str, english: str) -> ArtefactRecord:
    older = sample()
    asr = replace(
        older,
        exhibit_sha256=exhibit,
        translation=tuple(replace(t, text=f"{english} {t.id}") for t in older.translation or ()),
    )
    return store_asr(case, exhibit, asr, {"english": english})


@pytest.fixture
def remade(case: Case, exhibit: str) -> tuple[ArtefactRecord, ArtefactRecord]:
    older = store_transcript(case, exhibit, "old english")
    record_edit(case, exhibit, older, CorrectText(1, "how are you Vitya"), "anna")
    record_edit(case, exhibit, older, SetSpeaker(2, "S2"), "boris")
    record_edit(case, exhibit, older, AddAnnotation(3.0, 4.0, "ask the source"), "boris")
    record_edit(case, exhibit, older, Redact(6.0, 6.5), "anna")
    newer = store_transcript(case, exhibit, "new english")
    return older, newer


def test_a_carry_records_each_edit_under_its_author_and_names_the_carrier(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord]
) -> None:
    older, newer = remade
    assert earlier_edits(case, exhibit, newer.object_sha256).edits == 3
    made = carry_review(case, exhibit, "clara")
    assert made.source == older and made.target == newer and made.plan.left == ()
    kinds = [(r.params["kind"], r.params["account"]) for r in made.recorded]
    assert kinds == [
        ("correct_text", "anna"),
        ("set_speaker", "boris"),
        ("add_annotation", "boris"),
    ]
    for record in made.recorded:
        assert record.params["carried_from"] == older.object_sha256
        assert record.params["carried_by"] == "clara"
        assert record.params["base_transcript_sha256"] == newer.object_sha256
    found = reviewed_state(case, exhibit)
    assert found is not None
    base, state = found
    assert base == newer
    assert tokens(state.transcript.segments[1].text) == ["how", "are", "you", "Vitya"]
    assert state.transcript.segments[2].speaker == "S2"
    assert [t.text for t in state.transcript.translation or ()][:2] == [
        "new english 0",
        "new english 1",
    ]
    assert state.reviewers == ("anna", "boris")
    assert state.redactions == ((6.0, 6.5),)  # it applied already, and was not carried
    assert made.summary is not None and made.summary.stage == "review_carry"
    assert made.summary.params["edits"] == 3 and made.summary.params["left"] == 0
    logged = json.dumps([e.details for e in iter_events(case.paths.custody)], ensure_ascii=False)
    assert "Vitya" not in logged and "ask the source" not in logged  # words stay out of the log
    assert verify_case(case).ok


def test_the_outputs_say_what_was_carried_and_by_whom(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord]
) -> None:
    carry_review(case, exhibit, "clara")
    shown = newest_shown(case, exhibit)
    assert shown is not None
    review = shown.processing["review"]
    assert review["carried"] == {
        "edits": 3,
        "from": [remade[0].object_sha256],
        "by": ["clara"],
    }
    assert version_shown(shown) == (
        "ASR + 3 corrections by 2 reviewers (anna, boris); 3 of the edits carried from an "
        "earlier transcript by clara"
    )


def test_a_carry_is_made_once(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord]
) -> None:
    made = carry_review(case, exhibit, "clara")
    assert made.summary is not None
    before = len(list_artefacts(case, exhibit))
    with pytest.raises(CarryRefused, match=f"custody event {made.summary.seq}"):
        carry_review(case, exhibit, "clara")
    assert len(list_artefacts(case, exhibit)) == before


def test_a_dry_run_records_nothing(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord]
) -> None:
    before = len(list_artefacts(case, exhibit))
    made = carry_review(case, exhibit, "clara", dry_run=True)
    assert len(made.plan.edits) == 3 and made.recorded == () and made.summary is None
    assert len(list_artefacts(case, exhibit)) == before


def test_nothing_to_carry_and_an_unknown_source_are_refused(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord]
) -> None:
    older, _ = remade
    assert [(r.object_sha256, n) for r, n in carry_sources(case, exhibit)] == [
        (older.object_sha256, 3)
    ]
    with pytest.raises(CarryRefused, match="matches none"):
        carry_review(case, exhibit, "clara", source="ffff")
    with pytest.raises(CarryRefused, match="who carries"):
        carry_review(case, exhibit, " ")
    store_transcript(case, exhibit, "third")
    # The newest older transcript with edits is still the first one.
    assert carry_review(case, exhibit, "clara", dry_run=True).source == older


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"schema": "earwitness.review-carry/1", "left": {"start": 0}}',
        b'{"schema": "earwitness.review-carry/1", "left": [{"start": true, "end": 1, '
        b'"what": "x", "why": "y"}]}',
        b'{"schema": "earwitness.review-carry/1", "left": [{"start": 1e999, "end": 1, '
        b'"what": "x", "why": "y"}]}',
        b'{"schema": "something else", "left": []}',
    ],
)
def test_a_malformed_carry_summary_is_refused_not_shown(
    case: Case, exhibit: str, remade: tuple[ArtefactRecord, ArtefactRecord], content: bytes
) -> None:
    _older, newer = remade
    store_artefact(
        case,
        exhibit,
        "review_carry",
        content,
        filename="review-carry.json",
        media_type="application/json",
        params={"base_transcript_sha256": newer.object_sha256, "edits": 0, "left": 1},
    )
    with pytest.raises(ArtefactTampered, match="review carry"):
        left_behind(case, exhibit, newer.object_sha256)
