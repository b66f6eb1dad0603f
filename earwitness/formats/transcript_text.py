"""A transcript as plain text, one timed line per segment, and a reader for that text.

Plain text is what gets pasted into an e-mail, a chat or a court filing, so every line carries
its own time range and speaker and stands on its own::

    [00:00:01.2 – 00:00:04.0] S1: Добрый день.
        Good afternoon.

The indented line under a segment is its translation. Times are written to a tenth of a second
(enough to find the place in the recording, and the lines stay short), the start rounded down
and the end up. A line without a speaker whose text itself begins like a label ("S3: …") gets
the label "?" so it is not read as spoken by S3. Words the recogniser was unsure of are
marked ``[?word]`` (``Rendering.mark_unsure``, on by default here), and a last line says what
that means. ``read_text`` reads the lines back (for round-trip tests and for tools that take
the text as input), markers and all; ``unsure_marks.unmark`` takes them out.

The helpers shared by the other transcript formats live here too: ``clean_text`` (one line of
text that any format can hold) and ``translation_lines`` (which English line goes with which
original segment).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from earwitness.speech.align import align_translation
from earwitness.speech.types import Segment, Transcript

if TYPE_CHECKING:
    from earwitness.formats.transcript_formats import Rendering

INDENT = "    "
_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d)\.(\d)"
_LINE = re.compile(rf"\[{_TIME} – {_TIME}\](?: (.*))?")
# Only diarization labels (S1, S2, …) are read back as speakers: an unlabelled line such as
# "Note: …" must not turn into a speaker called "Note".
_SPEAKER = re.compile(r"(S\d+|\?):(?: (.*)|$)")
_NO_SPEAKER = "?"
_NONCHARACTERS = frozenset("\ufffe\uffff")
# The last line of a text with marked words begins so; no segment line can (they begin "[0").
UNSURE_NOTE = "[?word]: "


@dataclass(frozen=True)
class TextEntry:
    """One segment as read back from the plain text."""

    start: float
    end: float
    speaker: str | None
    text: str
    translation: str = ""


def clean_text(text: str) -> str:
    """``text`` as one line: whitespace runs (newlines included) become one space, and control
    characters, lone surrogates and non-characters go, since SRT, XML and Praat cannot hold
    them."""
    kept = "".join(
        ch
        for ch in text
        if ch.isspace() or not (unicodedata.category(ch) in ("Cc", "Cs") or ch in _NONCHARACTERS)
    )
    return " ".join(kept.split())


def clean_time(seconds: float) -> float:
    """A usable time: NaN, infinities and negative times (broken input) become 0."""
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def segment_span(segment: Segment) -> tuple[float, float]:
    """``segment``'s (start, end), cleaned, with the end never before the start."""
    start = clean_time(segment.start)
    return start, max(clean_time(segment.end), start)


def translation_lines(
    segments: Sequence[Segment], translation: Sequence[Segment] | None
) -> list[str]:
    """The translated text that goes with each of ``segments`` ("" where none does), as one
    clean line each.

    A transcript's translation is made aligned, one translated segment per original in the
    same order, and is then paired by position. Any other translation is first aligned by
    time with the speech stage's own rule (``speech.align.align_translation``), so no
    translated text is lost.
    """
    if not translation:
        return [""] * len(segments)
    if len(translation) != len(segments):
        translation = align_translation(segments, translation)
    return [clean_text(t.text) for t in translation]


def timestamp(seconds: float, *, up: bool = False) -> str:
    """``HH:MM:SS.s``: down to the tenth of a second, or ``up`` (for an end), so the range
    written always contains the time spoken."""
    millis = round(clean_time(seconds) * 1000)
    tenths = -(-millis // 100) if up else millis // 100
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    whole, tenth = divmod(rest, 10)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}.{tenth}"


def to_text(
    transcript_or_segments: Transcript | Sequence[Segment],
    *,
    translation: Sequence[Segment] | None = None,
) -> str:
    """One line per segment, its translation indented below it.

    Given a ``Transcript``, its own translation is used unless ``translation`` is passed
    (``translation=()`` leaves it out). Segments with no text and no translation are left out.
    """
    if isinstance(transcript_or_segments, Transcript):
        segments: Sequence[Segment] = transcript_or_segments.segments
        if translation is None:
            translation = transcript_or_segments.translation
    else:
        segments = transcript_or_segments
    lines: list[str] = []
    for segment, english in zip(segments, translation_lines(segments, translation), strict=True):
        text = clean_text(segment.text)
        if not text and not english:
            continue
        start, end = segment_span(segment)
        speaker = clean_text(segment.speaker or "")
        label = f"{speaker}: " if speaker else ""
        if not speaker and _SPEAKER.match(text):
            # Text that itself begins "S3: " would read back as spoken by S3: say "no one".
            label = f"{_NO_SPEAKER}: "
        lines.append(f"[{timestamp(start)} – {timestamp(end, up=True)}] {label}{text}".rstrip())
        if english:
            lines.append(INDENT + english)
    return "".join(line + "\n" for line in lines)


def render_text(transcript: Transcript, rendering: Rendering) -> bytes:
    """``transcript`` as the bytes of a .txt file (a writer of the transcript format table).

    Unsure words are marked ``[?word]`` unless the rendering says not to (see
    ``formats.unsure_marks``); the text then ends with a line saying what the mark means."""
    # unsure_marks builds on clean_text from this module: imported here, not at the top.
    from earwitness.formats.unsure_marks import legend, mark_segments

    translation = rendering.translation_of(transcript)
    segments: Sequence[Segment] = transcript.segments
    marked = rendering.marks_unsure(default=True)
    if marked:
        segments = mark_segments(segments)
    text = to_text(segments, translation=translation)
    if marked and any(m is not s for m, s in zip(segments, transcript.segments, strict=True)):
        text += f"\n{legend(transcript.segments)}\n"
    return text.encode("utf-8")


def read_text(text: str) -> list[TextEntry]:
    """The entries of a text written by ``to_text``; ValueError on a line it did not write."""
    entries: list[TextEntry] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        if not line.strip() or line.startswith(UNSURE_NOTE):
            continue  # the note on what "[?word]" means is no segment
        if line.startswith(INDENT):
            if not entries or entries[-1].translation:
                raise ValueError(f"line {number}: a translation line with nothing to translate")
            last = entries[-1]
            entries[-1] = TextEntry(last.start, last.end, last.speaker, last.text, line.strip())
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"line {number}: not a '[start – end] text' line: {line[:60]!r}")
        rest = match.group(9) or ""
        speaker = _SPEAKER.fullmatch(rest)
        entries.append(
            TextEntry(
                _seconds(match.groups()[0:4]),
                _seconds(match.groups()[4:8]),
                speaker.group(1) if speaker and speaker.group(1) != _NO_SPEAKER else None,
                (speaker.group(2) or "") if speaker else rest,
            )
        )
    return entries


def _seconds(parts: Sequence[str]) -> float:
    hours, minutes, seconds, tenths = (int(p) for p in parts)
    return (hours * 36000 + minutes * 600 + seconds * 10 + tenths) / 10
