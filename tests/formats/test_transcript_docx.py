"""Word transcripts, read back with python-docx."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.table import Table
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from earwitness.formats.transcript_docx import write_docx
from earwitness.formats.transcript_text import clean_text
from earwitness.speech.types import Segment, Transcript
from tests.formats.test_subtitles import EN, RU, segment_lists, texts

SHA = "ab" * 32
MODEL_SHA = "cd" * 32


def _transcript(
    segments: Sequence[Segment],
    translation: Sequence[Segment] | None = None,
    language: str | None = None,
) -> Transcript:
    return Transcript(
        SHA,
        "ru",
        tuple(segments),
        "whisper-base",
        MODEL_SHA,
        translation=None if translation is None else tuple(translation),
        translation_language=language,
    )


def _cells(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_bilingual_document(tmp_path: Path) -> None:
    path = tmp_path / "t.docx"
    facts = {
        "Recording": "звонок.m4a",
        "Generated": "2024-05-01T10:00:00Z",
        "Language": "ru (0.98)",
    }
    write_docx(_transcript(RU, EN), path, title="Transcript of звонок.m4a", exhibit_facts=facts)
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs] == ["Transcript of звонок.m4a", "Transcript"]
    assert document.core_properties.title == "Transcript of звонок.m4a"
    facts_table, transcript_table = document.tables
    # The caller's facts first and winning; those only the transcript knows after them.
    assert _cells(facts_table) == [
        ["Recording", "звонок.m4a"],
        ["Generated", "2024-05-01T10:00:00Z"],
        ["Language", "ru (0.98)"],
        ["SHA-256", SHA],
        ["Model", f"whisper-base (SHA-256 {MODEL_SHA})"],
        ["Translation", "en"],
    ]
    assert _cells(transcript_table) == [
        ["Time", "Speaker", "Text", "English"],
        ["00:00:00.5 – 00:00:02.3", "S1", "Добрый день, коллеги.", "Good afternoon, colleagues."],
        ["00:00:02.5 – 00:00:03.0", "S2", "Начнём.", "Let's begin."],
    ]


def test_without_translation_or_facts(tmp_path: Path) -> None:
    path = tmp_path / "t.docx"
    segments = [Segment(0, 1, 2, "a\x00b\x0bc"), Segment(1, 2, 3, "   ")]
    write_docx(_transcript(segments), path, title="T")
    document = docx.Document(str(path))
    assert _cells(document.tables[0]) == [
        ["SHA-256", SHA],
        ["Language", "ru"],
        ["Model", f"whisper-base (SHA-256 {MODEL_SHA})"],
    ]
    assert _cells(document.tables[1]) == [
        ["Time", "Speaker", "Text"],
        ["00:00:01.0 – 00:00:02.0", "", "ab c"],
    ]


def test_same_input_same_bytes(tmp_path: Path) -> None:
    transcript = _transcript(RU, EN, "de")
    first, second = tmp_path / "1.docx", tmp_path / "2.docx"
    write_docx(transcript, first, title="T", exhibit_facts={"Generated": "2024-05-01"})
    write_docx(transcript, second, title="T", exhibit_facts={"Generated": "2024-05-01"})
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.testzip() is None
    header = _cells(docx.Document(str(first)).tables[1])[0]
    assert header == ["Time", "Speaker", "Text", "Translation (de)"]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segments=segment_lists(max_size=6), title=texts(4), with_translation=st.booleans())
def test_any_transcript_makes_a_readable_document(
    tmp_path: Path, segments: list[Segment], title: str, with_translation: bool
) -> None:
    english = [Segment(s.id, s.start, s.end, f"line {s.id}") for s in segments]
    path = tmp_path / "t.docx"
    write_docx(_transcript(segments, english if with_translation else None), path, title=title)
    document = docx.Document(str(path))
    rows = _cells(document.tables[1])[1:]
    kept = [
        (s, e)
        for s, e in zip(segments, english, strict=True)
        if clean_text(s.text) or with_translation
    ]
    assert [row[2] for row in rows] == [clean_text(s.text) for s, _ in kept]
    assert [row[1] for row in rows] == [s.speaker or "" for s, _ in kept]
    if with_translation:
        assert [row[3] for row in rows] == [e.text for _, e in kept]
    assert document.paragraphs[0].text == clean_text(title)
