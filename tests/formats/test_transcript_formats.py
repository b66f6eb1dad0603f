"""The transcript format table: every entry writes any transcript as a file of its kind."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.formats.transcript_formats import (
    TRANSCRIPT_FORMATS,
    Rendering,
    render_transcript,
)
from earwitness.formats.transcript_text import clean_text
from earwitness.schemas import load_schema
from earwitness.speech.types import Segment, Transcript
from tests.formats.test_subtitles import segment_lists, translations

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _json(body: bytes, transcript: Transcript) -> None:
    assert Transcript.from_dict(json.loads(body)) == transcript  # the whole transcript


def _text(body: bytes, _transcript: Transcript) -> None:
    text = body.decode("utf-8")  # strict: a text format is valid UTF-8
    assert "\x00" not in text


def _docx(body: bytes, _transcript: Transcript) -> None:
    with zipfile.ZipFile(io.BytesIO(body)) as document:
        assert document.testzip() is None
        assert {"[Content_Types].xml", "word/document.xml"} <= set(document.namelist())


# What a file of each media type must be. A new format with a media type not here fails
# test_every_format_has_a_known_kind until its kind is checked too.
KINDS: dict[str, Callable[[bytes, Transcript], None]] = {
    "application/json": _json,
    "application/x-subrip": _text,
    "text/vtt": _text,
    "text/plain": _text,
    DOCX: _docx,
}


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    # Something said: a transcript of silence is an empty subtitle file, rightly.
    segments = draw(segment_lists(max_size=6).filter(lambda s: any(clean_text(x.text) for x in s)))
    translation = draw(translations(segments))
    return Transcript(
        exhibit_sha256="c" * 64,
        language=draw(st.sampled_from(["ru", "en", "be"])),
        segments=tuple(segments),
        model_name="whisper-base",
        model_sha256="d" * 64,
        translation_language="en" if translation is not None else None,
        translation=tuple(translation) if translation is not None else None,
        translation_method="whisper-translate" if translation is not None else None,
        duration=draw(st.one_of(st.none(), st.floats(0, 200))),
    )


def test_every_format_has_a_known_kind() -> None:
    assert list(TRANSCRIPT_FORMATS) == ["json", "srt", "vtt", "txt", "textgrid", "docx"]
    for name, entry in TRANSCRIPT_FORMATS.items():
        assert entry.name == name and entry.media_type in KINDS
        assert entry.filename == f"transcript{entry.suffix}" and entry.suffix.startswith(".")
        assert entry.binary == (KINDS[entry.media_type] is _docx) and entry.description


@settings(max_examples=40, deadline=None)
@given(transcript=transcripts(), bilingual=st.booleans())
@pytest.mark.slow
def test_every_entry_renders_any_transcript_as_its_kind(
    transcript: Transcript, bilingual: bool
) -> None:
    rendering = Rendering(bilingual=bilingual, title="Transcript of x.mp3", facts=(("a", "b"),))
    for entry in TRANSCRIPT_FORMATS.values():
        body = render_transcript(transcript, entry, rendering)
        assert isinstance(body, bytes) and body, entry.name
        KINDS[entry.media_type](body, transcript)
        assert render_transcript(transcript, entry.name, rendering) == body  # by name too


SMALL = Transcript(
    exhibit_sha256="b" * 64,
    language="ru",
    segments=(Segment(0, 0.5, 2.5, "Слушайте.", speaker="S1"), Segment(1, 3.0, 5.0, "Кто?")),
    model_name="whisper-base",
    model_sha256="d" * 64,
    translation_language="en",
    translation=(Segment(0, 0.5, 2.5, "Listen."), Segment(1, 3.0, 5.0, "Who?")),
    duration=6.0,
)


def test_the_json_entry_is_the_schema_valid_transcript_whatever_the_rendering() -> None:
    body = render_transcript(SMALL, "json", Rendering(bilingual=False))
    assert body == render_transcript(SMALL, "json")  # the transcript, not a view of it
    jsonschema.validate(json.loads(body), load_schema("transcript"))
    assert b"Listen." in body


def test_the_english_lines_follow_the_rendering() -> None:
    for name in ("srt", "vtt", "txt", "textgrid"):
        assert b"Listen." in render_transcript(SMALL, name, Rendering(bilingual=True)), name
        assert b"Listen." not in render_transcript(SMALL, name, Rendering(bilingual=False)), name


def test_an_unknown_format_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"unknown transcript format 'pdf' \(known: json, srt"):
        render_transcript(SMALL, "pdf")


def test_a_transcript_of_silence_renders_in_every_format() -> None:
    silence = Transcript("c" * 64, "en", (), "whisper-base", "d" * 64, duration=3.0)
    for entry in TRANSCRIPT_FORMATS.values():
        KINDS[entry.media_type](render_transcript(silence, entry), silence)
