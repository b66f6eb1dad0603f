"""Redaction: blank the words of a time range, mute its samples.

A redaction errs on the side of hiding: every word that overlaps a range goes (a run of them
becomes one ``[redacted]`` word, so not even their number shows), and a segment without word
times that overlaps a range loses its whole text, because nothing says which of its words were
spoken inside it. That includes the translation, which is aligned by segment and has no word
times of its own. The unredacted original stays untouched in the vault; these functions return
new values and never change their inputs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np

from earwitness.speech.types import Segment, Transcript, Word

REDACTED = "[redacted]"

Range = tuple[float, float]


def overlaps(start: float, end: float, ranges: Sequence[Range]) -> bool:
    """Whether [start, end] overlaps any range; a zero-length span counts if it lies inside one
    (ends included), so an instant inside a redaction is never taken as outside it."""
    for low, high in ranges:
        if start < high and end > low:
            return True
        if start == end and low <= start <= high:
            return True
    return False


def redact_segment(segment: Segment, ranges: Sequence[Range]) -> Segment:
    """``segment`` with every word overlapping a range replaced (a run by one ``[redacted]``),
    or itself when nothing overlaps. Its text is rebuilt from its words when it has any."""
    low = min([segment.start, *(w.start for w in segment.words)])
    high = max([segment.end, *(w.end for w in segment.words)])
    ranges = [(start, end) for start, end in ranges if overlaps(low, high, [(start, end)])]
    if not ranges:
        return segment
    if not segment.words:
        if not overlaps(segment.start, segment.end, ranges):
            return segment
        if segment.text.strip() in ("", REDACTED):
            return segment
        return replace(segment, text=_spaced(segment.text, REDACTED))
    if not any(overlaps(w.start, w.end, ranges) for w in segment.words):
        return segment
    words: list[Word] = []
    for word in segment.words:
        if not overlaps(word.start, word.end, ranges):
            words.append(word)
        elif words and words[-1].word.strip() == REDACTED:
            last = words[-1]
            words[-1] = Word(last.start, max(last.end, word.end), last.word, 1.0, last.speaker)
        else:
            words.append(Word(word.start, word.end, " " + REDACTED, 1.0, word.speaker))
    if tuple(words) == segment.words:
        return segment
    return replace(segment, words=tuple(words), text="".join(w.word for w in words))


def redact_transcript(
    transcript: Transcript, ranges: Iterable[Range], only_new_since: Transcript | None = None
) -> Transcript:
    """The transcript with the words of ``ranges`` blanked in the original and the translation.

    With ``only_new_since`` (an earlier transcript already redacted with the same ranges), the
    segments it holds (the same objects) are taken as they are and only the others redacted.
    """
    spans = [(float(start), float(end)) for start, end in ranges]
    if not spans:
        return transcript
    done: set[int] = set()
    if only_new_since is not None:
        done = {id(s) for s in (*only_new_since.segments, *(only_new_since.translation or ()))}

    def redacted(segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        return tuple(s if id(s) in done else redact_segment(s, spans) for s in segments)

    translation = transcript.translation
    return replace(
        transcript,
        segments=redacted(transcript.segments),
        translation=None if translation is None else redacted(translation),
    )


def mute(samples: np.ndarray, rate: int, ranges: Iterable[Range]) -> np.ndarray:
    """A copy of ``samples`` (time along the first axis) with exact zeros in ``ranges``.

    Sample k is the instant k / rate: it is zeroed when start <= k / rate < end (compared as
    floats, exactly as written), ranges are clipped to the signal, and every other sample is
    left bit for bit as it was.
    """
    if rate <= 0:
        raise ValueError(f"sample rate must be positive, not {rate}")
    muted = np.array(samples, copy=True)
    length = muted.shape[0] if muted.ndim else 0
    for start, end in ranges:
        if not (math.isfinite(start) and math.isfinite(end)) or end <= start:
            raise ValueError(f"not a time range: {start}..{end}")
        first = min(max(0, _first_at_or_after(start, rate)), length)
        stop = min(max(0, _first_at_or_after(end, rate)), length)
        if stop > first:
            muted[first:stop] = 0
    return muted


def _first_at_or_after(seconds: float, rate: int) -> int:
    """The first sample k with k / rate >= seconds. ``seconds * rate`` alone can be off by one
    (0.1 * 8000 is 800.0000000000001), so the guess is corrected by the comparison itself."""
    k = math.ceil(seconds * rate)
    while k > 0 and (k - 1) / rate >= seconds:
        k -= 1
    while k / rate < seconds:
        k += 1
    return k


def _spaced(old: str, new: str) -> str:
    """``new`` with the leading space Whisper gave ``old``, if it had one."""
    return (" " + new) if old.startswith(" ") else new
