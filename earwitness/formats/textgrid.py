"""A transcript as a Praat TextGrid, for phoneticians and forensic speech examiners.

Praat is where a speaker comparison or a disputed-utterance analysis happens, and a TextGrid
lets the examiner open the recording with the transcript aligned under the waveform. The file
is Praat's long text format ("ooTextFile"), which Praat, praatio, ELAN and most speech tools
read. Interval tiers:

* one per speaker, holding that speaker's segments (one tier named "transcript" for segments
  without a speaker);
* "words", from the word timestamps, when there are any;
* "translation", when a translation is given;
* "unsure", the words the recogniser was unsure of, when asked for (``mark_unsure``).

Praat requires the intervals of a tier to cover the time domain without gaps or overlaps, and
refuses intervals of zero length, so each tier is tiled over ``[0, duration]``: gaps become
empty intervals, times past the end are clamped, and a text that gets no time of its own
(zero length, or wholly inside the previous interval) is appended to the previous interval's
text rather than dropped. Inside times are rounded to the millisecond; the end is
``duration`` exactly. ``read_textgrid`` reads the long format back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from earwitness.formats.transcript_text import clean_text, clean_time
from earwitness.speech.confidence import is_unsure
from earwitness.speech.types import Segment, Transcript

if TYPE_CHECKING:
    from earwitness.formats.transcript_formats import Rendering

Interval = tuple[float, float, str]

# Praat refuses a time domain of zero length, which an empty recording would otherwise get.
_SHORTEST = 0.001


def to_textgrid(
    segments: Sequence[Segment],
    duration: float,
    *,
    translation: Sequence[Segment] | None = None,
    mark_unsure: bool = False,
) -> str:
    """The TextGrid (long text format) of ``segments`` over ``[0, duration]``.

    ``mark_unsure`` adds a tier "unsure" holding the words the recogniser was unsure of,
    each with its probability, so the examiner can step through them in Praat; the other
    tiers' text is never changed (tools search it)."""
    duration = max(clean_time(duration), _SHORTEST)
    tiers: list[tuple[str, list[Interval]]] = []
    speakers = {clean_text(s.speaker or "") for s in segments}
    for speaker in sorted(speakers - {""}, key=_natural):
        chosen = [s for s in segments if clean_text(s.speaker or "") == speaker]
        tiers.append((speaker, _tile(_items(chosen), duration)))
    if "" in speakers or not speakers - {""}:  # Praat wants at least one tier
        chosen = [s for s in segments if not clean_text(s.speaker or "")]
        tiers.append(("transcript", _tile(_items(chosen), duration)))
    words = [(w.start, w.end, w.word) for s in segments for w in s.words]
    if any(clean_text(text) for _, _, text in words):
        tiers.append(("words", _tile(words, duration)))
    if translation is not None:
        tiers.append(("translation", _tile(_items(translation), duration)))
    if mark_unsure:
        unsure = [
            (w.start, w.end, f"{clean_text(w.word)} (p {w.probability:.2f})")
            for s in segments
            for w in s.words
            if clean_text(w.word) and is_unsure(w)
        ]
        tiers.append(("unsure", _tile(unsure, duration)))
    return _write(_unique(tiers), duration)


def render_textgrid(transcript: Transcript, rendering: Rendering) -> bytes:
    """``transcript`` as the bytes of a Praat TextGrid (a writer of the transcript format
    table), over the recording's duration (the last segment's end when it is not known)."""
    segments = transcript.segments
    duration = transcript.duration or max((s.end for s in segments), default=0.0)
    translation = rendering.translation_of(transcript)
    marked = rendering.marks_unsure(default=False)
    return to_textgrid(segments, duration, translation=translation, mark_unsure=marked).encode(
        "utf-8"
    )


