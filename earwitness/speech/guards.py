"""Guards against text the recogniser invents.

Whisper is a language model as much as a recogniser: over silence, music or noise it can write
fluent sentences nobody spoke ("Thank you for watching"), and it can fall into a loop repeating
one phrase. In a transcript used as evidence an invented sentence is worse than a gap, so
segments that show the known signs are removed and counted, never silently kept:

* **no speech**: the model itself says the window probably holds no speech and its text is
  improbable (Whisper's own rule: no_speech_prob > 0.6 and avg_logprob < -1);
* **loop**: the text compresses far better than language does (gzip ratio > 2.4, Whisper's
  threshold), or one short phrase repeats back to back four times or more;
* **echo**: the same text as the segment before, again and again.

Silence itself never reaches the recogniser (see ``vad.SpeechMap``), which removes the commonest
cause.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from earwitness.speech.types import Segment

NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
COMPRESSION_RATIO = 2.4
MIN_REPEATS = 4  # back-to-back repetitions of a phrase that make a loop
MAX_ECHOES = 1  # identical consecutive segments kept (the second may be real: "No. No.")
_WORDS = re.compile(r"\w+", re.UNICODE)


@dataclass
class GuardReport:
    """What the guards removed, by reason, for the transcript's record."""

    removed: dict[str, int] = field(default_factory=dict)
    removed_seconds: float = 0.0

    def count(self, reason: str, segment: Segment) -> None:
        self.removed[reason] = self.removed.get(reason, 0) + 1
        self.removed_seconds += max(segment.end - segment.start, 0.0)


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    return len(data) / len(zlib.compress(data)) if data else 0.0


def repeats_phrase(text: str, min_repeats: int = MIN_REPEATS, max_phrase: int = 8) -> bool:
    """True when some phrase of 1..``max_phrase`` words occurs ``min_repeats`` times in a row."""
    words = [w.lower() for w in _WORDS.findall(text)]
    for size in range(1, max_phrase + 1):
        run = 1
        for i in range(size, len(words) - size + 1, size):
            if words[i : i + size] == words[i - size : i]:
                run += 1
                if run >= min_repeats:
                    return True
            else:
                run = 1
    return False


def rejection_reason(segment: Segment) -> str | None:
    """Why ``segment`` should not be in a transcript, or None."""
    text = segment.text.strip()
    if not text:
        return "empty"
    no_speech = segment.no_speech_prob or 0.0
    logprob = segment.avg_logprob if segment.avg_logprob is not None else 0.0
    if no_speech > NO_SPEECH_PROB and logprob < LOW_LOGPROB:
        return "no speech"
    if compression_ratio(text) > COMPRESSION_RATIO or repeats_phrase(text):
        return "loop"
    return None


def _normalised(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


def guard(segments: Iterable[Segment], report: GuardReport) -> Iterator[Segment]:
    """``segments`` without invented text; what was removed is counted in ``report``."""
    previous = None
    echoes = 0
    for segment in segments:
        reason = rejection_reason(segment)
        key = _normalised(segment.text)
        if reason is None and key and key == previous:
            echoes += 1
            if echoes > MAX_ECHOES:
                reason = "echo"
        elif reason is None:
            echoes = 0
        if reason is not None:
            report.count(reason, segment)
            continue
        previous = key
        yield segment
