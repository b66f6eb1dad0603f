"""SRT and WebVTT: exact output for small transcripts, and properties on random ones.

The strategies here (``segment_lists``, ``texts``) are shared with the other format tests.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.formats.subtitles import (
    Caption,
    Limits,
    layout_cues,
    read_srt,
    read_vtt,
    subtitle_text,
    to_srt,
    to_vtt,
)
from earwitness.formats.transcript_text import clean_time
from earwitness.speech.types import Segment, Word

# --- strategies -------------------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "Добрый",
        "день,",
        "коллеги.",
        "министерства",
        "бюджет",
        "Привет!",
        "ok",
        "-->",
        "a-->b",
        "<b>",
        "</b>",
        "&amp;",
        "R&D",
        '"quoted"',
        "S1:",
        "0",
        "слово-за-слово",
        "Ёлка",
        "数据",
    ]
)
_ANY_WORD = st.text(min_size=1, max_size=14)  # any code point but lone surrogates
_SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "\n\n", "  ", "\t", "\r\n", " \u2028 "])


@st.composite
def texts(draw: st.DrawFn, max_words: int = 30) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["", " ", "\n\n", "\t \n"]))
    words = draw(st.lists(st.one_of(_WORDS, _WORDS, _ANY_WORD), max_size=max_words))
    text = "".join(draw(_SEPARATORS) + word for word in words)
    return text + draw(st.sampled_from(["", " ", "\n"]))


_STARTS = st.one_of(
    st.floats(0, 120, allow_nan=False),
    st.integers(0, 30).map(float),
    st.floats(-5, 0),
    st.floats(1e5, 1e7),  # past 99 hours: the hour field grows
)
_LENGTHS = st.one_of(st.just(0.0), st.floats(0, 4), st.floats(0, 40), st.floats(-3, 0))


@st.composite
def _words_for(draw: st.DrawFn, text: str, start: float, end: float) -> tuple[Word, ...]:
    tokens = text.split()
    if draw(st.booleans()):  # well-formed: in order, inside the segment
        low, high = min(start, end), max(start, end)
        marks = sorted(draw(st.floats(low, high)) for _ in range(2 * len(tokens)))
        return tuple(
            Word(marks[2 * i], marks[2 * i + 1], " " + token) for i, token in enumerate(tokens)
        )
    garbage = st.floats(-10, 1e6, allow_nan=False)
    return tuple(Word(draw(garbage), draw(garbage), " " + token) for token in tokens)


@st.composite
def segment_lists(
    draw: st.DrawFn, max_size: int = 8, speakers: bool | None = None, words: bool | None = None
) -> list[Segment]:
    count = draw(st.integers(0, max_size))
    if speakers is None:
        speakers = draw(st.booleans())
    labels = st.sampled_from(["S1", "S2", "S10", None]) if speakers else st.none()
    segments = []
    for index in range(count):
        start = draw(_STARTS)
        end = start + draw(_LENGTHS)
        text = draw(texts())
        with_words = draw(st.booleans()) if words is None else words
        spoken = draw(_words_for(text, start, end)) if with_words else ()
        segments.append(Segment(index, start, end, text, spoken, draw(labels)))
    return segments


@st.composite
def translations(draw: st.DrawFn, segments: list[Segment]) -> list[Segment] | None:
    """None, one translated segment per original, or a different number matched by time."""
    kind = draw(st.sampled_from(["none", "aligned", "aligned", "by-time"]))
    if kind == "none":
        return None
    if kind == "aligned":
        return [Segment(s.id, s.start, s.end, draw(texts(12))) for s in segments]
    others = draw(st.lists(st.tuples(_STARTS, _LENGTHS, texts(12)), max_size=6))
    return [Segment(i, s, s + n, t) for i, (s, n, t) in enumerate(others)]


@st.composite
def limits(draw: st.DrawFn) -> dict[str, float]:
    max_duration = draw(st.sampled_from([7.0, 2.5, 1.0, 12.0]))
    return {
        "max_line": draw(st.sampled_from([42, 42, 32, 20, 12])),
        "max_lines": draw(st.sampled_from([2, 2, 1, 3])),
        "max_duration": max_duration,
        "min_duration": draw(st.sampled_from([0.7, 0.0, min(1.2, max_duration)])),
    }


# --- helpers ----------------------------------------------------------------------------

_SRT_BLOCK = re.compile(
    r"(\d+)\n(\d{2,}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d),(\d{3})\n"
    r"((?:[^\n]*\S[^\n]*\n)+)",
    re.ASCII,
)


def _sorted(segments: list[Segment]) -> list[int]:
    return sorted(range(len(segments)), key=lambda i: clean_time(segments[i].start))


def _words(text: str) -> list[str]:
    return subtitle_text(text).split()


def _unprefixed(caption: Caption) -> tuple[list[str], list[str]]:
    """The words of a caption's original and translated lines, speaker prefix removed."""
    original, translated = list(caption.original), list(caption.translation)
    shown = original or translated
    if caption.speaker:
        prefix = next(p for p in _prefixes(caption.speaker) if shown[0].startswith(p))
        shown[0] = shown[0][len(prefix) :]
    return " ".join(original).split(), " ".join(translated).split()


