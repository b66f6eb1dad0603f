"""Every transcript format renders from one stored transcript, and reads back."""

from __future__ import annotations

import io
import json

import jsonschema
import pytest
from docx import Document

from earwitness.formats.subtitles import read_srt, read_vtt
from earwitness.formats.textgrid import read_textgrid
from earwitness.formats.transcript_formats import (
    TRANSCRIPT_FORMATS,
    Rendering,
    render_transcript,
)
from earwitness.formats.transcript_text import read_text
from earwitness.speech.types import Segment, Transcript, Word
from tests.conftest import shared

ORIGINAL = (
    Segment(
        0,
        0.5,
        2.5,
        "Слушайте внимательно.",
        (Word(0.5, 1.4, " Слушайте", 0.9, "S1"), Word(1.4, 2.5, " внимательно.", 0.8, "S1")),
        "S1",
        -0.2,
        0.01,
    ),
    Segment(1, 3.0, 5.0, "Кто подписывает?", (), "S2", -0.3, 0.02),
)
ENGLISH = (
    Segment(0, 0.5, 2.5, "Listen carefully.", speaker="S1"),
    Segment(1, 3.0, 5.0, "Who signs?", speaker="S2"),
)
TRANSCRIPT = Transcript(
    exhibit_sha256="b" * 64,
    language="ru",
    segments=ORIGINAL,
    model_name="whisper-base",
    model_sha256="d" * 64,
    language_probability=0.98,
    compute_type="int8",
    translation_language="en",
    translation=ENGLISH,
    translation_method="whisper-translate",
    duration=6.0,
)


def test_json_follows_the_contract_and_round_trips() -> None:
    schema = json.loads(shared("schemas/transcript.schema.json").read_text())
    document = json.loads(render_transcript(TRANSCRIPT, "json"))
    jsonschema.validate(document, schema)
    assert Transcript.from_dict(document) == TRANSCRIPT


@pytest.mark.parametrize("bilingual", [True, False])
def test_every_format_reads_back_with_or_without_the_english_line(bilingual: bool) -> None:
    rendering = Rendering(bilingual=bilingual, title="T", facts=(("Recording", "x.mp3"),))
    out = {fmt: render_transcript(TRANSCRIPT, fmt, rendering) for fmt in TRANSCRIPT_FORMATS}
    srt, vtt = read_srt(out["srt"].decode()), read_vtt(out["vtt"].decode())
    assert [c.start for c in srt] == [c.start for c in vtt] == [0.5, 3.0]
    assert ("Listen carefully." in srt[0].lines) is bilingual
    entries = read_text(out["txt"].decode())
    assert [e.speaker for e in entries] == ["S1", "S2"]
    tiers = read_textgrid(out["textgrid"].decode())
    assert ("translation" in tiers) is bilingual and {"S1", "S2"} <= set(tiers)
    cells = [c.text for t in Document(io.BytesIO(out["docx"])).tables for c in t._cells]
    assert ("Who signs?" in cells) is bilingual and "Кто подписывает?" in cells


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown transcript format"):
        render_transcript(TRANSCRIPT, "pdf")