def read_textgrid(text: str) -> dict[str, list[Interval]]:
    """The interval tiers of a long-format TextGrid, by name, as (xmin, xmax, text).

    Enough of Praat's reader for files like ours: ValueError on the short format and on point
    tiers, which Earwitness never writes.
    """
    text = text.removeprefix("\ufeff")
    if not re.match(r'File type = "ooTextFile"\s*\nObject class = "TextGrid"\s*\n', text):
        raise ValueError("not a long-format TextGrid (ooTextFile, TextGrid)")
    tiers: dict[str, list[Interval]] = {}
    current: list[Interval] | None = None
    numbers: list[float] = []
    for key, value in _FIELD.findall(text.split("item []:", 1)[-1]):
        if key == "class":
            if _string(value) != "IntervalTier":
                raise ValueError(f"only interval tiers are read, not {_string(value)}")
            current, numbers = None, []
        elif key == "name":
            current = tiers.setdefault(_string(value), [])
        elif key in ("xmin", "xmax"):
            numbers.append(float(value))
        elif key == "text" and current is not None:
            # The tier's own xmin and xmax come first; each interval adds xmin, xmax, text.
            current.append((numbers[-2], numbers[-1], _string(value)))
    return tiers


def _items(segments: Iterable[Segment]) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, s.text) for s in segments]


def _tile(items: Iterable[tuple[float, float, str]], duration: float) -> list[Interval]:
    """Intervals that cover ``[0, duration]`` exactly, every text kept, in time order."""

    def at(seconds: float) -> float:
        return min(round(clean_time(seconds), 3), duration)

    texts: list[tuple[float, float, str]] = []
    waiting: list[str] = []  # texts with no time of their own before the first interval
    ordered = sorted(((at(s), at(e), clean_text(t)) for s, e, t in items), key=lambda i: i[0])
    for start, end, text in ordered:
        if not text:
            continue
        start = max(start, texts[-1][1]) if texts else start
        if end > start:
            texts.append((start, end, " ".join([*waiting, text])))
            waiting = []
        elif texts:
            last = texts[-1]
            texts[-1] = (last[0], last[1], f"{last[2]} {text}")
        else:
            waiting.append(text)
    if waiting:  # nothing had a time of its own: the whole tier holds the text
        texts = [(0.0, duration, " ".join(waiting))]
    tiled: list[Interval] = []
    reached = 0.0
    for start, end, text in texts:
        if start > reached:
            tiled.append((reached, start, ""))
        tiled.append((start, end, text))
        reached = end
    if reached < duration:
        tiled.append((reached, duration, ""))
    return tiled


def _unique(tiers: list[tuple[str, list[Interval]]]) -> list[tuple[str, list[Interval]]]:
    """Tier names made unique (a speaker could be called "words"): Praat tools look tiers up
    by name."""
    seen: set[str] = set()
    renamed = []
    for name, intervals in tiers:
        candidate, number = name, 1
        while candidate in seen:
            number += 1
            candidate = f"{name} ({number})"
        seen.add(candidate)
        renamed.append((candidate, intervals))
    return renamed


def _write(tiers: list[tuple[str, list[Interval]]], duration: float) -> str:
    end = _number(duration)
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {end}",
        "tiers? <exists>",
        f"size = {len(tiers)}",
        "item []:",
    ]
    for number, (name, intervals) in enumerate(tiers, 1):
        lines += [
            f"    item [{number}]:",
            '        class = "IntervalTier"',
            f"        name = {_quote(name)}",
            "        xmin = 0",
            f"        xmax = {end}",
            f"        intervals: size = {len(intervals)}",
        ]
        for index, (start, stop, text) in enumerate(intervals, 1):
            lines += [
                f"        intervals [{index}]:",
                f"            xmin = {_number(start)}",
                f"            xmax = {_number(stop)}",
                f"            text = {_quote(text)}",
            ]
    return "".join(line + "\n" for line in lines)


def _number(seconds: float) -> str:
    # Positional, never exponent notation (praatio reads only digits and a point), and the
    # shortest digits that read back as the same float.
    text = format(Decimal(repr(float(seconds))), "f")
    return text.removesuffix(".0") if "." in text else text


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _string(value: str) -> str:
    return value[1:-1].replace('""', '"')


def _natural(name: str) -> list[tuple[int, int | str]]:
    """S2 before S10."""
    return [(0, int(p)) if p.isdecimal() else (1, p) for p in re.split(r"(\d+)", name) if p]


_FIELD = re.compile(r'(\w+) = ("(?:[^"]|"")*"|\S+)')
