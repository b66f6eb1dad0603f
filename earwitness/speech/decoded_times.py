"""Where decoded text lies on the recording's clock.

The recogniser decodes a compact timeline (``vad.SpeechMap``: speech laid end to end, long
silences left out) and, for a second look, a repair timeline (unheard stretches of the compact
one, laid end to end again). faster-whisper reports its segments and words on whichever it
decoded; these functions find the stretches it passed over, keep each word inside the stretch
it was said in, and map every time back through both maps to the recording's clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from earwitness.speech.types import Segment, Word
from earwitness.speech.vad import SpeechMap


def per_gap(item: Any, repair: SpeechMap) -> list[Any]:
    """``item`` cut where its words cross from one repaired stretch to the next: stretches
    from different places are laid end to end for decoding, and one segment of text must not
    span two of them. A word is held inside the stretch its middle lies in: its start can fall
    in the stretch before, which would put it seconds earlier on the recording's clock (and
    the segment out of order). Without word times the segment stays whole."""
    if not item.words:
        return [item]
    runs: list[list[Any]] = []
    last = None
    for word in item.words:
        stretch = repair.region_of(word.start, word.end)
        low, high = repair.compact_bounds(stretch)
        held = dataclasses.replace(
            word, start=min(max(word.start, low), high), end=min(max(word.end, low), high)
        )
        if runs and stretch == last:
            runs[-1].append(held)
        else:
            runs.append([held])
        last = stretch
    return [
        dataclasses.replace(
            item,
            start=run[0].start,
            end=run[-1].end,
            text="".join(word.word for word in run) if len(runs) > 1 else item.text,
            words=run,
        )
        for run in runs
    ]


def unheard_stretches(
    windows: Sequence[tuple[float, float]], items: Sequence[Any], min_gap: float
) -> list[tuple[float, float]]:
    """Stretches of at least ``min_gap`` s of the (compact-timeline) ``windows`` where no
    word, or without word times no segment, of ``items`` lies. Everything in a window is
    speech, or the short padding the VAD leaves around it (under a second between two
    regions), so a longer stretch without text is speech the recogniser passed over."""
    spans: list[tuple[float, float]] = []
    for item in items:
        if item.words:
            spans.extend((word.start, word.end) for word in item.words)
        else:
            spans.append((item.start, item.end))
    spans.sort()
    gaps = []
    for window_start, window_end in windows:
        heard = [(s, e) for s, e in spans if e > window_start and s < window_end]
        edge = window_start
        for start, end in [*heard, (window_end, window_end)]:
            if start - edge >= min_gap:
                gaps.append((edge, min(start, window_end)))
            edge = max(edge, end)
    return gaps


def rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def compact_start(entry: tuple[SpeechMap | None, Any]) -> float:
    repair, item = entry
    return item.start if repair is None else repair.to_original(item.start)


class Clock:
    """Times of a decoded timeline on the recording's clock: through the repair timeline's
    map to the compact timeline (when there is one), then through the speech map."""

    def __init__(self, repair: SpeechMap | None, speech: SpeechMap) -> None:
        self.repair, self.speech = repair, speech

    def __call__(self, t: float, *, is_end: bool = False) -> float:
        if self.repair is not None:
            t = self.repair.to_original(t, is_end=is_end)
        return self.speech.to_original(t, is_end=is_end)

    def span(self, start: float, end: float) -> tuple[float, float]:
        if self.repair is not None:
            start, end = self.repair.span_to_original(start, end)
        return self.speech.span_to_original(start, end)


def on_recording_clock(
    item: Any, repair: SpeechMap | None, speech: SpeechMap, number: int
) -> Segment:
    clock = Clock(repair, speech)
    words = tuple(_word(w, clock) for w in item.words or ())
    if words:  # word times are finer than segment times, and each is held in its region
        start, end = words[0].start, max(words[-1].end, words[0].start)
    else:
        start = clock(item.start)
        end = max(clock(item.end, is_end=True), start)
    return Segment(
        id=number,
        start=round(start, 3),
        end=round(end, 3),
        text=item.text.strip(),
        words=words,
        avg_logprob=rounded(item.avg_logprob),
        no_speech_prob=rounded(item.no_speech_prob),
    )


def _word(raw: Any, clock: Clock) -> Word:
    start, end = clock.span(raw.start, raw.end)
    return Word(round(start, 3), round(end, 3), raw.word, round(float(raw.probability), 4))
