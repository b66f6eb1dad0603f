"""The transcript formats Earwitness writes: one table, read by every command and stage.

Each entry names a format and says how to write it (``writer``), what it is (``media_type``,
recorded with the artefact in the case), what its file is called and whether it is text a
terminal can show. ``transcribe --format`` offers exactly these names, and stored renderings
take their media type and file name from here.

Adding a format: write a module in ``earwitness/formats/`` with a function
``render_x(transcript: Transcript, rendering: Rendering) -> bytes`` and add one
``TranscriptFormat`` line to ``_TABLE``. tests/formats/test_transcript_formats.py then renders a
generated transcript in it and checks the bytes are of the kind declared.

This module and the writers' modules import nothing heavy (no NumPy, no python-docx until a
document is made), so the command line can list the formats at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from earwitness.formats.subtitles import render_srt, render_vtt
from earwitness.formats.textgrid import render_textgrid
from earwitness.formats.transcript_docx import render_docx
from earwitness.formats.transcript_json import render_json
from earwitness.formats.transcript_text import render_text
from earwitness.speech.types import Segment, Transcript


@dataclass(frozen=True)
class Rendering:
    """How a transcript is shown, beyond the format: what a reader of that file sees."""

    bilingual: bool = True  # original line over English line, where a translation exists
    title: str = "Transcript"  # documents only
    facts: tuple[tuple[str, str], ...] = ()  # documents only: (name, value), in order
    # Words the recogniser was unsure of (``speech.confidence``) marked in the text. None: each
    # format's own default, on for what a reviewer reads (plain text, DOCX) and off for what
    # viewers watch (SRT, WebVTT) and what tools read (TextGrid, JSON, which keeps the
    # probabilities themselves).
    mark_unsure: bool | None = None

    def marks_unsure(self, *, default: bool) -> bool:
        """Whether a format whose own default is ``default`` marks unsure words."""
        return default if self.mark_unsure is None else self.mark_unsure

    def translation_of(self, transcript: Transcript) -> tuple[Segment, ...] | None:
        """The translation to show beside ``transcript``'s lines, or None for none."""
        return (transcript.translation or None) if self.bilingual else None


Writer = Callable[[Transcript, Rendering], bytes]


@dataclass(frozen=True)
class TranscriptFormat:
    name: str  # as given to --format
    writer: Writer
    media_type: str
    suffix: str
    description: str  # a few words for --help
    # Bytes a terminal cannot show: the command writes them to a file rather than stdout.
    binary: bool = False

    @property
    def filename(self) -> str:
        """The name a rendering of this format is stored under in the case."""
        return f"transcript{self.suffix}"


_TABLE = (
    TranscriptFormat(
        "json",
        render_json,
        "application/json",
        ".json",
        "the whole transcript: words, times, speakers, model (earwitness.transcript/1)",
    ),
    TranscriptFormat("srt", render_srt, "application/x-subrip", ".srt", "SubRip subtitles"),
    TranscriptFormat("vtt", render_vtt, "text/vtt", ".vtt", "WebVTT subtitles"),
    TranscriptFormat("txt", render_text, "text/plain", ".txt", "one timed line per segment"),
    TranscriptFormat("textgrid", render_textgrid, "text/plain", ".textgrid", "Praat TextGrid"),
    TranscriptFormat(
        "docx",
        render_docx,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
        "Word document with the exhibit's facts",
        binary=True,
    ),
)

TRANSCRIPT_FORMATS: dict[str, TranscriptFormat] = {entry.name: entry for entry in _TABLE}


def transcript_format(name: str) -> TranscriptFormat:
    """The table's entry for ``name``; ValueError naming the known ones if there is none."""
    try:
        return TRANSCRIPT_FORMATS[name]
    except KeyError:
        known = ", ".join(TRANSCRIPT_FORMATS)
        raise ValueError(f"unknown transcript format {name!r} (known: {known})") from None


def render_transcript(
    transcript: Transcript, fmt: str | TranscriptFormat, rendering: Rendering = Rendering()
) -> bytes:
    """``transcript`` in format ``fmt`` (a name in ``TRANSCRIPT_FORMATS``, or an entry), as the
    bytes of the file."""
    entry = fmt if isinstance(fmt, TranscriptFormat) else transcript_format(fmt)
    return entry.writer(transcript, rendering)