def _prefixes(speaker: str) -> list[str]:
    return [f"{speaker}: ", *(f"{speaker[:n]}…: " for n in range(len(speaker)))]


def _check_well_formed(captions: list[Caption], rules: dict[str, float], bilingual: bool) -> None:
    for caption in captions:
        assert 0 <= caption.start < caption.end
        assert caption.end - caption.start <= rules["max_duration"] + 5e-4
        assert caption.original or caption.translation
        assert len(caption.original) <= rules["max_lines"]
        assert len(caption.translation) <= (rules["max_lines"] if bilingual else 0)
        for line in caption.lines:
            assert 0 < len(line) <= rules["max_line"] and line == line.strip()
            assert "-->" not in line and "\n" not in line
    for before, after in itertools.pairwise(captions):
        assert before.end <= after.start
        if before.end - before.start < rules["min_duration"] - 5e-4:
            assert before.end == after.start  # only the next cue may cut a cue short
    if captions and rules["min_duration"]:
        last = captions[-1]
        assert last.end - last.start >= rules["min_duration"] - 5e-4


# --- properties -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(data=st.data(), rules=limits())
@pytest.mark.slow
def test_srt_cues_are_well_formed_and_keep_every_word(data: st.DataObject, rules: dict) -> None:
    segments = data.draw(segment_lists())
    translation = data.draw(translations(segments))
    srt = to_srt(segments, translation=translation, limits=Limits(**rules))
    captions = layout_cues(segments, translation=translation, limits=Limits(**rules))
    bilingual = translation is not None

    # The file itself: numbered blocks, strict timing lines, no blank lines inside a cue.
    assert srt == "".join(m.group(0) + "\n" for m in _SRT_BLOCK.finditer(srt)).removesuffix("\n")
    numbers = [int(m.group(1)) for m in _SRT_BLOCK.finditer(srt)]
    assert numbers == list(range(1, len(captions) + 1))
    cues = read_srt(srt)
    assert [(c.start, c.end, c.lines) for c in cues] == [
        (c.start, c.end, c.lines) for c in captions
    ]
    _check_well_formed(captions, rules, bilingual)
    if segments and captions:
        # In whole milliseconds as the writer counts them (round(t·1000): 2.5 ms is 2 ms,
        # where round(0.0025, 3) gives 0.003).
        earliest_ms = round(min(clean_time(s.start) for s in segments) * 1000)
        assert captions[0].start >= earliest_ms / 1000

    # Every word, in order of the segments' start times, and nothing else.
    shown = [_unprefixed(c) for c in captions]
    original = [w for words, _ in shown for w in words]
    expected = [w for i in _sorted(segments) for w in _words(segments[i].text)]
    assert "".join(original) == "".join(expected)
    width = rules["max_line"] - len("S10: ")
    if all(len(w) <= width for w in expected):  # no word had to be broken
        assert original == expected
    english = [w for _, words in shown for w in words]
    if translation is not None and len(translation) == len(segments):
        wanted = [w for i in _sorted(segments) for w in _words(translation[i].text)]
        assert "".join(english) == "".join(wanted)
    elif translation is not None and segments:
        wanted_chars = Counter("".join(w for t in translation for w in _words(t.text)))
        assert Counter("".join(english)) == wanted_chars
    else:
        assert english == []


