"""An exhibit's documents from its transcript JSON, speaker names, annotations and findings."""

from __future__ import annotations

from typing import Any

import pytest

from earwitness.search import Annotation, Document, Finding, exhibit_documents

SHA = "d" * 64
TRANSCRIPT: dict[str, Any] = {
    "language": "ru",
    "segments": [
        {"id": 0, "start": 0.0, "end": 4.0, "speaker": "S1", "text": " Вчера в Минске."},
        {"id": 1, "start": 4.0, "end": 8.0, "speaker": "S2", "text": "   "},
        {"id": 2, "start": 8.0, "end": 12.0, "speaker": "S2", "text": "Бедняга, ребят."},
        "not a segment",
        {"id": 3, "start": "soon", "end": None, "speaker": 7, "text": "Окрестина"},
    ],
    "translation": {
        "language": "en",
        "segments": [{"id": 0, "start": 0.0, "end": 4.0, "speaker": "S1", "text": "In Minsk."}],
    },
}


def test_documents_of_an_exhibit() -> None:
    docs = exhibit_documents(
        SHA,
        TRANSCRIPT,
        speaker_names={"S1": "Иван", "S9": "Никто"},
        annotations=[Annotation(5, 9.0, 10.0, "проверить", ("имя",))],
        findings=[Finding("edit_point", 9.5, 9.5), Finding("hum_mismatch")],
    )
    by_key = {(d.kind, d.key): d for d in docs}
    assert set(by_key) == {
        ("segment", "0"), ("segment", "2"), ("segment", "3"), ("translation", "0"),
        ("speaker", "S1"), ("speaker", "S2"), ("speaker", "S9"), ("annotation", "5"),
    }  # fmt: skip
    first = by_key[("segment", "0")]
    assert (first.text, first.language, first.speaker) == ("Вчера в Минске.", "ru", "Иван")
    assert first.findings == ("hum_mismatch",)
    assert by_key[("segment", "2")].findings == ("edit_point", "hum_mismatch")
    odd = by_key[("segment", "3")]
    assert (odd.start, odd.speaker) == (None, None)
    assert by_key[("translation", "0")].language == "en"
    assert by_key[("speaker", "S1")].text == "Иван (S1)"
    assert by_key[("speaker", "S2")].text == "S2"
    note = by_key[("annotation", "5")]
    assert (note.tags, note.findings, note.language) == (
        ("имя",),
        ("edit_point", "hum_mismatch"),
        None,
    )


def test_no_transcript_and_bad_kind() -> None:
    assert exhibit_documents(SHA, None) == []
    with pytest.raises(ValueError, match="kind"):
        Document(SHA, "file", "1", None, None, None, None, (), (), "x")  # type: ignore[arg-type]


def test_a_document_names_an_exhibit_by_its_hash() -> None:
    for bad in ("", "f" * 65):
        with pytest.raises(ValueError, match="SHA-256"):
            Document(bad, "segment", "1", None, None, None, None, (), (), "x")
