"""Decoded text placed on the recording's clock: stretches passed over, words kept in place."""

from __future__ import annotations

from itertools import pairwise
from types import SimpleNamespace

import numpy as np
from faster_whisper.transcribe import Segment as RawSegment
from faster_whisper.transcribe import Word as RawWord
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.speech.decoded_times import per_gap, unheard_stretches
from earwitness.speech.vad import SpeechMap


def test_speech_the_recogniser_passed_over_is_found_for_a_second_look() -> None:
    def item(*words: tuple[float, float]) -> SimpleNamespace:
        said = [SimpleNamespace(start=s, end=e) for s, e in words]
        return SimpleNamespace(start=words[0][0], end=words[-1][1], words=said)

    windows = [(0.0, 26.0), (26.0, 40.0)]
    heard = [item((0.2, 0.6), (0.7, 5.0)), item((5.5, 20.0)), item((26.1, 39.9))]
    # 20-26 s of the first window got no word: decoded again; gaps under 1.5 s are not.
    assert unheard_stretches(windows, heard, 1.5) == [(20.0, 26.0)]


def test_a_word_of_a_second_look_stays_in_the_stretch_it_was_said_in() -> None:
    # Two unheard stretches, 10-12 s and 50-51.5 s of the compact timeline, decoded end to end
    # (2 s + 1.5 s). Whisper starts the first word of the second stretch 0.2 s early.
    def raw_segment(start: float, end: float, text: str, words: list[RawWord]) -> RawSegment:
        return RawSegment(0, 0, start, end, text, [], -0.3, 1.0, 0.1, words, 0.0)

    repair = SpeechMap.build([(10.0, 12.0), (50.0, 51.5)])
    words = [RawWord(0.1, 1.0, " not", 0.9), RawWord(1.8, 2.9, " named.", 0.9)]
    raw = raw_segment(0.1, 2.9, " not named.", words)
    parts = per_gap(raw, repair)
    assert [p.text for p in parts] == [" not", " named."]
    second = parts[1]
    assert second.start == 2.0 and second.words[0].start == 2.0  # held inside its stretch
    assert repair.to_original(second.start) == 50.0  # not 11.8 s, in the stretch before

    single = per_gap(raw_segment(1.8, 2.9, " named.", [RawWord(1.8, 2.9, " named.", 0.9)]), repair)
    assert len(single) == 1 and single[0].start == 2.0 and single[0].text == " named."


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.0, 5.0), min_size=1, max_size=6),
    st.lists(st.tuples(st.floats(0.0, 60.0), st.floats(0.0, 3.0)), max_size=12),
    st.floats(0.5, 3.0),
)
def test_unheard_stretches_lie_in_windows_long_and_wordless(
    lengths: list[float], said: list[tuple[float, float]], min_gap: float
) -> None:
    edges = np.cumsum([0.0, *lengths])
    windows = [(float(a), float(b)) for a, b in pairwise(edges) if b > a]
    words = [SimpleNamespace(start=s, end=s + d) for s, d in sorted(said)]
    items = [SimpleNamespace(start=w.start, end=w.end, words=[w]) for w in words]
    found = unheard_stretches(windows, items, min_gap)
    if not items:  # nothing heard: every window long enough is passed over whole
        assert found == [(a, b) for a, b in windows if b - a >= min_gap]
    for start, end in found:
        assert end - start >= min_gap - 1e-9
        assert any(a <= start and end <= b for a, b in windows)
        assert not any(w.start < end and w.end > start for w in words)
