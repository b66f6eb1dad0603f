"""Which recognised words a reviewer should check, and how much of a recording that is.

Whisper gives each word a probability: the product of its tokens' probabilities under the
model, as decoded. It is not a calibrated chance of the word being right, and a confidently
wrong word will not be marked; but low values are where a reviewer's time is best spent first.
A single, documented cut-off is what lets every output mark the same
words and lets a reviewer compare recordings by one figure, so there is exactly one here.

``UNSURE_BELOW`` is 0.5, the value the dossier has used since it first marked words: below it
the model gave the word less weight than all its alternatives together. It is a convention,
not a measured error rate; the figure is reported with the threshold so nobody reads it as one.

Pure Python, no NumPy: the transcript writers and the command line import it at start-up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from earwitness.speech.types import Segment, Word

UNSURE_BELOW = 0.5
# How many of the first unsure words' times the figure keeps: enough to start a review from,
# few enough that the transcript's ``processing`` record stays small on a long recording.
FIRST_UNSURE_KEPT = 10


def is_unsure(word: Word) -> bool:
    """Whether ``word`` needs checking: its probability is below ``UNSURE_BELOW``, or is not a
    number at all (a broken or hand-edited transcript; nothing vouches for such a word).

    A word with no probability recorded (None, from a tool that gives none) is not marked:
    there is no measure to act on, and marking every word would hide the real doubts."""
    probability: Any = word.probability
    if probability is None:
        return False
    try:
        value = float(probability)
    except (TypeError, ValueError):
        return True
    return not math.isfinite(value) or value < UNSURE_BELOW


@dataclass(frozen=True)
class Checking:
    """How much of a recording's transcript the machine was unsure of."""

    words: int  # words with text
    unsure_words: int
    unsure_seconds: float  # summed length of the unsure words (overlaps not merged)
    segments: int
    segments_with_unsure: int
    first_unsure: tuple[float, ...]  # start times (s) of the first unsure words, in order
    threshold: float = UNSURE_BELOW

    @property
    def unsure_share(self) -> float:
        """Unsure words as a share of all words (0 when there are none)."""
        return self.unsure_words / self.words if self.words else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The record kept in the transcript's ``processing["confidence"]``."""
        return {
            "threshold": self.threshold,
            "words": self.words,
            "unsure_words": self.unsure_words,
            "unsure_share": round(self.unsure_share, 6),
            "unsure_seconds": round(self.unsure_seconds, 3),
            "segments": self.segments,
            "segments_with_unsure": self.segments_with_unsure,
            "first_unsure": [round(t, 3) for t in self.first_unsure],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checking:
        return cls(
            words=int(data["words"]),
            unsure_words=int(data["unsure_words"]),
            unsure_seconds=float(data["unsure_seconds"]),
            segments=int(data["segments"]),
            segments_with_unsure=int(data["segments_with_unsure"]),
            first_unsure=tuple(float(t) for t in data.get("first_unsure", ())),
            threshold=float(data.get("threshold", UNSURE_BELOW)),
        )

    def summary(self) -> str:
        """One line, e.g. "37 of 1,204 words (3.1 %) below probability 0.5, in 21 segments"."""
        if not self.words:
            return "no word probabilities to check (no word-level timing)"
        threshold = f"{self.threshold:g}"
        if not self.unsure_words:
            return f"none of {self.words:,} words below probability {threshold}"
        segments = "segment" if self.segments_with_unsure == 1 else "segments"
        words = "word" if self.words == 1 else "words"
        return (
            f"{self.unsure_words:,} of {self.words:,} {words} ({_percent(self.unsure_share)}) "
            f"below probability {threshold}, in {self.segments_with_unsure:,} {segments}"
        )


def needs_checking(segments: Iterable[Segment]) -> Checking:
    """The per-recording figure: how many words (and how much time) the machine was unsure of.

    Words without text (Whisper sometimes emits an empty or whitespace token) are not counted:
    there is nothing in them for a reviewer to check."""
    words = unsure = segment_count = with_unsure = 0
    seconds = 0.0
    first: list[float] = []
    for segment in segments:
        segment_count += 1
        found = False
        for word in segment.words:
            if not word.word.strip():
                continue
            words += 1
            if not is_unsure(word):
                continue
            unsure += 1
            found = True
            start, end = _finite(word.start), _finite(word.end)
            seconds += max(end - start, 0.0)
            if len(first) < FIRST_UNSURE_KEPT:
                first.append(start)
        with_unsure += found
    return Checking(words, unsure, seconds, segment_count, with_unsure, tuple(first))


def _finite(value: float) -> float:
    return value if math.isfinite(value) else 0.0


def _percent(share: float) -> str:
    # Never "0.0 %" for a few unsure words among many, nor "100.0 %" when some were sure.
    percent = share * 100
    if 0 < percent < 0.1:
        return "< 0.1 %"
    if 99.9 < percent < 100:
        return "> 99.9 %"
    return f"{percent:.1f} %"
