"""Praat TextGrids: tiers tile the recording, text survives, and praatio reads the same file."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from praatio import textgrid as praatio_textgrid

from earwitness.formats.textgrid import read_textgrid, to_textgrid
from earwitness.formats.transcript_text import clean_text, clean_time
from earwitness.speech.types import Segment, Word
from tests.formats.test_subtitles import segment_lists, texts

_DURATIONS = st.one_of(st.floats(0, 200), st.just(0.0), st.floats(1e5, 1e7), st.floats(-1, 0))


def _words_in_time_order(items: list[tuple[float, float, str]], domain: float) -> list[str]:
    """The words of ``items`` in order of start, starts clamped to the recording."""
    ordered = sorted(items, key=lambda item: min(round(clean_time(item[0]), 3), domain))
    return [w for _, _, text in ordered for w in clean_text(text).split()]


def _check_tiles(intervals: list[tuple[float, float, str]], duration: float) -> None:
    assert intervals[0][0] == 0
    assert intervals[-1][1] == duration
    for start, end, _ in intervals:
        assert start < end
    for before, after in itertools.pairwise(intervals):
        assert before[1] == after[0]
        assert before[2] or after[2]  # an empty gap is one interval, never two


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), duration=_DURATIONS)
def test_tiers_tile_the_recording_and_keep_every_word(data: st.DataObject, duration: float) -> None:
    segments = data.draw(segment_lists())
    translation = data.draw(
        st.none() | st.lists(st.tuples(st.floats(-1, 300), st.floats(0, 9), texts(6)), max_size=5)
    )
    translated = (
        None
        if translation is None
        else [Segment(i, s, s + n, t) for i, (s, n, t) in enumerate(translation)]
    )
    tiers = read_textgrid(to_textgrid(segments, duration, translation=translated))
    domain = max(duration, 0.001)

    speakers = {s.speaker for s in segments}
    expected_tiers = sorted(name for name in speakers if name)
    expected_tiers.sort(key=lambda name: int(name[1:]))
    if None in speakers or not expected_tiers:
        expected_tiers.append("transcript")
    if any(clean_text(w.word) for s in segments for w in s.words):
        expected_tiers.append("words")
    if translated is not None:
        expected_tiers.append("translation")
    assert list(tiers) == expected_tiers

    for name, intervals in tiers.items():
        _check_tiles(intervals, domain)
        if name == "words":
            items = [(w.start, w.end, w.word) for s in segments for w in s.words]
        elif name == "translation":
            items = [(t.start, t.end, t.text) for t in translated or []]
        else:
            speaker = None if name == "transcript" else name
            items = [(s.start, s.end, s.text) for s in segments if s.speaker == speaker]
        assert [w for _, _, text in intervals for w in text.split()] == _words_in_time_order(
            items, domain
        )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=segment_lists(max_size=5), duration=_DURATIONS)
def test_praatio_reads_the_same_intervals(
    tmp_path: Path, segments: list[Segment], duration: float
) -> None:
    text = to_textgrid(segments, duration, translation=[Segment(0, 0.25, 1.5, 'a "quote"')])
    path = tmp_path / "t.TextGrid"
    path.write_text(text, encoding="utf-8")
    grid = praatio_textgrid.openTextgrid(str(path), includeEmptyIntervals=True)
    ours = read_textgrid(text)
    assert list(grid.tierNames) == list(ours)
    assert grid.maxTimestamp == max(duration, 0.001)
    for name, intervals in ours.items():
        theirs = [(e.start, e.end, e.label) for e in grid.getTier(name).entries]
        assert theirs == intervals


def test_exact_textgrid() -> None:
    words = (Word(0.5, 0.9, " Он"), Word(0.9, 1.5, " сказал"), Word(1.5, 1.5, ' "да"'))
    segments = [Segment(0, 0.5, 1.5, ' Он сказал "да"', words, "S1")]
    english = [Segment(0, 0.6, 1.5, 'He said "yes".')]
    header = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        "xmax = 2",
        "tiers? <exists>",
        "size = 3",
        "item []:",
    ]

    def tier(number: int, name: str, intervals: list[tuple[str, str, str]]) -> list[str]:
        lines = [
            f"    item [{number}]:",
            '        class = "IntervalTier"',
            f'        name = "{name}"',
            "        xmin = 0",
            "        xmax = 2",
            f"        intervals: size = {len(intervals)}",
        ]
        for index, (start, end, text) in enumerate(intervals, 1):
            lines += [
                f"        intervals [{index}]:",
                f"            xmin = {start}",
                f"            xmax = {end}",
                f"            text = {text}",
            ]
        return lines

    expected = [
        *header,
        *tier(
            1, "S1", [("0", "0.5", '""'), ("0.5", "1.5", '"Он сказал ""да"""'), ("1.5", "2", '""')]
        ),
        # The zero-length word joins the one before it.
        *tier(
            2,
            "words",
            [
                ("0", "0.5", '""'),
                ("0.5", "0.9", '"Он"'),
                ("0.9", "1.5", '"сказал ""да"""'),
                ("1.5", "2", '""'),
            ],
        ),
        *tier(
            3,
            "translation",
            [("0", "0.6", '""'), ("0.6", "1.5", '"He said ""yes""."'), ("1.5", "2", '""')],
        ),
    ]
    assert to_textgrid(segments, 2.0, translation=english) == "\n".join(expected) + "\n"


def test_awkward_times_and_names() -> None:
    segments = [
        Segment(0, 9.0, 12.0, "past the end", speaker="words"),
        Segment(1, -3.0, 0.0, "before the start", speaker="words"),
        Segment(2, 0.0004, 0.0004, "instant", speaker="S1"),
    ]
    tiers = read_textgrid(to_textgrid(segments, 10.0))
    assert list(tiers) == ["S1", "words"]
    assert tiers["S1"] == [(0.0, 10.0, "instant")]  # no time of its own: the whole tier
    # "before the start" has no time left after clamping, so it joins the next text.
    assert tiers["words"] == [(0.0, 9.0, ""), (9.0, 10.0, "before the start past the end")]
    assert read_textgrid(to_textgrid([], 0)) == {"transcript": [(0.0, 0.001, "")]}
    named = read_textgrid(to_textgrid([Segment(0, 0, 1, "x", (Word(0, 1, "x"),), "words")], 1))
    assert list(named) == ["words", "words (2)"]
    with pytest.raises(ValueError):
        read_textgrid('File type = "ooTextFile short"\n"TextGrid"\n')
