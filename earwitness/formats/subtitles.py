"""SubRip (SRT) and WebVTT subtitles from transcript segments, and readers for both.

Leaked recordings are published with subtitles, and subtitle editors, players and the quality
checks of the platforms they go to expect cues in order, never overlapping, at most two lines
of 42 characters and at most 7 seconds on screen. Speech recognition segments keep to none of
that, so the writers lay the text out again instead of copying segments to cues:

* a segment too long for one cue becomes several, cut between words and timed by the
  segment's word timestamps (by its characters when it has none), so each piece is on screen
  while it is being said;
* lines are wrapped between words, and a word longer than a line is broken (nothing is cut);
* overlapping times are resolved by ending a cue where the next begins, or by moving a cue
  that would start inside an earlier one to just after it, so no text is ever dropped;
* a cue lasts at least ``min_duration`` where the next cue leaves room for it.

Bilingual subtitles, the usual way such recordings are published, show the original line(s)
over the translation's line(s) in the same cue; the line limit then holds per language.
Speakers appear as an ``S1: `` prefix in SRT, which has no markup for them, and as a WebVTT
voice tag ``<v S1>``. All layout happens in ``layout_cues``; the writers only format its
captions, and ``read_srt`` / ``read_vtt`` read cues back for tests and for other tools' files.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from earwitness.formats.transcript_text import (
    clean_text,
    clean_time,
    segment_span,
    translation_lines,
)
from earwitness.formats.unsure_marks import THRESHOLD_NOTE, mark_segment, mark_segments
from earwitness.speech.types import Segment, Transcript, Word

if TYPE_CHECKING:
    from earwitness.formats.transcript_formats import Rendering


@dataclass(frozen=True)
class Cue:
    """A cue as read from a subtitle file. ``speaker`` is only known from WebVTT voice tags."""

    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None = None


@dataclass(frozen=True)
class Caption:
    """A cue as laid out, to be written: the original's lines over the translation's."""

    start: float
    end: float
    speaker: str | None
    original: tuple[str, ...]
    translation: tuple[str, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        return self.original + self.translation


@dataclass(frozen=True)
class _Unit:
    """A word, or a piece of a word too long for a line. ``first`` up to ``last`` (exclusive)
    index the segment's characters with spaces left out, to look up when the unit was said."""

    text: str
    glued: bool  # continues the previous unit's word: never on the same line as it
    first: int
    last: int


def subtitle_text(text: str) -> str:
    """``text`` as subtitles can hold it: one line (see ``clean_text``) without ``-->``, which
    both formats read as a timing line."""
    return clean_text(text).replace("-->", "→")


@dataclass(frozen=True)
class Limits:
    """What subtitle editors expect of a cue: characters a line, lines, seconds on screen."""

    max_line: int = 42
    max_lines: int = 2
    max_duration: float = 7.0
    min_duration: float = 0.7


def to_srt(
    segments: Sequence[Segment],
    *,
    translation: Sequence[Segment] | None = None,
    limits: Limits = Limits(),
    mark_unsure: bool = False,
) -> str:
    """SubRip subtitles. SRT has no escapes, so text is written as it is, ``-->`` aside.
    ``mark_unsure`` writes unsure words as ``[?word]`` (counted in the line length)."""
    if mark_unsure:
        segments = mark_segments(segments)
    captions = layout_cues(segments, translation=translation, limits=limits, speaker_prefix=True)
    return "\n".join(
        f"{number}\n{_timecode(c.start, ',')} --> {_timecode(c.end, ',')}\n"
        + "".join(line + "\n" for line in c.lines)
        for number, c in enumerate(captions, 1)
    )


