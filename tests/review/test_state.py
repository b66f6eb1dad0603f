"""Each edit kind on a small transcript: what it changes, what it keeps, what it refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    CorrectText,
    EditConflict,
    EditInvalid,
    EditRefused,
    MarkRange,
    MergeSegments,
    MergeSpeakers,
    MoveBoundary,
    Redact,
    RemoveAnnotation,
    RemoveQuote,
    RenameSpeaker,
    SetSpeaker,
    SplitSegment,
)
from earwitness.review.provenance import transcript_json
from earwitness.review.redaction import REDACTED
from earwitness.review.state import ReviewState, apply, replay, start
from earwitness.speech.types import Transcript
from tests.review.samples import sample, segment, transcript

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "earwitness/schemas/transcript.schema.json").read_text()
)


def words(state: ReviewState, sid: int) -> list[str]:
    (found,) = [s for s in state.transcript.segments if s.id == sid]
    return [w.word for w in found.words]


def seg(state: ReviewState, sid: int):
    (found,) = [s for s in state.transcript.segments if s.id == sid]
    return found


def test_a_correction_keeps_the_times_of_unchanged_words() -> None:
    asr = sample()
    state = apply(start(asr), CorrectText(0, "Бедняга, ребят hello"), "anna")
    new = seg(state, 0)
    assert new.text == " Бедняга, ребят hello"
    assert [w.word for w in new.words] == [" Бедняга,", " ребят", " hello"]
    assert new.words[-1] == asr.segments[0].words[-1]  # unchanged: same times, probability
    # The two new words share the span of the three they replace, and say a person wrote them.
    assert new.words[0].start == asr.segments[0].words[0].start
    assert new.words[1].end == asr.segments[0].words[2].end
    assert new.words[0].end == new.words[1].start
    assert {w.probability for w in new.words[:2]} == {1.0}
    assert state.versions == {0: 1, 1: 0, 2: 0}
    assert state.transcript.translation == asr.translation  # the other track is untouched
    assert state.asr == asr


def test_an_inserted_word_goes_into_the_gap_and_a_deleted_one_leaves() -> None:
    state = apply(start(sample()), CorrectText(1, "how are you really today"), "anna")
    inserted = seg(state, 1).words[3]
    assert inserted.word == " really"
    assert (inserted.start, inserted.end) == (4.4, 4.5)  # between "you" and "today"
    state = apply(state, CorrectText(1, "how you"), "anna")
    assert words(state, 1) == [" how", " you"]
    assert seg(state, 1).words[1] == sample().segments[1].words[2]


def test_correcting_the_translation_changes_only_the_translation() -> None:
    state = apply(start(sample()), CorrectText(1, "poor guy", track="translation"), "anna")
    assert state.transcript.translation is not None
    assert state.transcript.translation[1].text == "poor guy"
    assert state.transcript.segments == sample().segments
    assert state.versions[1] == 1
    no_translation = start(transcript(segment(0, 0, "a b"), translated=False))
    with pytest.raises(EditRefused, match="no translation"):
        apply(no_translation, CorrectText(0, "x", track="translation"), "anna")


def test_a_correction_that_changes_nothing_is_refused() -> None:
    with pytest.raises(EditRefused, match="already says that"):
        apply(start(sample()), CorrectText(0, "  Vitya   Aga guys hello "), "anna")


def test_split_makes_a_new_segment_with_the_next_id() -> None:
    state = apply(start(sample()), SplitSegment(1, 2), "anna")
    ids = [s.id for s in state.transcript.segments]
    assert ids == [0, 1, 3, 2]
    first, second = seg(state, 1), seg(state, 3)
    assert (first.text, second.text) == (" how are", " you today")
    assert (first.start, first.end, second.start, second.end) == (3.0, 3.9, 4.0, 4.9)
    assert second.speaker == "S2"
    assert state.versions == {0: 0, 1: 1, 3: 1, 2: 0}
    translation = state.transcript.translation
    assert translation is not None
    assert [(t.id, t.start, t.end, t.text) for t in translation[1:3]] == [
        (1, 3.0, 3.9, "english 1"),  # the translated text stays with the first part
        (3, 4.0, 4.9, ""),
    ]
    for at in (0, 4, 99):
        with pytest.raises(EditRefused, match="at_word must be 1 to 3"):
            apply(start(sample()), SplitSegment(1, at), "anna")


def test_merge_joins_adjacent_segments_only() -> None:
    state = apply(start(sample()), MergeSegments(1, 2), "anna")
    merged = seg(state, 1)
    assert merged.text == " how are you today fine thanks Минск"
    assert (merged.start, merged.end, merged.speaker) == (3.0, 7.4, "S2")
    assert merged.words[-1].speaker == "S1"  # a word keeps who said it
    assert 2 not in state.versions and state.versions[1] == 1
    assert state.transcript.translation is not None
    assert state.transcript.translation[1].text == "english 1 english 2"
    with pytest.raises(EditRefused, match="does not directly follow"):
        apply(start(sample()), MergeSegments(0, 2), "anna")
    with pytest.raises(EditRefused, match="does not directly follow"):
        apply(start(sample()), MergeSegments(2, 1), "anna")
    with pytest.raises(EditRefused, match="no segment 7"):
        apply(start(sample()), MergeSegments(1, 7), "anna")
    # The id of a merged-away segment is never given again.
    assert [s.id for s in apply(state, SplitSegment(1, 2), "anna").transcript.segments][1:3] == [
        1,
        3,
    ]


def test_move_boundary_moves_a_turn_and_its_words() -> None:
    state = apply(start(sample()), MoveBoundary(0, 1, 5), "anna")
    first, second = seg(state, 0), seg(state, 1)
    assert first.text == " Vitya Aga guys hello how"
    assert second.text == " are you today"
    assert first.words[-1].speaker == "S1" and first.end == 3.4 and second.start == 3.5
    back = apply(state, MoveBoundary(0, 1, 3), "anna")
    assert seg(back, 1).text == " hello how are you today"
    assert seg(back, 1).words[0].speaker == "S2"
    assert back.versions[0] == 2 and back.versions[1] == 2
    with pytest.raises(EditRefused, match="already ends there"):
        apply(start(sample()), MoveBoundary(0, 1, 4), "anna")
    with pytest.raises(EditRefused, match="words_in_first must be 1 to 7"):
        apply(start(sample()), MoveBoundary(0, 1, 8), "anna")


def test_speakers_set_renamed_and_merged() -> None:
    state = apply(start(sample()), SetSpeaker(1, "S3"), "anna")
    assert seg(state, 1).speaker == "S3" and {w.speaker for w in seg(state, 1).words} == {"S3"}
    assert state.transcript.translation is not None
    assert state.transcript.translation[1].speaker == "S3"
    state = apply(state, RenameSpeaker("S1", "Anna Petrova"), "boris")
    assert state.speaker_names == {"S1": "Anna Petrova"}
    assert state.versions == {0: 0, 1: 1, 2: 0}  # a name touches no segment
    state = apply(state, MergeSpeakers("S1", "S3"), "boris")
    assert {s.speaker for s in state.transcript.segments} == {"S3"}
    assert all(w.speaker == "S3" for s in state.transcript.segments for w in s.words)
    assert state.speaker_names == {}
    assert state.versions == {0: 1, 1: 1, 2: 1}
    with pytest.raises(EditRefused, match="no speaker 'S9'"):
        apply(state, RenameSpeaker("S9", "X"), "boris")
    with pytest.raises(EditRefused, match="no speaker 'S1'"):
        apply(state, MergeSpeakers("S1", "S3"), "boris")
    with pytest.raises(EditRefused, match="name is empty"):
        apply(state, RenameSpeaker("S3", ""), "boris")


def test_a_mark_replaces_the_words_it_covers() -> None:
    state = apply(start(sample()), MarkRange(3.45, 4.2, "crosstalk"), "anna")
    assert words(state, 1) == [" how", " [crosstalk]", " today"]
    mark = seg(state, 1).words[1]
    assert (mark.start, mark.end) == (3.45, 4.4)  # "are" and "you" (3.5–4.4) and the range
    assert state.marks[0].mark == "crosstalk"
    # Inside a segment but between words: inserted there.
    state = apply(state, MarkRange(1.91, 1.99, "inaudible"), "anna")
    assert words(state, 0) == [" Vitya", " Aga", " guys", " hello"]  # 1.9–? is after its end
    # Where nothing was recognised: a segment of its own, with its translation line.
    state = apply(start(sample()), MarkRange(10, 12, "inaudible"), "anna")
    assert state.transcript.segments[-1].text == " [inaudible]"
    assert state.transcript.segments[-1].id == 3 and state.versions[3] == 1
    inside = apply(start(sample()), MarkRange(0.42, 0.48, "inaudible"), "anna")
    assert words(inside, 0) == [" Vitya", " [inaudible]", " Aga", " guys", " hello"]
    with pytest.raises(EditRefused, match="after the recording's end"):
        apply(start(sample()), MarkRange(60, 61, "inaudible"), "anna")


def test_redaction_blanks_both_tracks_and_keeps_them_blank() -> None:
    state = apply(start(sample()), Redact(3.45, 4.45), "anna")
    assert words(state, 1) == [" how", " " + REDACTED, " today"]
    assert state.transcript.translation is not None
    assert state.transcript.translation[1].text == REDACTED  # no word times: all of it
    assert state.redactions == ((3.45, 4.45),)
    assert "are" not in json.dumps(state.transcript.to_dict())
    # A correction inside the range cannot bring the words back.
    with pytest.raises(EditRefused, match="nothing would change"):
        apply(state, CorrectText(1, "how are you today"), "anna")
    retyped = apply(state, CorrectText(1, "who [redacted] today"), "anna")
    assert words(retyped, 1) == [" who", " " + REDACTED, " today"]
    # The translated line has no word times, so all of it stays blank.
    with pytest.raises(EditRefused, match="nothing would change"):
        apply(state, CorrectText(1, "are you", track="translation"), "anna")
    # Splitting and merging keep it blank too; a mark inside it would show nothing.
    for edit in (SplitSegment(1, 1), MergeSegments(0, 1), MarkRange(3.3, 4.2, "inaudible")):
        after = apply(state, edit, "anna")
        assert "are" not in json.dumps(after.transcript.to_dict()), edit
    with pytest.raises(EditRefused, match="nothing would change"):
        apply(state, MarkRange(3.6, 3.7, "inaudible"), "anna")
    with pytest.raises(EditRefused, match="already redacted"):
        apply(state, Redact(3.5, 4.0), "anna")


def test_versions_guard_against_a_silent_overwrite() -> None:
    base = start(sample())
    anna = apply(base, CorrectText(1, "how are we today"), "anna", base_versions={1: 0})
    with pytest.raises(EditConflict, match="segment 1 was changed") as caught:
        apply(anna, CorrectText(1, "who are you today"), "boris", base_versions={1: 0})
    assert caught.value.segment_ids == (1,)
    # Another segment is no conflict; nor is the version just read.
    boris = apply(anna, CorrectText(2, "fine thanks Минске"), "boris", base_versions={2: 0})
    apply(boris, CorrectText(1, "how are they today"), "boris", base_versions={1: 1})
    # A range edit is checked against the segments it touches.
    with pytest.raises(EditConflict):
        apply(anna, Redact(3.0, 3.2), "boris", base_versions={1: 0, 2: 0})
    merged = apply(anna, MergeSegments(1, 2), "anna")
    with pytest.raises(EditConflict, match="segment 2 was merged or removed"):
        apply(merged, CorrectText(2, "x"), "boris", base_versions={2: 0})
    with pytest.raises(EditRefused, match="no segment 2"):
        apply(merged, CorrectText(2, "x"), "boris")
    # Versions as a JSON body gives them: string ids are read, never skipped.
    with pytest.raises(EditConflict):
        apply(anna, CorrectText(1, "x"), "boris", base_versions={"1": 0})  # type: ignore[dict-item]
    for bad in ({"1": True}, {"one": 1}, {"1": -1}, {1.0: 0}, [1]):
        with pytest.raises(EditInvalid, match="base_versions"):
            apply(anna, CorrectText(1, "x"), "boris", base_versions=bad)  # type: ignore[arg-type]


def test_annotations_and_quotes_are_not_corrections() -> None:
    state = apply(start(sample()), AddAnnotation(3, 4, "who is S2?", ("names",), "note"), "vera")
    state = apply(state, AddQuote("for the article", 3.0, 3.9, "key line"), "vera")
    assert state.annotations[0].id == 1 and state.annotations[0].account == "vera"
    assert state.annotations[0].kind == "note" and state.annotations[0].tags == ("names",)
    assert state.quotes[0].text == "how are"
    assert state.corrections == 0 and state.reviewers == () and state.version == 2
    state = apply(state, RemoveAnnotation(1), "vera")
    state = apply(state, RemoveQuote(1), "vera")
    assert state.annotations == () and state.quotes == ()
    with pytest.raises(EditRefused, match="no annotation 1"):
        apply(state, RemoveAnnotation(1), "vera")
    with pytest.raises(EditRefused, match="no quote 5"):
        apply(state, RemoveQuote(5), "vera")
    redacted = apply(start(sample()), Redact(3.45, 4.45), "anna")
    quoted = apply(redacted, AddQuote("c", 3.0, 5.0), "vera").quotes[0]
    assert quoted.text == f"how {REDACTED} today"


def test_the_old_state_is_never_changed_and_accounts_are_required() -> None:
    base = start(sample())
    frozen = json.dumps(base.transcript.to_dict())
    apply(base, CorrectText(0, "x"), "anna")
    assert json.dumps(base.transcript.to_dict()) == frozen and base.version == 0
    with pytest.raises(TypeError):
        base.versions[0] = 5  # type: ignore[index]
    with pytest.raises(EditRefused, match="account"):
        apply(base, CorrectText(0, "x"), "")


def test_replay_leaves_out_what_no_longer_applies() -> None:
    edits = [
        (CorrectText(0, "one"), "anna", 10),
        (MergeSegments(0, 1), "boris", 11),
        (CorrectText(1, "raced"), "anna", 12),  # segment 1 is gone
        (RenameSpeaker("S2", "Boris"), "boris", 13),
    ]
    state = replay(sample(), edits)
    assert state.skipped == (12,)
    assert state.corrections == 3 and state.reviewers == ("anna", "boris")
    assert seg(state, 0).text.startswith(" one how")


def test_the_reviewed_transcript_is_still_schema_valid_json() -> None:
    state = start(sample())
    for edit in (
        CorrectText(0, "Бедняга, ребят"),
        SplitSegment(1, 2),
        RenameSpeaker("S2", "Boris"),
        MarkRange(20, 21, "inaudible"),
        Redact(6.0, 6.5),
    ):
        state = apply(state, edit, "anna")
    data = json.loads(json.dumps(transcript_json(state, "c" * 64)))
    jsonschema.validate(data, SCHEMA)
    assert data["processing"]["review"]["description"] == "ASR + 5 corrections by 1 reviewer"
    assert {s["speaker"] for s in data["segments"]} == {"S1", "Boris", None}
    again = Transcript.from_dict(data)
    assert [s.text for s in again.segments] == [s.text for s in state.transcript.segments]


def test_a_translation_out_of_step_is_aligned_when_the_review_starts() -> None:
    asr = transcript(segment(0, 0, "a b"), segment(1, 2, "c d"))
    unaligned = Transcript(
        **{**asr.__dict__, "translation": (asr.translation[1],)}  # type: ignore[index]
    )
    state = start(unaligned)
    assert state.transcript.translation is not None
    assert [t.id for t in state.transcript.translation] == [0, 1]
    assert state.transcript.translation[0].text == ""


def test_an_emptied_segment_takes_new_words_inside_its_span() -> None:
    state = apply(start(sample()), CorrectText(2, ""), "anna")
    assert seg(state, 2).words == () and seg(state, 2).text == ""
    state = apply(state, CorrectText(2, "fine, thanks"), "anna")
    again = seg(state, 2)
    assert [w.word for w in again.words] == [" fine,", " thanks"]
    assert again.words[0].start == again.start and again.words[-1].end == again.end
    assert {w.speaker for w in again.words} == {"S1"}
    marked = apply(
        apply(start(sample()), CorrectText(2, ""), "anna"), MarkRange(6.1, 6.3, "inaudible"), "anna"
    )
    assert [w.word for w in seg(marked, 2).words] == [" [inaudible]"]
    # Without word times (a recogniser that gave none) only the text changes.
    timeless = start(transcript(replace(segment(0, 0, "a b"), words=())))
    assert seg(apply(timeless, CorrectText(0, "a c"), "anna"), 0).text == " a c"
