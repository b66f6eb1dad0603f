"""Plain-text transcripts: exact output, and a round trip through ``read_text``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.formats.transcript_text import (
    TextEntry,
    clean_text,
    read_text,
    timestamp,
    to_text,
    translation_lines,
)
from earwitness.speech.types import Segment, Transcript
from tests.formats.test_subtitles import EN, RU, segment_lists, texts


def test_exact_text_with_translation() -> None:
    assert to_text(RU, translation=EN) == (
        "[00:00:00.5 – 00:00:02.3] S1: Добрый день, коллеги.\n"  # the end rounded up
        "    Good afternoon, colleagues.\n"
        "[00:00:02.5 – 00:00:03.0] S2: Начнём.\n"
        "    Let's begin.\n"
    )
    assert to_text(RU) == (
        "[00:00:00.5 – 00:00:02.3] S1: Добрый день, коллеги.\n"
        "[00:00:02.5 – 00:00:03.0] S2: Начнём.\n"
    )


def test_a_transcript_brings_its_own_translation() -> None:
    transcript = Transcript("0" * 64, "ru", tuple(RU), "base", "1" * 64, translation=tuple(EN))
    assert to_text(transcript) == to_text(RU, translation=EN)
    assert to_text(transcript, translation=()) == to_text(RU)


def test_lines_that_only_look_like_speakers() -> None:
    text = to_text([Segment(0, 3725.04, 3726.0, "Note: line\nbreak"), Segment(1, 0, 1, " ")])
    assert text == "[01:02:05.0 – 01:02:06.0] Note: line break\n"
    assert read_text(text) == [TextEntry(3725.0, 3726.0, None, "Note: line break")]
    tricky = [Segment(0, 1, 2, "S2: not a label"), Segment(1, 2, 3, "?: neither", speaker="S1")]
    assert to_text(tricky) == (
        "[00:00:01.0 – 00:00:02.0] ?: S2: not a label\n[00:00:02.0 – 00:00:03.0] S1: ?: neither\n"
    )
    assert [(e.speaker, e.text) for e in read_text(to_text(tricky))] == [
        (None, "S2: not a label"),
        ("S1", "?: neither"),
    ]
    with pytest.raises(ValueError):
        read_text("00:00:01 hello\n")
    with pytest.raises(ValueError):
        read_text("    a translation of nothing\n")


def test_timestamps_and_cleaning() -> None:
    assert timestamp(0) == "00:00:00.0"
    assert timestamp(359999.96) == "99:59:59.9"
    assert timestamp(359999.96, up=True) == "100:00:00.0"
    assert timestamp(0.3, up=True) == "00:00:00.3"  # 0.3 * 10 is a hair over 3
    assert timestamp(float("nan")) == timestamp(-4) == "00:00:00.0"
    assert clean_text(" a\x00b\n\n c\u2028d\ufffe ") == "ab c d"


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_text_reads_back(data: st.DataObject) -> None:
    segments = data.draw(segment_lists())
    aligned = data.draw(st.booleans())
    translation = [Segment(s.id, s.start, s.end, data.draw(texts(8))) for s in segments]
    text = to_text(segments, translation=translation if aligned else None)
    entries = read_text(text)
    kept = [
        (s, t)
        for s, t in zip(segments, translation, strict=True)
        if clean_text(s.text) or (aligned and clean_text(t.text))
    ]
    translated_lines = sum(bool(e.translation) for e in entries)
    assert len(entries) == len(kept) == len(text.splitlines()) - translated_lines
    for entry, (segment, english) in zip(entries, kept, strict=True):
        assert entry.text == clean_text(segment.text)
        assert entry.translation == (clean_text(english.text) if aligned else "")
        assert entry.speaker == segment.speaker
        # The range written contains the segment's, give or take float rounding.
        start = max(segment.start, 0)
        end = max(segment.end, start)
        slack = 1e-3 + 1e-12 * end
        assert entry.start - slack <= start < entry.start + 0.1 + slack
        assert entry.end - 0.1 - slack < end <= entry.end + slack


@settings(max_examples=100, deadline=None)
@given(segments=segment_lists(), others=st.lists(st.tuples(st.floats(0, 50), texts(6))))
def test_translation_by_time_loses_nothing(segments: list[Segment], others: list) -> None:
    translation = [Segment(i, s, s + 1, t) for i, (s, t) in enumerate(others)]
    if len(translation) == len(segments):
        translation = translation[:-1]
    aligned = translation_lines(segments, translation)
    assert len(aligned) == len(segments)
    if segments:
        wanted = sorted(w for t in translation for w in clean_text(t.text).split())
        assert sorted(w for a in aligned for w in a.split()) == wanted