def to_vtt(
    segments: Sequence[Segment],
    *,
    translation: Sequence[Segment] | None = None,
    limits: Limits = Limits(),
    mark_unsure: bool = False,
) -> str:
    """WebVTT subtitles: speakers as voice tags, ``&``, ``<`` and ``>`` as character
    references (the line limit counts the characters shown, not the markup).

    ``mark_unsure`` puts each unsure word in a ``<c.unsure>`` class span, styled by a STYLE
    block (players that ignore styles show the words plainly), with a NOTE on the threshold.
    A span never crosses a line: a word broken over lines or cues is marked in each piece."""
    blocks = ["WEBVTT\n"]
    if mark_unsure:
        segments = [
            mark_segment(_without_marks(segment), _VTT_OPEN, _VTT_CLOSE) for segment in segments
        ]
        blocks += [_VTT_STYLE, f"NOTE\nWords of class unsure were {THRESHOLD_NOTE}.\n"]
    captions = layout_cues(segments, translation=translation, limits=limits, speaker_prefix=False)
    carried = False  # a word's span left open by the previous line (a broken word)
    for number, c in enumerate(captions, 1):
        lines = [_escape(line) for line in c.lines]
        if mark_unsure:
            lines = []
            for line in c.original:
                tagged, carried = _unsure_classes(_escape(line), carried)
                lines.append(tagged)
            lines += [_escape(line).translate(_NO_VTT_MARKS) for line in c.translation]
        if c.speaker:
            lines[0] = f"<v {_escape(c.speaker)}>{lines[0]}"
        timing = f"{_timecode(c.start, '.')} --> {_timecode(c.end, '.')}"
        blocks.append(f"{number}\n{timing}\n" + "".join(line + "\n" for line in lines))
    return "\n".join(blocks)


def render_srt(transcript: Transcript, rendering: Rendering) -> bytes:
    """``transcript`` as the bytes of an .srt file (a writer of the transcript format table).
    Subtitles are for viewers: unsure words are marked only when the rendering asks."""
    translation = rendering.translation_of(transcript)
    marked = rendering.marks_unsure(default=False)
    return to_srt(transcript.segments, translation=translation, mark_unsure=marked).encode()


def render_vtt(transcript: Transcript, rendering: Rendering) -> bytes:
    """``transcript`` as the bytes of a .vtt file (a writer of the transcript format table).
    Subtitles are for viewers: unsure words are marked only when the rendering asks."""
    translation = rendering.translation_of(transcript)
    marked = rendering.marks_unsure(default=False)
    return to_vtt(transcript.segments, translation=translation, mark_unsure=marked).encode()


def layout_cues(
    segments: Sequence[Segment],
    *,
    translation: Sequence[Segment] | None = None,
    limits: Limits = Limits(),
    speaker_prefix: bool = True,
) -> list[Caption]:
    """The captions both writers format, times in whole milliseconds.

    Cues follow the segments in order of start time (input order among equal starts).
    Segments with neither text nor translated text are left out. ``speaker_prefix`` puts
    ``"S1: "`` before the first line shown (SRT) and counts it against the line length.
    """
    max_line, max_lines = limits.max_line, limits.max_lines
    max_duration, min_duration = limits.max_duration, limits.min_duration
    if max_line < 8 or max_lines < 1:
        raise ValueError("subtitle lines need room: max_line >= 8 and max_lines >= 1")
    if not 0 <= min_duration <= max_duration or max_duration <= 0:
        raise ValueError("need 0 <= min_duration <= max_duration and max_duration > 0")
    english = translation_lines(segments, translation)
    order = sorted(range(len(segments)), key=lambda i: segment_span(segments[i])[0])
    pieces: list[tuple[int, int, str | None, tuple[str, ...], tuple[str, ...]]] = []
    max_ms = max(1, round(max_duration * 1000))
    for index in order:
        segment = segments[index]
        speaker = subtitle_text(segment.speaker or "") or None
        prefix = f"{_short_label(speaker, max_line)}: " if speaker and speaker_prefix else ""
        for start, end, original, translated in _split_segment(
            segment, subtitle_text(english[index]), prefix, max_line, max_lines, max_ms
        ):
            pieces.append((start, end, speaker, original, translated))
    times = _schedule([(p[0], p[1]) for p in pieces], round(min_duration * 1000), max_ms)
    return [
        Caption(start / 1000, end / 1000, speaker, original, translated)
        for (start, end), (_, _, speaker, original, translated) in zip(times, pieces, strict=True)
    ]