@settings(max_examples=100, deadline=None)
@given(data=st.data(), rules=limits())
def test_vtt_reads_back_as_laid_out(data: st.DataObject, rules: dict) -> None:
    segments = data.draw(segment_lists())
    translation = data.draw(translations(segments))
    vtt = to_vtt(segments, translation=translation, limits=Limits(**rules))
    captions = layout_cues(
        segments, translation=translation, limits=Limits(**rules), speaker_prefix=False
    )
    assert vtt.startswith("WEBVTT\n")
    timing = re.compile(r"\d{2,}:[0-5]\d:[0-5]\d\.\d{3} --> \d{2,}:[0-5]\d:[0-5]\d\.\d{3}")
    assert sum(bool(timing.fullmatch(line)) for line in vtt.splitlines()) == len(captions)
    for block in vtt.split("\n\n")[1:]:
        payload = block.split("\n")[2:]
        assert all(line.strip() for line in payload if line)
        assert "-->" not in "\n".join(payload)
        # Only our markup may use "<": text is escaped.
        assert not re.search(r"<(?!v [^<>]+>)|&(?!amp;|lt;|gt;)", "\n".join(payload))
    cues = read_vtt(vtt)
    assert [(c.start, c.end, c.lines, c.speaker) for c in cues] == [
        (c.start, c.end, c.lines, c.speaker) for c in captions
    ]
    _check_well_formed(captions, rules, translation is not None)
    words = [w for c in captions for w in " ".join(c.original).split()]
    assert "".join(words) == "".join(w for i in _sorted(segments) for w in _words(segments[i].text))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_tidy_segments_keep_their_times(data: st.DataObject) -> None:
    """Short, ordered, well separated segments become one cue each, at their own times."""
    gaps = data.draw(st.lists(st.integers(1, 5000), min_size=1, max_size=8))
    lengths = data.draw(st.lists(st.integers(700, 7000), min_size=len(gaps), max_size=len(gaps)))
    segments, at = [], 0
    for index, (gap, length) in enumerate(zip(gaps, lengths, strict=True)):
        text = data.draw(st.sampled_from(["Да.", "Нет, не так.", "Hello there", "ok"]))
        segments.append(Segment(index, (at + gap) / 1000, (at + gap + length) / 1000, text))
        at += gap + length
    cues = read_srt(to_srt(segments))
    assert [(c.start, c.end) for c in cues] == [(s.start, s.end) for s in segments]
    assert [c.lines for c in cues] == [(s.text,) for s in segments]


# --- examples ---------------------------------------------------------------------------

RU = [
    Segment(0, 0.5, 2.25, " Добрый день, коллеги.", speaker="S1"),
    Segment(1, 2.5, 3.0, " Начнём.", speaker="S2"),
]
EN = [
    Segment(0, 0.5, 2.25, " Good afternoon, colleagues."),
    Segment(1, 2.5, 3.0, " Let's begin."),
]


def test_bilingual_srt_shows_russian_over_english() -> None:
    assert to_srt(RU, translation=EN) == (
        "1\n00:00:00,500 --> 00:00:02,250\nS1: Добрый день, коллеги.\nGood afternoon, colleagues.\n"
        "\n"
        "2\n00:00:02,500 --> 00:00:03,200\nS2: Начнём.\nLet's begin.\n"
    )


