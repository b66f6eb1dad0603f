"""Marking the words the machine was unsure of (``speech.confidence.is_unsure``) in a
segment's text, for the writers of the transcript formats.

The marker is put around the word inside the segment's own text, found by spelling: the
words' characters, spaces left out, must spell the text's characters, spaces left out (as
Whisper's words do). The text keeps its own spacing, and each word's text gets the same
marker, so writers that time text by its words (subtitles) still find them. A segment whose
words do not spell its text (edited by hand, or with no word timing) cannot be marked word by
word and is left as it is.

Plain text and SRT use ``[?word]``: it reads as a query in running text, cannot be mistaken
for speech, survives any editor, e-mail or chat, and ``unmark`` takes it out again. A word
that itself holds ``[?`` is still marked, so it is the count of markers, not their content,
that a reader can trust. WebVTT marks with a ``<c.unsure>`` class (see ``subtitles.to_vtt``),
DOCX with highlighting.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from earwitness.formats.transcript_text import UNSURE_NOTE, clean_text
from earwitness.speech.confidence import UNSURE_BELOW, is_unsure, needs_checking
from earwitness.speech.types import Segment, Word

OPEN = "[?"
CLOSE = "]"
# The threshold in words, for the legends of the documents that mark words.
THRESHOLD_NOTE = f"given a probability below {UNSURE_BELOW:g} by the recogniser"


def legend(segments: Sequence[Segment]) -> str:
    """The last line of a plain text with marked words: what ``[?word]`` means, and how much
    of the recording it concerns (``speech.confidence.needs_checking``)."""
    return (
        f"{UNSURE_NOTE}{THRESHOLD_NOTE}; check it against the recording. "
        f"Marked: {needs_checking(segments).summary()}."
    )


_MARKED = re.compile(r"\[\?(\S*?)\]")


def mark_segment(segment: Segment, opening: str = OPEN, closing: str = CLOSE) -> Segment:
    """``segment`` with ``opening``/``closing`` around each unsure word, in its text (cleaned
    to one line, see ``clean_text``) and in its words; unchanged when there is none or when
    its words do not spell its text. ``opening`` and ``closing`` hold no whitespace."""
    spellings = [_spelling(word.word) for word in segment.words]
    if not any(s and is_unsure(w) for s, w in zip(spellings, segment.words, strict=True)):
        return segment
    text = clean_text(segment.text)
    if "".join(spellings) != text.replace(" ", ""):
        return segment
    letters = [at for at, ch in enumerate(text) if ch != " "]
    before: dict[int, str] = {}
    after: dict[int, str] = {}
    words: list[Word] = []
    at = 0
    for word, spelling in zip(segment.words, spellings, strict=True):
        if spelling and is_unsure(word):
            first, last = letters[at], letters[at + len(spelling) - 1]
            before[first] = before.get(first, "") + opening
            after[last] = closing + after.get(last, "")
            words.append(dataclasses.replace(word, word=_mark_word(word.word, opening, closing)))
        else:
            words.append(word)
        at += len(spelling)
    marked = "".join(
        before.get(index, "") + ch + after.get(index, "") for index, ch in enumerate(text)
    )
    return dataclasses.replace(segment, text=marked, words=tuple(words))


def mark_segments(segments: Sequence[Segment]) -> list[Segment]:
    """Each of ``segments`` marked with ``[?…]`` (see ``mark_segment``)."""
    return [mark_segment(segment) for segment in segments]


def unmark(text: str) -> str:
    """``text`` with the ``[?word]`` markers taken out (the words kept)."""
    return _MARKED.sub(r"\1", text)


def _spelling(text: str) -> str:
    # As the writers will show it: one clean line, and spaces do not count.
    return clean_text(text).replace(" ", "")


def _mark_word(text: str, opening: str, closing: str) -> str:
    cleaned = clean_text(text)
    lead = " " if text[:1].isspace() else ""
    return f"{lead}{opening}{cleaned}{closing}"