def read_srt(text: str) -> list[Cue]:
    """The cues of an SRT file; ValueError on a block that is not number, timing, text."""
    cues = []
    for number, block in enumerate(_blocks(text), 1):
        timing = _SRT_TIMING.fullmatch(block[1].strip()) if len(block) > 1 else None
        if not re.fullmatch(r"\d+", block[0].strip(), re.ASCII) or timing is None:
            raise ValueError(f"SRT cue {number} is not a cue number and a timing line")
        parts = timing.groups()
        cues.append(Cue(_to_seconds(parts[:4]), _to_seconds(parts[4:]), tuple(block[2:])))
    return cues


def read_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT file, tags removed and character references resolved; the voice
    of a ``<v …>`` tag becomes the cue's speaker. NOTE, STYLE and REGION blocks are skipped."""
    blocks = list(_blocks(text))
    if not blocks or not re.fullmatch(r"WEBVTT(?:[ \t].*)?", blocks[0][0]):
        raise ValueError("not WebVTT: the first line must be WEBVTT")
    cues = []
    for number, block in enumerate(blocks[1:], 1):
        if "-->" not in block[0] and block[0].split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            continue
        at = 0 if "-->" in block[0] else 1
        timing = _VTT_TIMING.fullmatch(block[at].strip()) if len(block) > at else None
        if timing is None:
            raise ValueError(f"WebVTT block {number} has no timing line")
        parts = timing.groups()
        voice = _VOICE.match(block[at + 1]) if len(block) > at + 1 else None
        lines = tuple(_unescape(_TAG.sub("", line)) for line in block[at + 1 :])
        speaker = _unescape(voice.group(1)).strip() if voice else None
        cues.append(Cue(_to_seconds(parts[:4]), _to_seconds(parts[4:]), lines, speaker or None))
    return cues


