"""Which words need checking, and the per-recording figure of how many."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.speech.confidence import (
    FIRST_UNSURE_KEPT,
    UNSURE_BELOW,
    Checking,
    is_unsure,
    needs_checking,
)
from earwitness.speech.types import Segment, Word


def _segment(index: int, *probabilities: float, text: str | None = None) -> Segment:
    words = tuple(
        Word(index + k * 0.5, index + k * 0.5 + 0.4, f" w{index}_{k}", p)
        for k, p in enumerate(probabilities)
    )
    return Segment(
        index, index, index + 1, "".join(w.word for w in words) if text is None else text, words
    )


def test_threshold_is_the_one_the_dossier_always_used() -> None:
    assert UNSURE_BELOW == 0.5
    assert is_unsure(Word(0, 1, " a", 0.499))
    assert not is_unsure(Word(0, 1, " a", 0.5))
    assert not is_unsure(Word(0, 1, " a", 1.0))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_probability_that_is_no_number_needs_checking(value: float) -> None:
    assert is_unsure(Word(0, 1, " a", value))


def test_no_probability_recorded_is_not_marked() -> None:
    assert not is_unsure(Word(0, 1, " a", None))  # type: ignore[arg-type]


def test_the_figure_counts_words_time_and_segments() -> None:
    segments = [
        _segment(0, 0.9, 0.2, 0.1),  # two unsure, 0.4 s each
        _segment(1, 0.95, 0.99),
        _segment(2, 0.3),
        Segment(3, 3.0, 4.0, "no words"),
    ]
    checking = needs_checking(segments)
    assert checking.words == 6
    assert checking.unsure_words == 3
    assert checking.unsure_share == pytest.approx(0.5)
    assert checking.unsure_seconds == pytest.approx(1.2)
    assert checking.segments == 4
    assert checking.segments_with_unsure == 2
    assert checking.first_unsure == pytest.approx((0.5, 1.0, 2.0))
    assert checking.summary() == "3 of 6 words (50.0 %) below probability 0.5, in 2 segments"


def test_summary_reads_well_at_the_edges() -> None:
    big = needs_checking([_segment(i, *([0.9] * 99 + [0.1])) for i in range(13)])
    assert big.summary() == "13 of 1,300 words (1.0 %) below probability 0.5, in 13 segments"
    few = needs_checking([_segment(0, 0.1, *([0.9] * 1999))])
    assert "(< 0.1 %)" in few.summary() and "in 1 segment" in few.summary()
    almost = needs_checking([_segment(0, 0.9, *([0.1] * 1999))])
    assert "(> 99.9 %)" in almost.summary()
    assert needs_checking([_segment(0, 0.9, 0.8)]).summary() == (
        "none of 2 words below probability 0.5"
    )
    assert "no word probabilities" in needs_checking([Segment(0, 0, 1, "text")]).summary()
    assert needs_checking([]).unsure_share == 0.0


def test_words_without_text_are_not_counted() -> None:
    segment = Segment(0, 0, 1, " a", (Word(0, 0.5, " a", 0.9), Word(0.5, 1, " ", 0.01)))
    checking = needs_checking([segment])
    assert (checking.words, checking.unsure_words) == (1, 0)


def test_only_the_first_unsure_times_are_kept() -> None:
    checking = needs_checking([_segment(i, 0.1) for i in range(25)])
    assert checking.unsure_words == 25
    assert checking.first_unsure == tuple(float(i) for i in range(FIRST_UNSURE_KEPT))


def test_broken_times_do_not_break_the_figure() -> None:
    words = (Word(math.nan, 1.0, " a", 0.1), Word(2.0, 1.0, " b", 0.1))
    checking = needs_checking([Segment(0, 0, 2, " a b", words)])
    assert checking.unsure_seconds == pytest.approx(1.0)  # NaN start taken as 0; backwards: 0
    assert math.isfinite(sum(checking.first_unsure))


probabilities = st.one_of(st.floats(0, 1), st.just(math.nan))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(probabilities, max_size=6), max_size=6))
def test_the_record_round_trips_and_agrees_with_is_unsure(rows: list[list[float]]) -> None:
    segments = [_segment(i, *row) for i, row in enumerate(rows)]
    checking = needs_checking(segments)
    unsure = [w for s in segments for w in s.words if is_unsure(w)]
    assert checking.unsure_words == len(unsure)
    assert checking.words == sum(len(row) for row in rows)
    assert 0.0 <= checking.unsure_share <= 1.0
    assert checking.segments_with_unsure == sum(
        any(is_unsure(w) for w in s.words) for s in segments
    )
    record = checking.to_dict()
    assert record["threshold"] == UNSURE_BELOW and record["unsure_words"] == len(unsure)
    back = Checking.from_dict(record)
    assert (back.words, back.unsure_words, back.segments_with_unsure) == (
        checking.words,
        checking.unsure_words,
        checking.segments_with_unsure,
    )
    assert back.summary() == checking.summary()
