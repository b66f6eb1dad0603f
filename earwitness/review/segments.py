"""Segment surgery for the review edits: pure functions from segments to segments.

Two rules hold for every segment these functions make: its words lie inside its [start, end],
and its text is its words joined (Whisper's convention: each word carries its leading space)
when it has words. Times of words that are kept are never moved, except to pull a word of an
inconsistent input back inside its segment; a new word gets times inside the span of what it
replaces, so a correction never claims audio it did not replace.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace

from earwitness.review.redaction import overlaps
from earwitness.speech.types import Segment, Word


def joined(words: Sequence[Word]) -> str:
    return "".join(word.word for word in words)


def spaced(old: str, new: str) -> str:
    """``new`` with the leading space that ``old`` had (Whisper's convention), if it had one."""
    return (" " + new) if old.startswith(" ") and new else new


def tokens(text: str) -> list[str]:
    return text.split()


def fit(segment: Segment) -> Segment:
    """``segment`` with its words pulled inside its span and its text rebuilt from them."""
    if not segment.words:
        return segment
    low, high = segment.start, segment.end
    words = tuple(
        w
        if low <= w.start <= w.end <= high
        else replace(w, start=min(max(w.start, low), high), end=min(max(w.end, w.start, low), high))
        for w in segment.words
    )
    return replace(segment, words=words, text=joined(words))


def retext(segment: Segment, text: str) -> Segment:
    """``segment`` saying ``text``: unchanged words keep their times (difflib alignment of the
    old words to the new tokens); new or changed words share, evenly, the span of the words
    they replace, or the gap they are inserted into. Probability 1.0: a person wrote them."""
    new = tokens(text)
    if not segment.words and segment.text.strip():
        # No word times (a recogniser that gave none): the text alone changes.
        return replace(segment, text=spaced(segment.text, " ".join(new)))
    old_words = segment.words
    matcher = difflib.SequenceMatcher(None, [w.word.strip() for w in old_words], new, False)
    words: list[Word] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            words.extend(old_words[i1:i2])
            continue
        if j1 == j2:  # a deletion: the words go, their time stays unclaimed
            continue
        if i1 < i2:
            low, high = old_words[i1].start, old_words[i2 - 1].end
            speaker = old_words[i1].speaker
        else:
            low = old_words[i1 - 1].end if i1 > 0 else segment.start
            high = old_words[i1].start if i1 < len(old_words) else segment.end
            neighbours = old_words[i1 - 1 : i1 + 1] or old_words[i1 : i1 + 1]
            speaker = neighbours[0].speaker if neighbours else segment.speaker
        high = max(high, low)
        count = j2 - j1
        for k, token in enumerate(new[j1:j2]):
            start = low + (high - low) * k / count
            end = low + (high - low) * (k + 1) / count if k + 1 < count else high
            words.append(Word(start, end, " " + token, 1.0, speaker))
    return fit(replace(segment, words=tuple(words), text=joined(words)))


def split(segment: Segment, at_word: int, new_id: int) -> tuple[Segment, Segment]:
    """The segment cut before word ``at_word`` (1 ≤ at_word < its word count)."""
    words = segment.words
    end, start = _boundary(words[at_word - 1], words[at_word])
    first = replace(segment, end=end, words=words[:at_word])
    second = Segment(
        id=new_id,
        start=start,
        end=max(segment.end, start),
        text="",
        words=words[at_word:],
        speaker=segment.speaker,
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
    )
    return fit(first), fit(second)


def merge(first: Segment, second: Segment) -> Segment:
    """Two adjacent segments as one, with the first's id and speaker; its words keep theirs."""
    words = first.words + second.words
    logprobs = [p for p in (first.avg_logprob, second.avg_logprob) if p is not None]
    merged = replace(
        first,
        end=max(first.end, second.end),
        words=words,
        text=joined(words) if words else join_texts(first.text, second.text),
        # The less confident of the two: a merge must not make a guess look surer.
        avg_logprob=min(logprobs) if logprobs else None,
    )
    return fit(merged)


def join_texts(first: str, second: str) -> str:
    return spaced(first, " ".join(part.strip() for part in (first, second) if part.strip()))


def move_boundary(first: Segment, second: Segment, words_in_first: int) -> tuple[Segment, ...]:
    """The words of two adjacent segments re-divided: the first holds ``words_in_first``. A
    word that moves takes the speaker of the segment it moves into (the turn moved)."""
    words = first.words + second.words
    end, start = _boundary(words[words_in_first - 1], words[words_in_first])
    head = tuple(_spoken_by(w, first.speaker) for w in words[:words_in_first])
    tail = tuple(_spoken_by(w, second.speaker) for w in words[words_in_first:])
    return (
        fit(replace(first, end=end, words=head)),
        fit(replace(second, start=start, end=max(second.end, start), words=tail)),
    )


def set_speaker(segment: Segment, speaker: str | None, only: str | None = None) -> Segment:
    """``segment`` (and its words) said by ``speaker``; with ``only``, just what ``only`` said."""
    words = tuple(
        replace(w, speaker=speaker) if only is None or w.speaker == only else w
        for w in segment.words
    )
    label = speaker if only is None or segment.speaker == only else segment.speaker
    return replace(segment, speaker=label, words=words)


def mark(segment: Segment, start: float, end: float, text: str, insert: bool) -> Segment:
    """``segment`` with the words overlapping [start, end] replaced by one word ``text``
    spanning them and the range (inside the segment); with ``insert``, the word is put in the
    range's place even when no word overlaps it."""
    words = list(segment.words)
    hit = [i for i, w in enumerate(words) if overlaps(w.start, w.end, [(start, end)])]
    low, high = max(start, segment.start), min(end, segment.end)
    if hit:
        first, last = hit[0], hit[-1]
        low = max(segment.start, min(start, words[first].start))
        high = min(segment.end, max(end, words[last].end))
        word = Word(low, max(low, high), " " + text, 1.0, words[first].speaker)
        words[first : last + 1] = [word]
    elif insert and (words or not segment.text.strip()):
        at = sum(1 for w in words if w.start < low)
        words.insert(at, Word(low, max(low, high), " " + text, 1.0, segment.speaker))
    elif insert:
        return replace(segment, text=join_texts(segment.text or " ", text))
    else:
        return segment
    return fit(replace(segment, words=tuple(words), text=joined(words)))


def _boundary(before: Word, after: Word) -> tuple[float, float]:
    """Where the segment holding ``before`` ends and the one from ``after`` starts; words that
    overlap (it happens) meet in the middle, so the two segments never overlap."""
    if after.start >= before.end:
        return before.end, after.start
    middle = (before.end + after.start) / 2
    return middle, middle


def _spoken_by(word: Word, speaker: str | None) -> Word:
    return word if word.speaker == speaker else replace(word, speaker=speaker)
