"""Which speech and voices of two transcripts of one recording are the same."""

from __future__ import annotations

from hypothesis import given, settings

from earwitness.review.matching import newer_label, same_speech, same_voices
from earwitness.speech.types import Transcript
from tests.review.samples import relabelled, sample, segment, transcripts


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_a_transcript_matches_itself_segment_for_segment_and_voice_for_voice(
    asr: Transcript,
) -> None:
    runs = same_speech(asr.segments, asr.segments)
    assert [s.id for run, _ in runs for s in run] == [s.id for s in asr.segments]
    for run, ids in runs:  # a run holds what the other run holds, never less
        assert set(ids) >= {s.id for s in run if s.words or s.end - s.start > 0.1}
    for old, new in same_voices(asr, asr).items():
        assert old == new


def test_a_segment_cut_in_two_is_one_run_with_both_parts() -> None:
    whole = segment(0, 0.0, "one two three four five six")
    first, second = segment(0, 0.0, "one two three"), segment(7, 1.5, "four five six")
    [(run, ids)] = same_speech([whole], [first, second])
    assert run == [whole] and ids == [0, 7]
    # Speech the newer transcript does not have pairs with nothing.
    [(_, none)] = same_speech([segment(3, 20.0, "later")], [first, second])
    assert none == []


def test_voices_pair_by_time_and_an_unknown_label_stays_itself() -> None:
    older = sample()
    newer = relabelled(older, {"S1": "S2", "S2": "S1"})
    same = same_voices(older, newer)
    assert same == {"S1": "S2", "S2": "S1"}
    assert newer_label("S9", same, newer) == "S9"  # a label a reviewer made up
