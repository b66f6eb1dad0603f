"""Edits as JSON: every edit survives its own JSON, and hostile JSON is refused in one line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.review.edits import (
    EDIT_TYPES,
    AddAnnotation,
    AddQuote,
    CorrectText,
    EditInvalid,
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
    edit_from_dict,
)
from tests.strategies import json_values

ids = st.integers(0, 10**9)
names = st.text(min_size=1, max_size=30).filter(
    lambda s: (
        s.strip()
        and not any(ord(c) < 32 or ord(c) == 127 for c in s)
        and "\u2028" not in s
        and "\u2029" not in s
    )
)
texts = st.text(max_size=200).filter(
    lambda s: (
        not any(ord(c) < 32 or ord(c) == 127 for c in s) and "\u2028" not in s and "\u2029" not in s
    )
)
times = st.floats(0, 10_000, allow_nan=False, allow_infinity=False)


@st.composite
def spans(draw: st.DrawFn) -> tuple[float, float]:
    start = draw(times)
    return start, start + draw(st.floats(0.001, 100))


@st.composite
def edits(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(sorted(EDIT_TYPES)))
    start, end = draw(spans())
    a = draw(ids)
    b = draw(st.integers(1, max(1, 10**9 - a)))  # a + b stays a valid id
    if kind == "correct_text":
        return CorrectText(a, draw(texts), draw(st.sampled_from(["original", "translation"])))
    if kind == "split_segment":
        return SplitSegment(a, draw(st.integers(0, 1000)))
    if kind == "merge_segments":
        return MergeSegments(a, a + b)
    if kind == "move_boundary":
        return MoveBoundary(a, a + b, draw(st.integers(0, 1000)))
    if kind == "set_speaker":
        return SetSpeaker(a, draw(names))
    if kind == "rename_speaker":
        return RenameSpeaker(draw(names), draw(names))
    if kind == "merge_speakers":
        source = draw(names)
        return MergeSpeakers(source, draw(names.filter(lambda s: s != source)))
    if kind == "mark_range":
        return MarkRange(start, end, draw(st.sampled_from(["inaudible", "crosstalk"])))
    if kind == "redact":
        return Redact(start, end)
    if kind == "add_annotation":
        tags = tuple(draw(st.lists(names.filter(lambda s: len(s) <= 64), max_size=4)))
        return AddAnnotation(
            start, end, draw(texts), tags, draw(st.sampled_from(["comment", "note"]))
        )
    if kind == "remove_annotation":
        return RemoveAnnotation(a)
    if kind == "add_quote":
        return AddQuote(draw(names), start, end, draw(texts))
    return RemoveQuote(a)


@given(edits())
def test_every_edit_survives_its_json(edit: Any) -> None:
    data = json.loads(json.dumps(edit.to_dict()))
    assert data["kind"] == edit.kind
    assert edit_from_dict(data) == edit


JSON_VALUES = json_values()


@given(
    st.sampled_from(sorted(EDIT_TYPES)),
    st.dictionaries(
        st.sampled_from(
            [
                "segment_id",
                "text",
                "track",
                "at_word",
                "first_id",
                "second_id",
                "words_in_first",
                "speaker",
                "label",
                "name",
                "source",
                "target",
                "start",
                "end",
                "mark",
                "tags",
                "annotation_kind",
                "annotation_id",
                "collection",
                "note",
                "quote_id",
                "kind",
                "extra",
            ]
        ),
        JSON_VALUES,
        max_size=6,
    ),
)
def test_any_json_is_an_edit_or_refused_in_one_line(kind: str, body: dict[str, Any]) -> None:
    try:
        edit = edit_from_dict({"kind": kind, **body})
    except EditInvalid as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 200
    else:
        assert edit_from_dict(edit.to_dict()) == edit


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "not a JSON object"),
        ({"kind": "drop_table"}, "unknown kind"),
        ({"segment_id": 1, "text": "x"}, "unknown kind"),
        ({"kind": "correct_text", "segment_id": 1}, "text is missing"),
        ({"kind": "correct_text", "segment_id": True, "text": "x"}, "segment_id is not an integer"),
        ({"kind": "correct_text", "segment_id": 1.0, "text": "x"}, "segment_id is not an integer"),
        ({"kind": "correct_text", "segment_id": -1, "text": "x"}, "out of range"),
        ({"kind": "correct_text", "segment_id": 10**30, "text": "x"}, "out of range"),
        ({"kind": "correct_text", "segment_id": 1, "text": "x" * 10_001}, "longer than 10000"),
        ({"kind": "correct_text", "segment_id": 1, "text": "a\x00b"}, "control character"),
        ({"kind": "correct_text", "segment_id": 1, "text": 5}, "text is not a string"),
        ({"kind": "correct_text", "segment_id": 1, "text": "x", "track": "both"}, "track"),
        ({"kind": "correct_text", "segment_id": 1, "text": "x", "admin": True}, "unexpected key"),
        ({"kind": "redact", "start": 5, "end": 5}, "end (5.0) is not after start"),
        ({"kind": "redact", "start": -1, "end": 5}, "start is out of range"),
        ({"kind": "redact", "start": float("nan"), "end": 5}, "not a finite number"),
        ({"kind": "redact", "start": 0, "end": float("inf")}, "not a finite number"),
        ({"kind": "redact", "start": 0, "end": 10**400}, "out of range"),
        ({"kind": "redact", "start": False, "end": 3}, "start is not a number"),
        ({"kind": "redact", "start": "1", "end": 3}, "start is not a number"),
        ({"kind": "rename_speaker", "label": "S1", "name": "  "}, "name is empty"),
        ({"kind": "rename_speaker", "label": "S1", "name": "x" * 201}, "longer than 200"),
        ({"kind": "merge_speakers", "source": "S1", "target": "S1"}, "same speaker"),
        ({"kind": "merge_segments", "first_id": 3, "second_id": 3}, "same segment"),
        ({"kind": "mark_range", "start": 1, "end": 2, "mark": "laughter"}, "mark is not one of"),
        ({"kind": "add_annotation", "start": 1, "end": 2, "text": "x", "tags": "a"}, "not a list"),
        ({"kind": "add_annotation", "start": 1, "end": 2, "text": "x", "tags": [1]}, "tag"),
        ({"kind": "add_annotation", "start": 1, "end": 2, "text": "x", "tags": ["t"] * 33}, "tags"),
        ({"kind": "add_annotation", "start": 1, "end": 2, "text": "x", "kind2": 1}, "unexpected"),
    ],
)
def test_malformed_edits_are_refused_by_name(data: Any, problem: str) -> None:
    with pytest.raises(EditInvalid, match=problem.replace("(", r"\(").replace(")", r"\)")):
        edit_from_dict(data)


def test_defaults_and_numbers_as_the_json_gives_them() -> None:
    edit = edit_from_dict({"kind": "add_annotation", "start": 1, "end": 2, "text": "who?"})
    assert edit == AddAnnotation(1.0, 2.0, "who?", (), "comment")
    assert isinstance(edit.start, float)
    assert edit.to_dict() == {
        "kind": "add_annotation",
        "start": 1.0,
        "end": 2.0,
        "text": "who?",
        "tags": [],
        "annotation_kind": "comment",
    }
    assert CorrectText(4, "x").segment_ids == (4,)
    assert MoveBoundary(4, 5, 2).segment_ids == (4, 5)
    assert Redact(1, 2).segment_ids == () and RenameSpeaker("S1", "Anna").segment_ids == ()