def test_vtt_uses_voice_tags_and_escapes_markup() -> None:
    segments = [RU[0], Segment(1, 4.0, 5.0, "Tom & Jerry <b>live</b> a-->b\n\nend")]
    assert to_vtt(segments) == (
        "WEBVTT\n\n"
        "1\n00:00:00.500 --> 00:00:02.250\n<v S1>Добрый день, коллеги.\n\n"
        "2\n00:00:04.000 --> 00:00:05.000\nTom &amp; Jerry &lt;b&gt;live&lt;/b&gt; a→b end\n"
    )
    assert read_vtt(to_vtt(segments))[1].lines == ("Tom & Jerry <b>live</b> a→b end",)


def test_long_segment_is_cut_between_words_and_timed_by_them() -> None:
    spoken = "Сегодня мы обсудим бюджет министерства на следующий год и все поправки регионов"
    words = tuple(Word(10 + i, 10.8 + i, " " + w) for i, w in enumerate(spoken.split()))
    segment = Segment(0, 10.0, 24.0, spoken, words, speaker="S2")
    # 14 s: two cues, cut where the characters halve, each timed by its own first and last word.
    assert to_srt([segment]) == (
        "1\n00:00:10,000 --> 00:00:14,800\nS2: Сегодня мы обсудим бюджет министерства\n"
        "\n"
        "2\n00:00:15,000 --> 00:00:21,800\nS2: на следующий год и\nвсе поправки регионов\n"
    )


def test_overlapping_and_empty_segments() -> None:
    segments = [
        Segment(0, 5.0, 9.0, "second"),
        Segment(1, 1.0, 6.0, "first"),
        Segment(2, 2.0, 2.0, "   \n "),
        Segment(3, 5.0, 5.0, "instant"),
    ]
    cues = read_srt(to_srt(segments))
    # "first" ends where "second" begins; the zero-length "instant" follows "second".
    assert [(c.start, c.end, c.lines) for c in cues] == [
        (1.0, 5.0, ("first",)),
        (5.0, 9.0, ("second",)),
        (9.0, 9.7, ("instant",)),
    ]


def test_translation_matched_by_time_when_counts_differ() -> None:
    english = [Segment(0, 2.4, 3.1, "Let's"), Segment(1, 2.6, 2.9, "begin."), EN[0]]
    captions = layout_cues(RU, translation=english)
    assert [c.translation for c in captions] == [
        ("Good afternoon, colleagues.",),
        ("Let's begin.",),
    ]


def test_readers_take_other_tools_files() -> None:
    srt = (
        "\ufeff1\r\n00:00:01,000 --> 00:00:02,000\r\n<i>Hi</i>\r\n\r\n\r\n"
        "2\r\n00:01:00,000 --> 00:01:01,500\r\nBye\r\n"
    )
    assert read_srt(srt) == [
        read_srt("1\n00:00:01,000 --> 00:00:02,000\n<i>Hi</i>\n")[0],
        read_srt("7\n00:01:00,000 --> 00:01:01,500\nBye\n")[0],
    ]
    vtt = (
        "WEBVTT - made elsewhere\n\nNOTE a comment\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start\n<v.loud Ann Lee>Hi &amp; <i>bye</i>\n"
    )
    assert read_vtt(vtt)[0].lines == ("Hi & bye",)
    assert read_vtt(vtt)[0].speaker == "Ann Lee"
    assert read_vtt(vtt)[0].start == 1.0 and read_vtt(vtt)[0].end == 2.5
    with pytest.raises(ValueError):
        read_srt("1\n00:00:01.000 --> 00:00:02.000\nwrong separator\n")
    with pytest.raises(ValueError):
        read_vtt("1\n00:00:01.000 --> 00:00:02.000\nno header\n")


def test_empty_input_and_bad_limits() -> None:
    assert to_srt([]) == "" and to_vtt([]) == "WEBVTT\n"
    assert to_srt([Segment(0, 0, 1, "  \n")]) == ""
    with pytest.raises(ValueError):
        to_srt(RU, limits=Limits(max_line=3))
    with pytest.raises(ValueError):
        to_srt(RU, limits=Limits(min_duration=8.0))
