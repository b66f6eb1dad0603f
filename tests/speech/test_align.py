"""Which translated text goes with which original segment (``speech.align``)."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.speech.align import align_translation, at_clause_ends
from earwitness.speech.types import Segment, Word


def spoken(index: int, start: float, text: str, seconds_per_word: float = 0.4) -> Segment:
    """An original segment whose words follow each other from ``start``."""
    words = tuple(
        Word(start + i * seconds_per_word, start + (i + 1) * seconds_per_word, f" {w}")
        for i, w in enumerate(text.split())
    )
    return Segment(index, start, words[-1].end, text, words)


# The bundled Russian sample as whisper-base read it, and its English from Whisper's
# translate task: one line over the last two segments. The middle one showed no English.
SAMPLE = [
    spoken(0, 0.7, "Слушайте внимательно, завтрашнего дня работаем в две смены.", 0.55),
    spoken(1, 6.8, "Приказа приходит о замене министерства.", 0.45),
    spoken(2, 9.5, "Никто за пределами этой комнаты не узнает.", 0.45),
]
ENGLISH = [
    Segment(0, 0.7, 5.5, "Listen carefully, tomorrow we will work in two shifts."),
    Segment(
        1, 6.8, 12.9, "The order is to come from the Ministry, no one outside this room will know."
    ),
]


def test_a_line_spoken_over_two_segments_is_shared_at_a_clause_end() -> None:
    aligned = align_translation(SAMPLE, ENGLISH)
    assert [s.text for s in aligned] == [
        "Listen carefully, tomorrow we will work in two shifts.",
        "The order is to come from the Ministry,",
        "no one outside this room will know.",
    ]
    assert [(s.id, s.start, s.end) for s in aligned] == [(s.id, s.start, s.end) for s in SAMPLE]


def test_a_line_that_only_grazes_a_neighbour_stays_whole() -> None:
    # Whisper's line ends 0.5 s into the next segment: one word of it, not its speech.
    grazing = [Segment(0, 0.7, 7.1, ENGLISH[0].text), Segment(1, 7.1, 12.9, ENGLISH[1].text)]
    aligned = align_translation(SAMPLE, grazing)
    assert aligned[0].text == ENGLISH[0].text
    assert aligned[1].text == "The order is to come from the Ministry,"


def test_clause_ends_move_a_cut_but_never_empty_a_share() -> None:
    assert at_clause_ends(["one two three", "four, five six"]) == [
        "one two three four,",
        "five six",
    ]
    assert at_clause_ends(["one,", "two three"]) == ["one,", "two three"]  # already there
    assert at_clause_ends(["one", "two, three"]) == ["one two,", "three"]
    assert at_clause_ends(["one", "two,"]) == ["one", "two,"]  # it would empty the second
    assert at_clause_ends(["a b c d e f", "g h"]) == ["a b c d e f", "g h"]  # no punctuation


_TEXT = st.lists(st.sampled_from(["да", "нет,", "он.", "мы", "там?"]), min_size=1, max_size=8)


@st.composite
def originals_and_lines(draw: st.DrawFn) -> tuple[list[Segment], list[Segment]]:
    originals, at = [], 0.0
    for index in range(draw(st.integers(1, 6))):
        at += draw(st.floats(0.0, 2.0))
        segment = spoken(index, at, " ".join(draw(_TEXT)), draw(st.floats(0.05, 0.6)))
        originals.append(segment)
        at = segment.end
    lines = []
    for index in range(draw(st.integers(0, 6))):
        start = draw(st.floats(0.0, at + 2.0))
        end = start + draw(st.floats(0.0, 6.0))
        words = draw(st.lists(st.sampled_from(["yes", "no,", "he.", "we", "there?"]), max_size=9))
        lines.append(Segment(index, start, end, " ".join(words)))
    return originals, lines


@settings(max_examples=300, deadline=None)
@given(originals_and_lines())
def test_every_word_lands_once_and_an_aligned_translation_stays(
    made: tuple[list[Segment], list[Segment]],
) -> None:
    originals, lines = made
    aligned = align_translation(originals, lines)
    assert [(s.id, s.start, s.end) for s in aligned] == [(s.id, s.start, s.end) for s in originals]
    assert Counter(w for s in aligned for w in s.text.split()) == Counter(
        w for line in lines for w in line.text.split()
    )
    assert align_translation(originals, aligned) == aligned  # the review aligns it again