def _split_segment(
    segment: Segment, english: str, prefix: str, max_line: int, max_lines: int, max_ms: int
) -> Iterator[tuple[int, int, tuple[str, ...], tuple[str, ...]]]:
    """The cues of one segment: (start ms, end ms, original lines, translation lines)."""
    text = subtitle_text(segment.text)
    first_width = max_line - len(prefix)
    original, translated = _units(text, first_width), _units(english, first_width)
    start, end = (round(t * 1000) for t in segment_span(segment))
    if original:
        said = _char_times(text, segment.words, start, end)
    else:
        said = _char_times(english, (), start, end)

    def fits(units: Sequence[_Unit]) -> bool:
        return _wrap(units, first_width, max_line, max_lines) is not None

    by_time = min(math.ceil((end - start) / max_ms), max(len(original), len(translated)))
    count = max(1, by_time, _fewest(original, fits), _fewest(translated, fits))
    while True:  # ends at the latest when every piece holds one unit
        split_original = _split(original, count, fits)
        split_translated = _split(translated, count, fits)
        if split_original is not None and split_translated is not None:
            break
        count += 1
    timed = [p for p in (split_original if original else split_translated) if p]
    spans = [(said[p[0].first][0], said[p[-1].last - 1][1]) for p in timed]
    # Pieces without a timed unit come last (see _split): they share what is left.
    after, untimed = (spans[-1][1] if spans else start), count - len(spans)
    spans += [
        (after + (end - after) * k // untimed, after + (end - after) * (k + 1) // untimed)
        for k in range(untimed)
    ]
    for (first, last), ours, theirs in zip(spans, split_original, split_translated, strict=True):
        lines = _balanced(ours, first_width, max_line)
        english_lines = _balanced(theirs, first_width, max_line)
        if lines:
            lines[0] = prefix + lines[0]
        elif english_lines:
            english_lines[0] = prefix + english_lines[0]
        else:
            continue
        yield first, last, tuple(lines), tuple(english_lines)


def _units(text: str, width: int) -> list[_Unit]:
    units: list[_Unit] = []
    offset = 0
    for word in text.split():
        for at in range(0, len(word), width):
            piece = word[at : at + width]
            units.append(_Unit(piece, at > 0, offset, offset + len(piece)))
            offset += len(piece)
    return units


def _char_times(text: str, words: Sequence[Word], start: int, end: int) -> list[tuple[int, int]]:
    """When each character of ``text`` (spaces left out) was said, in ms: from the word
    timestamps when the words spell the text, else spread evenly over the segment."""
    letters = text.replace(" ", "")
    said: list[tuple[int, int]] = []
    spelled = []
    previous = start
    for word in words:
        # Word times outside the segment or running backwards are clamped, not trusted.
        word_start = min(max(round(clean_time(word.start) * 1000), previous), end)
        word_end = min(max(round(clean_time(word.end) * 1000), word_start), end)
        previous = word_end
        spelling = subtitle_text(word.word).replace(" ", "")
        spelled.append(spelling)
        said.extend([(word_start, word_end)] * len(spelling))
    if "".join(spelled) == letters:
        return said
    total, length = len(letters), end - start
    return [(start + length * k // total, start + length * (k + 1) // total) for k in range(total)]


def _wrap(units: Sequence[_Unit], first: int, rest: int, max_lines: int) -> list[str] | None:
    """Greedy wrapping: the fewest lines; None when more than ``max_lines`` are needed."""
    lines: list[str] = []
    current = ""
    for unit in units:
        width = first if not lines else rest
        if current and not unit.glued and len(current) + 1 + len(unit.text) <= width:
            current += " " + unit.text
            continue
        if current:
            lines.append(current)
        current = unit.text
        if len(current) > (first if not lines else rest):
            return None
    if current:
        lines.append(current)
    return lines if len(lines) <= max_lines else None


def _balanced(units: Sequence[_Unit], first: int, rest: int) -> list[str]:
    """The lines of a piece, as even in length as its line count allows (narrowest width
    at which greedy wrapping still needs no more lines)."""
    if not units:
        return []
    wrapped = _wrap(units, first, rest, len(units)) or []
    low, high = 1, rest
    while low < high:
        middle = (low + high) // 2
        if _wrap(units, min(first, middle), middle, len(wrapped)) is None:
            low = middle + 1
        else:
            high = middle
    return _wrap(units, min(first, low), low, len(wrapped)) or wrapped


def _split(
    units: Sequence[_Unit], count: int, fits: Callable[[Sequence[_Unit]], bool]
) -> list[list[_Unit]] | None:
    """``units`` in ``count`` pieces of about equal length that each fit a cue (empty pieces
    last when there are fewer units than pieces); None when they do not fit in ``count``."""
    pieces: list[list[_Unit]] = []
    at = 0
    for index in range(count):
        target = sum(len(u.text) + 1 for u in units[at:]) / (count - index)
        piece: list[_Unit] = []
        size = 0
        while at < len(units):
            grown = size + len(units[at].text) + 1
            if piece and (
                abs(grown - target) > abs(size - target) or not fits([*piece, units[at]])
            ):
                break
            piece.append(units[at])
            size, at = grown, at + 1
        pieces.append(piece)
    return pieces if at == len(units) else None


def _fewest(units: Sequence[_Unit], fits: Callable[[Sequence[_Unit]], bool]) -> int:
    """How many pieces ``units`` need at least: filling each piece as far as it goes."""
    count, piece = 0, 0
    for at in range(len(units)):
        if at == piece or not fits(units[piece : at + 1]):
            count, piece = count + 1, at
    return count


def _schedule(raw: Sequence[tuple[int, int]], min_ms: int, max_ms: int) -> list[tuple[int, int]]:
    """Cue times in order, never overlapping, each 1 ms to ``max_ms`` long and at least
    ``min_ms`` unless that would run into the next cue's own start."""
    times: list[tuple[int, int]] = []
    previous_end = 0
    for index, (raw_start, raw_end) in enumerate(raw):
        upcoming = raw[index + 1][0] if index + 1 < len(raw) else None
        start = max(raw_start, previous_end)
        end = start + (raw_end - raw_start)  # a cue moved later keeps its length
        if upcoming is not None and upcoming > start:
            end = max(min(end, upcoming), min(start + min_ms, upcoming))
        else:
            # The next cue has to move anyway: give this one time to be read.
            end = max(end, start + min_ms)
        end = max(min(end, start + max_ms), start + 1)
        times.append((start, end))
        previous_end = end
    return times


def _short_label(speaker: str, max_line: int) -> str:
    # A prefix must leave most of the line to the text; diarization labels are short anyway.
    limit = max_line // 3
    return speaker if len(speaker) <= limit else speaker[: limit - 1] + "…"


def _timecode(seconds: float, separator: str) -> str:
    hours, rest = divmod(round(seconds * 1000), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    whole, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{whole:02d}{separator}{millis:03d}"


def _to_seconds(parts: Sequence[str | None]) -> float:
    hours, minutes, seconds, millis = (int(p or 0) for p in parts)
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + millis) / 1000


def _blocks(text: str) -> Iterator[list[str]]:
    """Runs of non-blank lines."""
    block: list[str] = []
    for line in text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _without_marks(segment: Segment) -> Segment:
    """``segment`` without the private-use characters that stand for WebVTT's unsure spans
    while cues are laid out, so text that holds them cannot open a span."""
    if not any(ch in segment.text for ch in _VTT_MARKS):
        return segment
    words = tuple(
        dataclasses.replace(w, word=w.word.translate(_NO_VTT_MARKS)) for w in segment.words
    )
    return dataclasses.replace(segment, text=segment.text.translate(_NO_VTT_MARKS), words=words)


def _unsure_classes(line: str, carried: bool) -> tuple[str, bool]:
    """``line`` with the stand-ins for unsure spans made ``<c.unsure>`` tags, closed at the
    line's end and opened again on the next (the returned flag) if a word runs on."""
    out = [_VTT_TAG_OPEN] if carried else []
    open_now = carried
    for ch in line:
        if ch == _VTT_OPEN:
            out.append(_VTT_TAG_OPEN)
            open_now = True
        elif ch == _VTT_CLOSE:
            out.append("</c>")
            open_now = False
        else:
            out.append(ch)
    if open_now:
        out.append("</c>")
    return "".join(out).replace(_VTT_TAG_OPEN + "</c>", ""), open_now


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _unescape(text: str) -> str:
    return _REFERENCE.sub(lambda m: _REFERENCES[m.group(1)], text)


_SRT_TIME = r"(\d{2,}):([0-5]\d):([0-5]\d),(\d{3})"
_SRT_TIMING = re.compile(rf"{_SRT_TIME} --> {_SRT_TIME}", re.ASCII)
_VTT_TIME = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_VTT_TIMING = re.compile(rf"{_VTT_TIME}[ \t]+-->[ \t]+{_VTT_TIME}(?:[ \t].*)?", re.ASCII)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
_TAG = re.compile(r"</?[^>\s]*(?:[ \t][^>]*)?>")
_REFERENCES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "lrm": "\u200e", "rlm": "\u200f"}
_REFERENCE = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm);")
# Private-use characters stand for the unsure spans while cues are laid out (each counts as
# one character of a line, where the tag shows none; lines are at most that much shorter).
_VTT_OPEN, _VTT_CLOSE = "\ue000", "\ue001"
_VTT_MARKS = _VTT_OPEN + _VTT_CLOSE
_NO_VTT_MARKS = str.maketrans("", "", _VTT_MARKS)
_VTT_TAG_OPEN = "<c.unsure>"
_VTT_STYLE = "STYLE\n::cue(.unsure) {\n  text-decoration: underline dotted;\n}\n"
