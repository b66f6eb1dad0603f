"""Which translated text goes with which original segment.

Whisper's translate task cuts the recording into its own segments, which need not match the
original's. A bilingual transcript needs one translated line per original segment, with the
same id, times and speaker. A translated line is shared, at word boundaries, among the
originals whose words were mostly spoken within its time, in proportion to the characters
each spoke there (as ``speech.translator`` shares an English sentence among the segments it
came from); a line that covers one original, or only the edges of others, goes whole to the
one it overlaps most. Before, a line spoken over two segments went whole to the one it
overlapped more, and the other showed no English at all. This is the one rule for that
pairing: the speech stage applies it when it translates, and the transcript formats and the
review apply it to a translation that arrives unaligned; a line already aligned (the same
times as an original) stays with that original.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

from earwitness.speech.types import Segment

# An original takes a share of a translated line when at least this much of what it says
# (its words' characters, by each word's middle) lies within the line's time; less is a
# word or two at the edge, where Whisper's cuts and the transcription's seldom agree.
MOSTLY_INSIDE = 0.5


def align_translation(
    originals: Sequence[Segment], translated: Sequence[Segment]
) -> tuple[Segment, ...]:
    """One translated segment per original, with its id, times and speaker.

    Each translated segment is shared among the originals whose words were mostly spoken in
    its time (``MOSTLY_INSIDE``), in proportion to the characters each spoke there, or else
    joins the original it overlaps most (the one whose middle is nearest, if it overlaps
    none); the parts joining one original are joined in time order, and every word is kept,
    in order. An original that received nothing gets empty text rather than a neighbour's
    words. Damaged times are read as a recogniser would have written them (see ``_span``).
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
            if overlap.max() <= 0:
                texts[int(np.argmin(np.abs(middles - (start + end) / 2)))].append(item.text.strip())
                continue
            shares = _shares(originals, spans, overlap.tolist(), (start, end), item.text)
            for index, share in shares:
                texts[index].append(share)
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


def _shares(
    originals: Sequence[Segment],
    spans: Sequence[tuple[float, float]],
    overlaps: list[float],
    span: tuple[float, float],
    text: str,
) -> list[tuple[int, str]]:
    """(original index, its part of ``text``) for a translated line spoken over ``span``."""
    most = max(range(len(overlaps)), key=overlaps.__getitem__)  # the first of equals
    if spans[most] == span:  # already aligned: it is that original's line
        return [(most, text.strip())]
    chosen: list[int] = []
    weights: list[int] = []
    for index, overlap in enumerate(overlaps):
        if overlap <= 0:
            continue
        inside, spoken = _spoken_within(originals[index], span)
        if spoken and inside >= MOSTLY_INSIDE * spoken:
            chosen.append(index)
            weights.append(inside)
    if len(chosen) < 2:
        return [(most, text.strip())]
    shares = at_clause_ends(distribute(text, weights))
    return [(index, share) for index, share in zip(chosen, shares, strict=True) if share]


def _spoken_within(original: Segment, span: tuple[float, float]) -> tuple[int, int]:
    """(characters ``original`` spoke within ``span``, characters it spoke): by its words'
    middles, or, with no word times, by the share of its time that lies within ``span``."""
    start, end = span
    words = [w for w in original.words if w.word.strip()]
    if words:
        inside = sum(
            len(w.word.strip()) for w in words if start <= (_time(w.start) + _time(w.end)) / 2 < end
        )
        return inside, sum(len(w.word.strip()) for w in words)
    spoken = len(original.text.strip())
    own_start, own_end = _span(original)
    if own_end <= own_start:
        return 0, spoken
    within = max(0.0, min(own_end, end) - max(own_start, start)) / (own_end - own_start)
    return round(spoken * within), spoken


def distribute(english: str, weights: Sequence[int]) -> list[str]:
    """``english`` cut at word boundaries into ``len(weights)`` shares, in proportion to
    ``weights`` (the source characters each segment gave the sentence).

    Each word goes to the share its middle falls in, so every word appears exactly once, in
    order; a share may be empty when its segment gave the sentence little.
    """
    if not weights:
        raise ValueError("a sentence comes from at least one segment")
    shares: list[list[str]] = [[] for _ in weights]
    words = english.split()
    if not words:
        return ["" for _ in weights]
    positive = [max(0, w) for w in weights]
    if sum(positive) == 0:
        positive = [1] * len(weights)
    cumulative: list[int] = []
    total_weight = 0
    for weight in positive:
        total_weight += weight
        cumulative.append(total_weight)
    length = sum(len(word) for word in words) + len(words) - 1
    position = 0
    for word in words:
        middle = (position + len(word) / 2) / length * total_weight
        slot = min(bisect.bisect_right(cumulative, middle), len(weights) - 1)
        # bisect_right skips zero-weight slots, except past the end: never give them words.
        while positive[slot] == 0 and slot > 0:
            slot -= 1
        shares[slot].append(word)
        position += len(word) + 1
    return [" ".join(share) for share in shares]


# A cut between two shares moves to the end of a clause at most this many words away.
CLAUSE_REACH = 3
_CLAUSE_END = (",", ";", ":", ".", "!", "?", "…", "—")


def at_clause_ends(shares: Sequence[str]) -> list[str]:
    """``shares`` (consecutive parts of one line, as ``distribute`` cuts it) with each cut
    between two non-empty shares moved to the nearest clause end (a word ending in a comma,
    a full stop…) within ``CLAUSE_REACH`` words, never emptying a share: "The order is to
    come from the | Ministry, no one…" becomes "… from the Ministry, | no one…". A proportion
    of characters places the cut only roughly; where the line is punctuated, its clauses say
    better where one segment's words end. Every word stays, in order."""
    words = [share.split() for share in shares]
    flat = [w for part in words for w in part]
    # cuts[k]: index in ``flat`` of the first word of share k (shares in order).
    cuts, position = [], 0
    for part in words:
        cuts.append(position)
        position += len(part)
    owners = [k for k, part in enumerate(words) if part]
    for before, after in itertools.pairwise(owners):
        cut = cuts[after]
        low = max(cuts[before] + 1, cut - CLAUSE_REACH)  # the share before keeps a word
        high = min(cuts[after] + len(words[after]) - 1, cut + CLAUSE_REACH)  # so does this one
        ends = [k for k in range(low, high + 1) if flat[k - 1].endswith(_CLAUSE_END)]
        if cut in ends or not ends:
            continue
        best = min(ends, key=lambda k: (abs(k - cut), k))
        words[before] = flat[cuts[before] : best]
        words[after] = flat[best : cuts[after] + len(words[after])]
        cuts[after] = best
    return [" ".join(part) for part in words]


def _span(segment: Segment) -> tuple[float, float]:
    """``segment``'s (start, end) with times that are not finite or negative read as 0 and
    the end never before the start: always so for a recogniser's segments, not for a file's."""
    start = _time(segment.start)
    return start, max(_time(segment.end), start)


def _time(seconds: float) -> float:
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0
