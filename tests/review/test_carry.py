"""Carrying a review to a newer transcript (``review.carry``): what goes, what stays, why."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.review.carry import plan_carry
from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    CorrectText,
    EditRefused,
    MarkRange,
    Redact,
    RenameSpeaker,
    SetSpeaker,
    SplitSegment,
)
from earwitness.review.records import ReviewState
from earwitness.review.segments import tokens
from earwitness.review.state import apply, replay, start
from earwitness.speech.types import Transcript
from tests.review.samples import relabelled, sample, segment, transcript
from tests.review.test_properties import an_edit, check_well_formed, transcripts


def edited(asr: Transcript, *edits: tuple[Any, str]) -> list[tuple[Any, str, int]]:
    return [(edit, account, seq) for seq, (edit, account) in enumerate(edits, start=10)]


def reads(state: ReviewState) -> list[tuple[list[str], str | None, list[str]]]:
    english = state.transcript.translation or ()
    return [
        (tokens(s.text), s.speaker, tokens(english[i].text) if english else [])
        for i, s in enumerate(state.transcript.segments)
    ]


def english(state: ReviewState) -> list[str]:
    return [token for line in state.transcript.translation or () for token in tokens(line.text)]


def test_corrections_reach_a_transcript_made_again_with_new_english() -> None:
    older = sample()
    newer = replace(
        older,
        translation=tuple(replace(t, text=f"better english {t.id}") for t in older.translation),
    )
    edits = edited(
        older,
        (CorrectText(1, "how are you Vitya"), "anna"),
        (CorrectText(2, "fine thanks", "translation"), "boris"),
        (SetSpeaker(0, "S2"), "anna"),
        (RenameSpeaker("S2", "Viktor"), "anna"),
        (AddAnnotation(3.0, 4.0, "check this", ("doubt",)), "boris"),
        (AddQuote("press", 3.0, 5.0, "lead"), "anna"),
    )
    plan = plan_carry(older, edits, newer)
    assert plan.left == ()
    after = plan.state
    assert tokens(after.transcript.segments[1].text) == ["how", "are", "you", "Vitya"]
    assert after.transcript.segments[0].speaker == "S2"
    english = [t.text for t in after.transcript.translation or ()]
    # Corrected English carried; the rest is the newer transcript's, the reason it was made.
    assert english == ["better english 0", "better english 1", "fine thanks"]
    assert after.speaker_names == {"S2": "Viktor"}
    assert [(a.text, a.account) for a in after.annotations] == [("check this", "boris")]
    assert [(q.text, q.account) for q in after.quotes] == [("how are you Vitya", "anna")]
    # Each carried edit keeps the account of whoever made what it carries.
    accounts = {type(c.edit).__name__: c.account for c in plan.edits}
    assert accounts["CorrectText"] == "boris"  # the last one carried: Boris's English
    assert accounts["SetSpeaker"] == "anna"
    assert after.reviewers == ("anna", "boris")


def test_recorded_edits_replay_to_the_planned_review() -> None:
    older = sample()
    edits = edited(older, (SplitSegment(0, 2), "anna"), (CorrectText(0, "Vitya Aga"), "anna"))
    plan = plan_carry(older, edits, older)
    replayed = replay(older, [(c.edit, c.account, k) for k, c in enumerate(plan.edits)])
    assert replayed.transcript == plan.state.transcript
    assert replayed.skipped == ()


def test_a_split_is_made_again_where_the_newer_transcript_has_one_segment() -> None:
    older = transcript(segment(0, 0.0, "one two three four"), segment(1, 3.0, "five six"))
    edits = edited(older, (SplitSegment(0, 2), "anna"), (CorrectText(2, "THREE four"), "anna"))
    # The newer transcript cuts the same words elsewhere: one segment over all six.
    words = older.segments[0].words + older.segments[1].words
    joined = replace(
        older.segments[0], end=words[-1].end, words=words, text="".join(w.word for w in words)
    )
    newer = transcript(joined)
    plan = plan_carry(older, edits, newer)
    assert plan.left == ()
    assert [tokens(s.text) for s in plan.state.transcript.segments] == [
        ["one", "two"],
        ["THREE", "four"],
        ["five", "six"],
    ]
    check_well_formed(plan.state)


def test_what_cannot_go_is_named_with_its_time_and_why() -> None:
    older = sample()
    edits = edited(older, (CorrectText(2, "fine thanks Vitya"), "anna"))
    # The newer transcript heard nothing after 5 s.
    newer = transcript(*older.segments[:2])
    plan = plan_carry(older, edits, newer)
    assert plan.edits == ()
    [left] = plan.left
    assert (left.start, left.why) == (6.0, "the newer transcript has no speech there")


def test_a_segment_edited_on_the_newer_transcript_is_not_overwritten() -> None:
    older = sample()
    edits = edited(older, (CorrectText(1, "how are you Vitya"), "anna"))
    newer = edited(older, (CorrectText(1, "how are you Viktor"), "boris"))
    plan = plan_carry(older, edits, older, newer)
    assert plan.edits == ()
    assert plan.left[0].why == "edited on the newer transcript already"
    assert tokens(plan.state.transcript.segments[1].text)[-1] == "Viktor"


def test_speakers_follow_the_voice_not_the_label() -> None:
    older = sample()
    # Diarized again: the same two voices, labels swapped.
    newer = relabelled(older, {"S1": "S2", "S2": "S1"})
    edits = edited(older, (SetSpeaker(2, "S2"), "anna"), (RenameSpeaker("S2", "Viktor"), "anna"))
    plan = plan_carry(older, edits, newer)
    assert plan.left == ()
    assert plan.state.transcript.segments[2].speaker == "S1"
    assert plan.state.speaker_names == {"S1": "Viktor"}


def test_a_carry_cut_short_is_finished_or_its_gap_listed() -> None:
    older = sample()
    edits = edited(
        older,
        (CorrectText(1, "how are you Vitya"), "anna"),
        (CorrectText(1, "how are you, Vitya?", "translation"), "anna"),
        (CorrectText(2, "fine thanks"), "boris"),
    )
    plan = plan_carry(older, edits, older)
    assert [c.edit.segment_ids for c in plan.edits] == [(1,), (1,), (2,)]
    # Only the first edit was recorded before the process died: the words of line 1.
    recorded = [(plan.edits[0].edit, "anna", 50)]
    again = plan_carry(older, edits, older, recorded)
    assert [c.edit for c in again.edits] == [plan.edits[2].edit]  # line 2 goes now
    [left] = again.left  # line 1's English cannot: the line was edited, and says so
    assert (left.start, left.why) == (3.0, "edited on the newer transcript already")


def test_a_name_given_otherwise_on_the_newer_transcript_stays() -> None:
    older = sample()
    edits = edited(
        older, (RenameSpeaker("S1", "Viktor"), "anna"), (RenameSpeaker("S2", "Ivan"), "anna")
    )
    newer = edited(older, (RenameSpeaker("S1", "Viktor K."), "boris"))
    plan = plan_carry(older, edits, older, newer)
    assert plan.state.speaker_names == {"S1": "Viktor K.", "S2": "Ivan"}
    [left] = plan.left
    assert (left.what, left.why) == ("a speaker's name", "'S1' is named otherwise there already")
    assert "Viktor" not in left.why  # names stay out of what may be logged


def test_a_transcript_made_without_speakers_gets_none_from_the_carry() -> None:
    older = sample()
    edits = edited(older, (SplitSegment(2, 1), "anna"), (RenameSpeaker("S1", "Viktor"), "anna"))
    plan = plan_carry(older, edits, relabelled(older, {"S1": None, "S2": None}))
    assert [s.speaker for s in plan.state.transcript.segments] == [None] * 4
    [left] = plan.left
    assert left.why == "no voice of the newer transcript is 'S1'"
    assert (left.start, left.end) == (0.0, 7.4)  # where S1 speaks in the older review


def test_a_quote_is_said_to_read_differently_only_when_the_carry_changed_it() -> None:
    older = sample()
    # Quoted, then corrected: the older review's words there changed already.
    edits = edited(
        older,
        (AddQuote("press", 6.0, 7.5, ""), "anna"),
        (CorrectText(2, "fine thanks Vitya"), "anna"),
        (AddQuote("press", 3.0, 5.0, ""), "boris"),
    )
    heard_otherwise = replace(
        older,
        segments=(
            *older.segments[:1],
            segment(1, 3.0, "how are we today", "S2"),
            older.segments[2],
        ),
    )
    plan = plan_carry(older, edits, heard_otherwise)
    assert [q.text for q in plan.state.quotes] == ["fine thanks Vitya", "how are we today"]
    [left] = plan.left  # the second: its words were not corrected, the newer ones differ
    assert (left.start, left.what) == (3.0, "the quote's words")


def test_marks_are_carried_at_their_times() -> None:
    older = sample()
    edits = edited(
        older,
        (CorrectText(1, "who are you today"), "anna"),
        (MarkRange(3.4, 4.5, "inaudible"), "boris"),
    )
    newer = replace(older, translation=None)
    plan = plan_carry(older, edits, newer)
    assert plan.left == ()
    assert plan.state.marks == replay(older, edits).marks
    assert reads(plan.state)[1][0] == ["who", "[inaudible]", "today"]
    # The mark is Boris's, though Anna corrected the line it lies in.
    assert [c.account for c in plan.edits if isinstance(c.edit, MarkRange)] == ["boris"]


def test_redactions_are_not_carried_they_apply_already() -> None:
    older = sample()
    edits = edited(older, (Redact(3.0, 4.0), "anna"), (CorrectText(1, "how are you Vitya"), "anna"))
    # The newer review has the redaction too (it is of the recording's time, not a transcript).
    plan = plan_carry(older, edits, older, edits[:1])
    assert [c.edit.kind for c in plan.edits] == ["correct_text"] and plan.left == ()
    assert plan.state.redactions == ((3.0, 4.0),)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts(), st.data())
def test_carrying_onto_the_same_transcript_reproduces_the_review(
    asr: Transcript, data: st.DataObject
) -> None:
    state, stored = start(asr), []
    for seq in range(6):
        edit = data.draw(an_edit(state))
        if isinstance(edit, Redact):
            continue
        account = data.draw(st.sampled_from(["anna", "boris"]))
        try:
            state = apply(state, edit, account)
        except EditRefused:  # refused edits are not stored
            continue
        stored.append((edit, account, seq))
    plan = plan_carry(asr, stored, asr)
    check_well_formed(plan.state)
    # The plan's edits, recorded and replayed, give the review the plan shows.
    again = replay(asr, [(c.edit, c.account, k) for k, c in enumerate(plan.edits)])
    assert again.transcript == plan.state.transcript and again.skipped == ()
    # Carrying twice is carrying once.
    carried = [(c.edit, c.account, k) for k, c in enumerate(plan.edits)]
    assert plan_carry(asr, stored, asr, carried).edits == ()
    # A mark where nothing has word times goes into the segment it overlaps most, so where
    # it lands depends on the order of the corrections around it: marks are checked apart.
    if not plan.left and not any(isinstance(edit, MarkRange) for edit, _, _ in stored):
        # The words and speakers as reviewed. The English of a segment nobody corrected is
        # the newer transcript's, cut at the same turns (where merges and splits had moved it
        # in the older review, it may lie one segment over), so all of it reads the same.
        assert [r[:2] for r in reads(plan.state)] == [r[:2] for r in reads(state)]
        if not any(getattr(edit, "track", "") == "translation" for edit, _, _ in stored):
            assert english(plan.state) == english(state)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts(), transcripts(), st.data())
def test_any_newer_transcript_gets_a_plan_that_replays_as_planned(
    older: Transcript, newer: Transcript, data: st.DataObject
) -> None:
    state, stored = start(older), []
    for seq in range(6):
        edit = data.draw(an_edit(state))
        account = data.draw(st.sampled_from(["anna", "boris"]))
        try:
            state = apply(state, edit, account)
        except EditRefused:
            continue
        stored.append((edit, account, seq))
    redactions = [(e, a, k) for e, a, k in stored if isinstance(e, Redact)]
    plan = plan_carry(older, stored, newer, redactions)
    check_well_formed(plan.state)
    again = replay(newer, [*redactions, *((c.edit, c.account, 99) for c in plan.edits)])
    # Every carried edit applies (a redaction past the newer one's end need not).
    assert again.transcript == plan.state.transcript
    assert again.skipped == replay(newer, redactions).skipped
    for item in plan.left:
        assert item.start <= item.end and item.what and item.why
