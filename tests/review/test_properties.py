"""Properties over generated transcripts and edit sequences: the reviewed transcript stays
well-formed whatever editors do, redaction leaves nothing of a range, mute touches nothing else."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.review.edits import (
    CorrectText,
    EditRefused,
    MarkRange,
    MergeSegments,
    MergeSpeakers,
    MoveBoundary,
    Redact,
    SetSpeaker,
    SplitSegment,
)
from earwitness.review.redaction import REDACTED, mute, overlaps, redact_transcript
from earwitness.review.state import ReviewState, apply, start
from earwitness.speech.types import Transcript
from tests.review.samples import VOCABULARY, transcripts

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "earwitness/schemas/transcript.schema.json").read_text()
)


def check_well_formed(state: ReviewState) -> None:
    segments = state.transcript.segments
    ids = [s.id for s in segments]
    assert len(set(ids)) == len(ids)
    assert set(state.versions) == set(ids)
    for before, after in itertools.pairwise(segments):
        assert before.end <= after.start, (before, after)
    for segment in segments:
        assert segment.start <= segment.end
        for word in segment.words:
            assert segment.start <= word.start <= word.end <= segment.end, (segment, word)
        for earlier, later in itertools.pairwise(segment.words):
            assert earlier.end <= later.start + 1e-9, segment
        if segment.words:
            assert segment.text == "".join(w.word for w in segment.words)
    translation = state.transcript.translation
    if translation is not None:
        assert [(t.id, t.start, t.end, t.speaker) for t in translation] == [
            (s.id, s.start, s.end, s.speaker) for s in segments
        ]
    for low, high in state.redactions:
        for line in (*segments, *(translation or ())):
            for word in line.words:
                if overlaps(word.start, word.end, [(low, high)]):
                    assert word.word.strip() == REDACTED


@st.composite
def an_edit(draw: st.DrawFn, state: ReviewState) -> Any:
    segments = state.transcript.segments
    duration = state.transcript.duration or 1.0
    start = draw(st.floats(0, duration, allow_nan=False))
    end = start + draw(st.floats(0.01, 3))
    if not segments:
        return draw(st.sampled_from([Redact(start, end), MarkRange(start, end, "inaudible")]))
    i = draw(st.integers(0, len(segments) - 1))
    sid = segments[i].id
    nxt = segments[i + 1].id if i + 1 < len(segments) else sid + 1
    words = len(segments[i].words)
    pair = words + (len(segments[i + 1].words) if i + 1 < len(segments) else 0)
    # Mostly possible splits and moves, sometimes impossible ones (which must be refused).
    at_word = draw(st.integers(1, max(1, words - 1)) | st.integers(0, words + 1))
    in_first = draw(st.integers(1, max(1, pair - 1)) | st.integers(0, pair + 1))
    text = " ".join(draw(st.lists(st.sampled_from([*VOCABULARY, "[redacted]"]), max_size=6)))
    return draw(
        st.sampled_from(
            [
                CorrectText(sid, text),
                CorrectText(sid, text, "translation"),
                SplitSegment(sid, at_word),
                MergeSegments(sid, nxt),
                MoveBoundary(sid, nxt, in_first),
                SetSpeaker(sid, draw(st.sampled_from(["S1", "S2", "S3"]))),
                MergeSpeakers("S1", "S2"),
                MarkRange(start, end, draw(st.sampled_from(["inaudible", "crosstalk"]))),
                Redact(start, end),
            ]
        )
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(transcripts(), st.data())
def test_no_edit_sequence_breaks_the_transcript(asr: Transcript, data: st.DataObject) -> None:
    state = start(asr)
    check_well_formed(state)
    for _ in range(8):
        edit = data.draw(an_edit(state))
        try:
            after = apply(state, edit, data.draw(st.sampled_from(["anna", "boris"])))
        except EditRefused:
            continue
        check_well_formed(after)
        assert after.version == state.version + 1
        for sid, version in after.versions.items():
            assert version >= state.versions.get(sid, 0)
        state = after
    jsonschema.validate(json.loads(json.dumps(state.transcript.to_dict())), SCHEMA)


@settings(max_examples=150, deadline=None)
@given(transcripts(), st.lists(st.tuples(st.floats(0, 30), st.floats(0.01, 5)), max_size=3))
def test_redaction_leaves_nothing_of_the_range(asr: Transcript, spans: list[Any]) -> None:
    ranges = [(low, low + length) for low, length in spans]
    redacted = redact_transcript(asr, ranges)
    tracks = [(asr.segments, redacted.segments)]
    if asr.translation is not None and redacted.translation is not None:
        tracks.append((asr.translation, redacted.translation))
    for originals, afters in tracks:
        for original, after in zip(originals, afters, strict=True):
            if original.words:
                # Every word outside the ranges is kept as it was, in order; nothing else but
                # [redacted] is left, and the text says only that.
                outside = [w for w in original.words if not overlaps(w.start, w.end, ranges)]
                assert [w for w in after.words if w.word.strip() != REDACTED] == outside
                assert after.text == "".join(w.word for w in after.words)
                for word in after.words:
                    if overlaps(word.start, word.end, ranges):
                        assert word.word.strip() == REDACTED
            elif overlaps(original.start, original.end, ranges):
                assert after.text.strip() in (REDACTED, "")
            else:
                assert after == original


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 48_000),
    st.integers(0, 3000),
    st.lists(st.tuples(st.floats(-1, 1.2), st.floats(1e-6, 0.5)), max_size=4),
)
def test_mute_zeroes_exactly_the_ranges(rate: int, length: int, spans: list[Any]) -> None:
    rng = np.random.default_rng(length)
    samples = rng.uniform(-1, 1, length).astype(np.float32) + np.float32(2.0)  # no zeros
    before = samples.copy()
    ranges = [(low, low + size) for low, size in spans]
    muted = mute(samples, rate, ranges)
    assert np.array_equal(samples, before)  # the input is not changed
    times = np.arange(length) / rate
    inside = np.zeros(length, dtype=bool)
    for low, high in ranges:
        inside |= (times >= low) & (times < high)
    assert np.all(muted[inside] == 0)
    assert muted[~inside].tobytes() == before[~inside].tobytes()
    assert muted.dtype == samples.dtype
