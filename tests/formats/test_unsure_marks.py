"""Unsure words are marked in every transcript format that a person reads: exactly once each,
in order, and never where the rendering says not to."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from docx import Document
from docx.enum.text import WD_COLOR_INDEX
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.formats.subtitles import read_srt, read_vtt
from earwitness.formats.textgrid import read_textgrid
from earwitness.formats.transcript_formats import Rendering, render_transcript
from earwitness.formats.transcript_text import read_text
from earwitness.formats.unsure_marks import mark_segment, unmark
from earwitness.speech.confidence import UNSURE_BELOW, is_unsure
from earwitness.speech.types import Segment, Transcript, Word

# Word text without the marker's own characters (so markers can be counted) and short enough
# that no word is broken over subtitle lines; "<", ">", "&" and "-->" test the escaping.
LETTERS = "абвгдежзиклмнопрстуфхцчшщыэюяabcdefxyz0123456789.,!-<>&'\""
word_text = st.text(LETTERS, min_size=1, max_size=12)
probability = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.49, 0.5, 1.0]))


@st.composite
def transcripts(draw: st.DrawFn) -> Transcript:
    segments = []
    english = []
    at = 0.0
    for index in range(draw(st.integers(1, 6))):
        words = []
        t = at
        for _ in range(draw(st.integers(0, 12))):
            length = draw(st.floats(0.05, 1.5))
            words.append(Word(t, t + length, " " + draw(word_text), draw(probability)))
            t += length
        speaker = draw(st.sampled_from([None, "S1", "S2", "S10"]))
        text = "".join(w.word for w in words)
        segments.append(Segment(index, at, max(t, at + 0.1), text, tuple(words), speaker))
        english.append(Segment(index, at, max(t, at + 0.1), draw(st.text("abc xyz.", max_size=50))))
        at = t + draw(st.floats(0, 2))
    return Transcript(
        "a" * 64,
        "ru",
        tuple(segments),
        "whisper-base",
        "b" * 64,
        translation=tuple(english) if draw(st.booleans()) else None,
    )


def _unsure(transcript: Transcript) -> list[str]:
    return [w.word.strip() for s in transcript.segments for w in s.words if is_unsure(w)]


def _words(lines: list[str]) -> list[str]:
    # Without the speaker prefixes: marked words are longer, so cues may be cut elsewhere.
    words = " ".join(lines).replace("→", "-->").split()
    return [w for w in words if w not in ("S1:", "S2:", "S10:")]


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_every_unsure_word_is_marked_once_in_text_and_none_when_off(
    transcript: Transcript,
) -> None:
    expected = _unsure(transcript)
    marked = render_transcript(transcript, "txt").decode()  # marked by default
    plain = render_transcript(transcript, "txt", Rendering(mark_unsure=False)).decode()
    body = [line for line in marked.splitlines() if not line.startswith("[?word]: ")]
    assert re.findall(r"\[\?([^\]]*)\]", "\n".join(body)) == expected
    assert "[?" not in plain
    assert (f"below {UNSURE_BELOW:g}" in marked) == bool(expected)
    # Still the same lines, read back; without the marks, the same text as unmarked.
    entries, clean = read_text(marked), read_text(plain)
    assert [(e.start, e.end, e.speaker, unmark(e.text)) for e in entries] == [
        (e.start, e.end, e.speaker, e.text) for e in clean
    ]


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_srt_marks_unsure_words_only_when_asked_and_still_parses(
    transcript: Transcript,
) -> None:
    expected = _unsure(transcript)
    default = render_transcript(transcript, "srt").decode()
    marked = render_transcript(transcript, "srt", Rendering(mark_unsure=True)).decode()
    assert default == render_transcript(transcript, "srt", Rendering(mark_unsure=False)).decode()
    marked_cues = read_srt(marked)
    assert "[?" not in default
    text = "\n".join(line for cue in marked_cues for line in cue.lines)
    found = [m.replace("→", "-->") for m in re.findall(r"\[\?([^\]]*)\]", text)]
    assert found == [w.replace("→", "-->") for w in expected]
    # The same words, in the same order, once the marks are taken out (original lines only:
    # marked words are longer, so cues may be cut elsewhere and translation lines move).
    alone = Rendering(mark_unsure=True, bilingual=False)
    original = read_srt(render_transcript(transcript, "srt", alone).decode())
    plain = read_srt(render_transcript(transcript, "srt", Rendering(bilingual=False)).decode())
    assert _words([unmark(line) for cue in original for line in cue.lines]) == _words(
        [line for cue in plain for line in cue.lines]
    )
    for cue in marked_cues:
        assert cue.end > cue.start
        assert all(len(line) <= 42 for line in cue.lines)


@settings(max_examples=150, deadline=None)
@given(transcripts())
def test_vtt_classes_unsure_words_only_when_asked(transcript: Transcript) -> None:
    expected = _unsure(transcript)
    default = render_transcript(transcript, "vtt").decode()
    marked = render_transcript(transcript, "vtt", Rendering(mark_unsure=True)).decode()
    assert "<c.unsure>" not in default and "STYLE" not in default
    spans = re.findall(r"<c\.unsure>(.*?)</c>", marked)
    assert [html.unescape(s).replace("→", "-->") for s in spans] == [
        w.replace("→", "-->") for w in expected
    ]
    # Tags balance on every line, and the cues read back as the unmarked file's.
    for line in marked.splitlines():
        assert line.count("<c.unsure>") == line.count("</c>")
    # The cues read back (tags gone) hold the same words in order, within the line limit.
    alone = Rendering(mark_unsure=True, bilingual=False)
    cues = read_vtt(render_transcript(transcript, "vtt", alone).decode())
    plain = read_vtt(render_transcript(transcript, "vtt", Rendering(bilingual=False)).decode())
    assert _words([line for cue in cues for line in cue.lines]) == _words(
        [line for cue in plain for line in cue.lines]
    )
    assert all(len(line) <= 42 for cue in read_vtt(marked) for line in cue.lines)


def test_vtt_cannot_be_made_to_open_a_span_by_the_text() -> None:
    words = (Word(0, 1, " \ue000a\ue001", 0.9), Word(1, 2, " b", 0.1))
    transcript = Transcript(
        "a" * 64, "ru", (Segment(0, 0, 2, " \ue000a\ue001 b", words),), "m", "d"
    )
    marked = render_transcript(transcript, "vtt", Rendering(mark_unsure=True)).decode()
    assert re.findall(r"<c\.unsure>(.*?)</c>", marked) == ["b"]
    assert "\ue000" not in marked and "\ue001" not in marked


def test_a_long_unsure_word_broken_over_lines_is_marked_in_each_piece() -> None:
    long_word = "x" * 60
    words = (Word(0, 3, " " + long_word, 0.2),)
    transcript = Transcript("a" * 64, "ru", (Segment(0, 0, 3, " " + long_word, words),), "m", "d")
    marked = render_transcript(transcript, "vtt", Rendering(mark_unsure=True)).decode()
    pieces = re.findall(r"<c\.unsure>(.*?)</c>", marked)
    assert "".join(pieces) == long_word and len(pieces) == 2


def test_words_that_do_not_spell_the_text_leave_it_unmarked() -> None:
    # Edited by hand: the words no longer say where in the text each one is.
    segment = Segment(0, 0, 1, "Something else entirely.", (Word(0, 1, " Vitya", 0.1),))
    assert mark_segment(segment) is segment
    # Spacing of the text is kept; the words' own spacing does not matter.
    spaced = Segment(0, 0, 2, "Vitya  Aga", (Word(0, 1, "Vitya", 0.1), Word(1, 2, "Aga", 0.9)))
    assert mark_segment(spaced).text == "[?Vitya] Aga"


def _docx(transcript: Transcript, rendering: Rendering) -> Any:
    return Document(io.BytesIO(render_transcript(transcript, "docx", rendering)))


def test_docx_highlights_unsure_words_with_a_legend() -> None:
    words = (
        Word(0.0, 0.5, " Vitya", 0.2),
        Word(0.5, 1.0, " Aga,", 0.3),
        Word(1.0, 1.5, " guys.", 0.95),
    )
    segment = Segment(0, 0, 1.5, " Vitya Aga, guys.", words, "S1")
    transcript = Transcript("a" * 64, "ru", (segment,), "whisper-base", "b" * 64)
    document = _docx(transcript, Rendering())  # marked by default
    legend = [p.text for p in document.paragraphs if "probability below 0.5" in p.text]
    assert legend and "2 of 3 words (66.7 %)" in legend[0]
    cell = document.tables[1].rows[1].cells[2]
    assert cell.text == "Vitya Aga, guys."  # the text is unchanged: only its look
    highlighted = [
        r.text for r in cell.paragraphs[0].runs if r.font.highlight_color == WD_COLOR_INDEX.YELLOW
    ]
    assert highlighted == ["Vitya", "Aga,"]
    plain = _docx(transcript, Rendering(mark_unsure=False))
    assert not [p for p in plain.paragraphs if "probability below" in p.text]
    runs = [r for row in plain.tables[1].rows for c in row.cells for r in c.paragraphs[0].runs]
    assert all(r.font.highlight_color is None for r in runs)


def test_textgrid_gets_a_tier_of_unsure_words_when_asked() -> None:
    words = (Word(0, 1, " Vitya", 0.2), Word(1, 2, " guys", 0.9), Word(2, 3, " Aga", 0.1))
    segment = Segment(0, 0, 3, " Vitya guys Aga", words, "S1")
    transcript = Transcript("a" * 64, "ru", (segment,), "m", "d" * 64, duration=4.0)
    tiers = read_textgrid(render_transcript(transcript, "textgrid").decode())
    assert "unsure" not in tiers
    marked = read_textgrid(
        render_transcript(transcript, "textgrid", Rendering(mark_unsure=True)).decode()
    )
    assert [i for i in marked["unsure"] if i[2]] == [
        (0.0, 1.0, "Vitya (p 0.20)"),
        (2.0, 3.0, "Aga (p 0.10)"),
    ]
    assert marked["words"] == tiers["words"]  # the words tier is never changed


def test_json_keeps_probabilities_not_marks() -> None:
    words = (Word(0, 1, " Vitya", 0.1),)
    transcript = Transcript("a" * 64, "ru", (Segment(0, 0, 1, " Vitya", words),), "m", "d" * 64)
    assert b"[?" not in render_transcript(transcript, "json", Rendering(mark_unsure=True))
