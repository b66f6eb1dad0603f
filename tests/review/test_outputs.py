"""What a review shows: the wording of its provenance, its diff, its muted audio."""

from __future__ import annotations

import numpy as np
import pytest

from earwitness.review.diff import diff
from earwitness.review.edits import (
    AddAnnotation,
    AddQuote,
    CorrectText,
    MergeSegments,
    Redact,
    RenameSpeaker,
    SplitSegment,
)
from earwitness.review.provenance import describe, named_transcript, provenance
from earwitness.review.redaction import REDACTED, mute
from earwitness.review.state import apply, start
from tests.review.samples import sample


def test_describe_counts_corrections_and_reviewers_in_plain_words() -> None:
    state = start(sample())
    assert describe(state) == "ASR (no corrections)"
    state = apply(state, AddAnnotation(1, 2, "who?"), "vera")
    state = apply(state, AddQuote("article", 1, 2), "vera")
    assert describe(state) == "ASR (no corrections)"  # notes are not corrections
    state = apply(state, CorrectText(0, "one"), "anna")
    assert describe(state) == "ASR + 1 correction by 1 reviewer"
    state = apply(state, RenameSpeaker("S1", "Anna"), "anna")
    assert describe(state) == "ASR + 2 corrections by 1 reviewer"
    state = apply(state, Redact(6.0, 6.2), "boris")
    for k in range(20):
        state = apply(state, CorrectText(1, f"take {k}"), "anna" if k % 2 else "boris")
    assert describe(state) == "ASR + 23 corrections by 2 reviewers"
    assert provenance(state, "c" * 64) == {
        "base_transcript_sha256": "c" * 64,
        "version": 25,
        "corrections": 23,
        "reviewers": ["anna", "boris"],
        "redactions": [[6.0, 6.2]],
        "description": "ASR + 23 corrections by 2 reviewers",
    }


def test_diff_compares_words_over_the_same_time_span() -> None:
    asr = sample()
    state = apply(start(asr), CorrectText(0, "Бедняга, ребят hello"), "anna")
    state = apply(state, SplitSegment(1, 2), "anna")
    state = apply(state, CorrectText(3, "you today sir"), "anna")
    result = diff(asr, state.transcript)
    assert [d.segment_id for d in result] == [0, 1, 3, 2]
    first = result[0].to_dict()
    assert first["asr"] == "Vitya Aga guys hello"
    assert first["reviewed"] == "Бедняга, ребят hello"
    assert first["ops"] == [
        {"op": "replace", "asr": ["Vitya", "Aga", "guys"], "reviewed": ["Бедняга,", "ребят"]},
        {"op": "equal", "asr": ["hello"], "reviewed": ["hello"]},
    ]
    # The split halves are compared with the ASR words of their own spans.
    assert (result[1].asr, result[1].changed) == ("how are", False)
    assert result[2].asr == "you today"
    assert [op.op for op in result[2].ops] == ["equal", "insert"]
    assert not result[3].changed
    merged = apply(start(asr), MergeSegments(1, 2), "anna")
    (joined,) = [d for d in diff(asr, merged.transcript) if d.segment_id == 1]
    assert joined.asr == "how are you today fine thanks Минск" and not joined.changed
    deleted = apply(start(asr), CorrectText(2, "fine"), "anna")
    assert [op.op for op in diff(asr, deleted.transcript)[2].ops] == ["equal", "delete"]


def test_the_diff_never_shows_redacted_words() -> None:
    asr = sample()
    state = apply(start(asr), Redact(3.45, 4.45), "anna")
    (shown,) = [d for d in diff(asr, state.transcript, state.redactions) if d.segment_id == 1]
    assert shown.asr == f"how {REDACTED} today" and not shown.changed
    assert "are" not in str(shown.to_dict())


def test_named_transcript_shows_the_names_given() -> None:
    state = apply(start(sample()), RenameSpeaker("S2", "Boris"), "anna")
    named = named_transcript(state)
    assert [s.speaker for s in named.segments] == ["S1", "Boris", "S1"]
    assert {w.speaker for w in named.segments[1].words} == {"Boris"}
    assert named.translation is not None and named.translation[1].speaker == "Boris"
    assert state.transcript.segments[1].speaker == "S2"  # the label stays in the review


def test_mute_is_sample_accurate_and_clipped() -> None:
    samples = np.ones(8000, dtype=np.float32)
    muted = mute(samples, 8000, [(0.1, 0.2)])
    assert np.flatnonzero(muted == 0).tolist() == list(range(800, 1600))
    assert samples.min() == 1.0  # the input is untouched
    clipped = mute(samples, 8000, [(-5.0, 0.001), (0.9995, 99.0)])
    assert np.flatnonzero(clipped == 0).tolist() == [*range(8), *range(7996, 8000)]
    stereo = mute(np.ones((100, 2), dtype=np.int16), 100, [(0.5, 0.6)])
    assert stereo[50:60].tolist() == [[0, 0]] * 10 and stereo[60:].min() == 1
    read_only = np.ones(10, dtype=np.float32)
    read_only.flags.writeable = False
    assert mute(read_only, 10, [(0.0, 0.5)]).tolist() == [0] * 5 + [1] * 5
    for bad in ([(1.0, 1.0)], [(float("nan"), 2.0)], [(0.0, float("inf"))]):
        with pytest.raises(ValueError, match="not a time range"):
            mute(samples, 8000, bad)
