"""Which translated text goes with which original segment.

Whisper's translate task cuts the recording into its own segments, which need not match the
original's. A bilingual transcript needs one translated line per original segment, with the
same id, times and speaker, so each translated segment is given to the original it overlaps
most. This is the one rule for that pairing: the speech stage applies it when it translates,
and the transcript formats apply it to a translation that arrives unaligned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from earwitness.speech.types import Segment


def align_translation(
    originals: Sequence[Segment], translated: Sequence[Segment]
) -> tuple[Segment, ...]:
    """One translated segment per original, with its id, times and speaker.

    Each translated segment joins the original it overlaps most (the one whose middle is
    nearest, if it overlaps none); several joining one original are joined in time order. An
    original that received nothing gets empty text rather than a neighbour's words. Damaged
    times are read as a recogniser would have written them (see ``_span``): no text is lost.
    """
    # NumPy only when aligning: the transcript formats import this module, and the command
    # line, which lists those formats, starts without NumPy.
    import numpy as np

    texts: list[list[str]] = [[] for _ in originals]
    if originals:
        spans = [_span(s) for s in originals]
        starts = np.array([start for start, _ in spans])
        ends = np.array([end for _, end in spans])
        middles = (starts + ends) / 2
        for item in sorted(translated, key=lambda t: _span(t)[0]):
            start, end = _span(item)
            overlap = np.minimum(ends, end) - np.maximum(starts, start)
            if overlap.max() > 0:
                index = int(overlap.argmax())
            else:
                index = int(np.argmin(np.abs(middles - (start + end) / 2)))
            texts[index].append(item.text.strip())
    return tuple(
        Segment(
            id=original.id,
            start=original.start,
            end=original.end,
            text=" ".join(t for t in parts if t),
            speaker=original.speaker,
        )
        for original, parts in zip(originals, texts, strict=True)
    )


def _span(segment: Segment) -> tuple[float, float]:
    """``segment``'s (start, end) with times that are not finite or negative read as 0 and
    the end never before the start: always so for a recogniser's segments, not for a file's."""
    start = _time(segment.start)
    return start, max(_time(segment.end), start)


def _time(seconds: float) -> float:
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0
