"""A transcript as a Word document, the form lawyers, editors and courts ask for.

The document has a title, a small table of facts that tie it to the evidence (recording,
SHA-256, language, model and model hash, and whatever else the caller passes, such as when it
was made), then the transcript as a table: Time | Speaker | Text, and a column for the
translation when there is one.

It is a function of its inputs: nothing here reads the clock, and the file's zip entries get a
fixed date, so the same transcript and facts give the same bytes, and a document rendered again
later can be checked against the hash recorded in the custody log.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from earwitness.formats.transcript_text import (
    clean_text,
    segment_span,
    timestamp,
    translation_lines,
)
from earwitness.formats.unsure_marks import THRESHOLD_NOTE, mark_segment
from earwitness.speech.confidence import needs_checking
from earwitness.speech.types import Transcript

if TYPE_CHECKING:
    from docx.shared import Length
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from docx.text.run import Run

    from earwitness.formats.transcript_formats import Rendering

# Control characters stand for the start and end of an unsure word while a cell's runs are
# made: clean_text has taken any out of the transcript's own text, so none can be taken for one.
_OPEN, _CLOSE = "\x01", "\x02"
_MARKED_PART = re.compile("\x01(.*?)\x02", re.DOTALL)
# Zip's earliest date: the file then carries no time of its own.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_docx(
    transcript: Transcript,
    path: str | os.PathLike[str],
    *,
    title: str,
    exhibit_facts: Mapping[str, str] | None = None,
) -> None:
    """Write ``transcript`` to ``path`` as a .docx (the bytes of ``docx_bytes``)."""
    Path(path).write_bytes(docx_bytes(transcript, title=title, exhibit_facts=exhibit_facts))


def render_docx(transcript: Transcript, rendering: Rendering) -> bytes:
    """``transcript`` as the bytes of a .docx file (a writer of the transcript format table),
    titled and with the facts of ``rendering``."""
    if not rendering.bilingual:
        transcript = dataclasses.replace(transcript, translation=None)
    return docx_bytes(
        transcript,
        title=rendering.title,
        exhibit_facts=dict(rendering.facts),
        mark_unsure=rendering.marks_unsure(default=True),
    )


def docx_bytes(
    transcript: Transcript,
    *,
    title: str,
    exhibit_facts: Mapping[str, str] | None = None,
    mark_unsure: bool = False,
) -> bytes:
    """``transcript`` as the bytes of a .docx file.

    The facts table lists ``exhibit_facts`` in their order, then those known from the
    transcript that the caller did not give under the same name. ``mark_unsure`` highlights
    the words the recogniser was unsure of (``speech.confidence``), with a dotted underline
    that survives black-and-white printing, and puts a legend line with the threshold and
    the recording's figure above the transcript.
    """
    # python-docx (and lxml) load when a document is made: the command line lists this
    # format at start-up without needing them.
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm, Pt

    document = Document()
    section = document.sections[0]
    # Landscape: four columns of running text read badly on a portrait page.
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.core_properties.title = clean_text(title)
    document.core_properties.author = "Earwitness"
    document.core_properties.last_modified_by = "Earwitness"
    document.add_heading(clean_text(title), level=1)

    facts = {clean_text(k): clean_text(v) for k, v in (exhibit_facts or {}).items()}
    for name, value in _known_facts(transcript).items():
        facts.setdefault(name, value)
    table = document.add_table(rows=0, cols=2, style="Table Grid")
    for name, value in facts.items():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = name, value
        _bold(cells[0].paragraphs[0])

    document.add_heading("Transcript", level=2)
    if mark_unsure and any(s.words for s in transcript.segments):
        note = document.add_paragraph()
        _unsure_run(note.add_run("Highlighted words"))
        checking = needs_checking(transcript.segments)
        note.add_run(
            f" were {THRESHOLD_NOTE}: check them against the recording. "
            f"Marked: {checking.summary()}."
        )
    translated = bool(transcript.translation)
    english = translation_lines(transcript.segments, transcript.translation)
    header = ["Time", "Speaker", "Text"]
    if translated:
        language = transcript.translation_language or "en"
        header.append("English" if language == "en" else f"Translation ({language})")
    rows = document.add_table(rows=1, cols=len(header), style="Table Grid")
    for cell, name in zip(rows.rows[0].cells, header, strict=True):
        cell.text = name
        _bold(cell.paragraphs[0])
    for segment, english_text in zip(transcript.segments, english, strict=True):
        text = clean_text(segment.text)
        if not text and not english_text:
            continue
        start, end = segment_span(segment)
        values = [
            f"{timestamp(start)} – {timestamp(end, up=True)}",
            clean_text(segment.speaker or ""),
            text,
        ]
        if translated:
            values.append(english_text)
        cells = rows.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = value
        marked = mark_segment(segment, _OPEN, _CLOSE) if mark_unsure else segment
        if marked is not segment:
            _marked_text(cells[2].paragraphs[0], marked.text)
    _widths(rows, [Cm(4.2), Cm(1.8)] + [Cm(9.5 if translated else 19.0)] * (len(header) - 2))
    for paragraph in (p for row in rows.rows for c in row.cells for p in c.paragraphs):
        for run in paragraph.runs:
            run.font.size = Pt(10)

    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_dates(buffer.getvalue())


def _known_facts(transcript: Transcript) -> dict[str, str]:
    facts = {
        "SHA-256": transcript.exhibit_sha256,
        "Language": transcript.language,
        "Model": f"{transcript.model_name} (SHA-256 {transcript.model_sha256})",
    }
    if transcript.translation:
        facts["Translation"] = transcript.translation_language or "en"
    return {name: clean_text(value) for name, value in facts.items()}


def _marked_text(paragraph: Paragraph, text: str) -> None:
    """``paragraph``'s runs made again from ``text``, the unsure words (between ``_OPEN`` and
    ``_CLOSE``) in runs of their own, highlighted."""
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    for index, part in enumerate(_MARKED_PART.split(text)):
        if part:
            run = paragraph.add_run(part)
            if index % 2:
                _unsure_run(run)


def _unsure_run(run: Run) -> None:
    from docx.enum.text import WD_COLOR_INDEX, WD_UNDERLINE

    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    run.font.underline = WD_UNDERLINE.DOTTED


def _bold(paragraph: Paragraph) -> None:
    for run in paragraph.runs:
        run.bold = True


def _widths(table: Table, widths: Sequence[Length]) -> None:
    # Word takes column widths from the cells, not from the grid; set both.
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
        for cell in column.cells:
            cell.width = width


def _fixed_dates(data: bytes) -> bytes:
    """The zip ``data`` again with every entry dated ``_ZIP_EPOCH``, same order, same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=_ZIP_EPOCH)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = entry.external_attr
            target.writestr(fixed, source.read(entry.filename))
    return out.getvalue()
