"""The per-recording dossier page, read back as HTML (and as PDF text)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from earwitness.forensics.examination import Examination
from earwitness.forensics.examine import ExhibitFacts, examine
from earwitness.reports.dossier import (
    DossierExhibit,
    DossierInputs,
    ToolVersions,
    render_dossier,
    write_pdf,
)
from earwitness.speech.types import Transcript
from earwitness.text import shell_word, timecode
from earwitness.vault.custody import Event
from tests.conftest import shared

RATE = 16000
DURATION = 8.0
SHA = "5e" * 32
# Markup, and a right-to-left override that would make the name end "vaw.gpj" on screen.
EVIL_NAME = "<script>alert('name')</script> leak\u202egpj.wav"
EVIL_NAME_SHOWN = EVIL_NAME.replace("\u202e", "\\u202e")
EVIL_WORD = " <script>alert('word')</script>"
MEDIA = {
    "container": "wav",
    "container_long": "WAV / WAVE (Waveform Audio)",
    "codec": "pcm_s16le",
    "sample_rate": RATE,
    "channels": 1,
    "duration_s": DURATION,
    "bit_rate": 256000,
    "tags": {"encoder": "<i>Lavf</i>"},
    "streams": [
        {
            "index": 0,
            "type": "audio",
            "codec": "pcm_s16le",
            "sample_rate": RATE,
            "channels": 1,
            "bits_per_sample": 16,
        }
    ],
}
FINDINGS = [
    {
        "kind": "metadata_inconsistency",
        "check": "container_metadata",
        "start_s": 0.0,
        "end_s": DURATION,
        "score": 0.1,
        "description": "The file carries no recorder tags.",
        "evidence": {},
    },
    {
        "kind": "edit_point",
        "check": "discontinuities",
        "start_s": 2.5,
        "end_s": 2.55,
        "score": 0.82,
        "description": "The background noise floor steps by 6.2 dB <here>.",
        "evidence": {"step_db": 6.2, "frames": [12, 13]},
    },
    {
        "kind": "digital_silence",
        "check": "levels",
        "start_s": 5.0,
        "end_s": 5.2,
        "score": 0.94,
        "description": "200 ms of exact digital zero inside the recording.",
        "evidence": {"duration_s": 0.2},
    },
    {
        "kind": "edit_point",
        "check": "enf",
        "start_s": 6.5,
        "end_s": 6.6,
        "score": 0.3,
        "description": "ENF phase jumps by 40° at 6.5 s.",
        "evidence": {"z": 2.1},
    },
]
SUMMARY = (
    "Examined: the recording (SHA-256 above). 2 place(s) show features consistent with an edit; "
    "at these places the recording is inconsistent with an unedited original."
)


def _word(start: float, end: float, text: str, p: float = 0.95, speaker: str = "S1") -> dict:
    return {"start": start, "end": end, "word": text, "probability": p, "speaker": speaker}


SEGMENTS = [
    {
        "id": 0,
        "start": 0.5,
        "end": 2.9,
        "speaker": "S1",
        "text": "Привет <script>alert('word')</script> всем снова сейчас.",
        "words": [
            _word(0.5, 0.9, " Привет"),
            _word(0.9, 1.6, EVIL_WORD, 0.9),
            _word(1.6, 2.0, " всем", 0.31),  # uncertain
            _word(2.0, 2.0, " снова", 0.9),  # zero length
            _word(2.2, 2.9, " сейчас."),
        ],
    },
    {
        "id": 1,
        "start": 3.5,
        "end": 6.0,
        "speaker": "S2",
        "text": "Второй говорящий здесь говорит.",
        "words": [
            _word(3.5, 4.1, " Второй", speaker="S2"),
            _word(4.1, 4.8, " говорящий", speaker="S2"),
            _word(4.8, 5.4, " здесь", speaker="S2"),
            _word(5.4, 6.0, " говорит.", speaker="S2"),
        ],
    },
    {
        "id": 2,
        "start": 6.3,
        "end": 7.6,
        "speaker": "S1",
        "text": "Последние слова.",
        "words": [_word(6.3, 6.8, " Последние"), _word(6.8, 7.6, " слова.")],
    },
]
TRANSLATION = ["Hello <b>everyone</b> again now.", "The second speaker talks here.", "Last words."]
COMMANDS = [
    f"sha256sum {shell_word(EVIL_NAME)}",  # as jobs.report.verify_commands writes it
    "earwitness examine 5e5e5e5e5e5e --format json",
    "earwitness transcribe 5e5e5e5e5e5e --translate en --format json",
]


def synthetic_audio(seconds: float = DURATION, rate: int = RATE) -> np.ndarray:
    """Speech-like bursts over a noise floor, with a stretch of digital silence at 5.0-5.2 s."""
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 2.5 * t) ** 2
    voice = 0.25 * envelope * np.sin(2 * np.pi * (180 + 40 * np.sin(2 * np.pi * 0.7 * t)) * t)
    audio = voice + 0.01 * rng.standard_normal(len(t))
    audio[int(5.0 * rate) : int(5.2 * rate)] = 0.0
    return audio.astype(np.float32)


def transcript() -> dict[str, Any]:
    return {
        "schema": "earwitness.transcript/1",
        "exhibit_sha256": SHA,
        "language": "ru",
        "language_probability": 0.97,
        "model": {"name": "whisper-base", "sha256": "d0" * 32, "compute_type": "int8"},
        "segments": SEGMENTS,
        "translation": {
            "language": "en",
            "method": "whisper-translate",
            "segments": [
                {"id": s["id"], "start": s["start"], "end": s["end"], "text": text, "words": []}
                for s, text in zip(SEGMENTS, TRANSLATION, strict=True)
            ],
        },
        "processing": {  # a CPU name from a stored file: hostile like the rest
            "runtime": {
                "engine": "ctranslate2 4.8.5",
                "device": "cpu",
                "machine": "x86_64",
                "cpu": {"model": "<b>Xeon</b>\u202e", "features": ["avx", "avx2", "fma"]},
            }
        },
    }


def custody() -> list[Event]:
    base = {"exhibit": SHA, "signer": "mAj/kU47BQZ6oDrixqNZNs5B5A+AYURLZ+JG3CIWUSE=", "sig": "c2ln"}
    events = [
        {
            **base,
            "seq": 2,
            "time": "2026-11-28T10:05:54.414699Z",
            "actor": "<b>desk</b>@newsroom",
            "action": "ingest",
            "details": {"original_name": EVIL_NAME, "source": "tip line <form>"},
            "prev": "0" * 64,
            "hash": "a1" * 32,
        },
        {
            **base,
            "seq": 5,
            "time": "2026-11-28T10:06:00.000001Z",
            "actor": "examiner@lab",
            "action": "examine",
            "details": {
                "artefact": {
                    "stage": "examination",
                    "filename": "examination.json",
                    "object_sha256": "b2" * 32,
                }
            },
            "prev": "a1" * 32,
            "hash": "c3" * 32,
        },
    ]
    return [Event(**event) for event in events]


def examination_report(findings: list[dict[str, Any]] = FINDINGS) -> dict[str, Any]:
    return {
        "schema": "earwitness.examination/1",
        "exhibit": {"sha256": SHA, "filename": EVIL_NAME, "size_bytes": 256044, "media": MEDIA},
        "tool": {"name": "earwitness", "version": "0.1.0", "parameters": {"enf_nominal": 50}},
        "created_at": "2026-11-28T10:06:00Z",
        "duration_s": DURATION,
        "checks": [
            {"name": "levels", "status": "ok", "summary": "Peak -6 dBFS.", "metrics": {}},
            {"name": "enf", "status": "not_applicable", "summary": "No hum.", "metrics": {}},
        ],
        "findings": findings,
        "summary": {"edit_score": 0.82, "text": SUMMARY},
    }


def dossier_inputs(**changes: Any) -> DossierInputs:
    inputs = DossierInputs(
        exhibit=DossierExhibit(
            sha256=SHA,
            filename=EVIL_NAME,
            size_bytes=256044,
            media=MEDIA,
            received_at="2026-11-28T10:05:54Z",
            received_by="desk@newsroom",
            source="tip line <form>",
            note="mailed <u>anonymously</u>",
        ),
        custody=custody(),
        examination=Examination.from_report(examination_report()),
        transcript=Transcript.from_dict(transcript()),
        samples=synthetic_audio(),
        sample_rate=RATE,
        audio_href="audio.wav",
        audio_mime="audio/wav",
        tool=ToolVersions("0.1.0", {"whisper-base": "d0" * 32}),
        verify_commands=COMMANDS,
        generated_at="2026-11-28T11:00:00Z",
    )
    return replace(inputs, **changes)


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in n.classes)
        ]


VOID_ELEMENTS = frozenset({"meta", "img", "br", "input", "link", "hr", "source", "wbr"})


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID_ELEMENTS:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    return builder.root


@pytest.fixture(scope="module")
def page() -> str:
    return render_dossier(dossier_inputs())


@pytest.fixture(scope="module")
def tree(page: str) -> Node:
    return parse(page)


def test_untrusted_text_is_escaped(page: str, tree: Node) -> None:
    assert "<script>alert" not in page
    assert page.count("<script") == 1  # the page's own script, nothing from the inputs
    assert "<b>desk</b>" not in page and "<form>" not in page and "<u>" not in page
    assert "<b>everyone</b>" not in page and "<i>Lavf</i>" not in page and "<here>" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in page
    assert "\u202e" not in page  # no name, tag or command reads backwards
    assert tree.find_all("h1")[0].text() == EVIL_NAME_SHOWN
    assert tree.find_all("title")[0].text() == f"Dossier: {EVIL_NAME_SHOWN}"
    words = [w.text() for w in tree.find_all("span", "w")]
    assert EVIL_WORD.strip() in words
    assert not [n for n in tree.iter() if any(k.startswith("on") for k in n.attrs)]


def test_every_finding_is_a_clickable_marker_at_its_time(tree: Node) -> None:
    markers = tree.find_all("a", "marker")
    assert len(markers) == len(FINDINGS)
    for index, (marker, finding) in enumerate(zip(markers, FINDINGS, strict=True), start=1):
        assert marker.attrs["href"] == f"#finding-{index}"
        assert float(marker.attrs["data-start"]) == pytest.approx(finding["start_s"])
        assert float(marker.attrs["data-end"]) == pytest.approx(finding["end_s"])
        left = float(re.search(r"left:([\d.]+)%", marker.attrs["style"])[1])
        assert left == pytest.approx(finding["start_s"] / DURATION * 100, abs=0.01)
        assert timecode(finding["start_s"]) in marker.attrs["aria-label"]
        card = next(n for n in tree.iter() if n.attrs.get("id") == f"finding-{index}")
        assert finding["description"] in card.text()
        assert float(card.attrs["data-start"]) == pytest.approx(finding["start_s"])
    # Edit points scored high are set apart; observations (here the metadata and the digital
    # silence, even at 0.94) are drawn in the neutral colour, never the alarm one.
    assert "sev-hi" in markers[1].classes and "sev-mid" in markers[3].classes
    assert "sev-obs" in markers[0].classes and "sev-obs" in markers[2].classes
    # Local findings get a close-up plot, the whole-file one doesn't.
    cards = tree.find_all("article", "finding")
    assert [len(c.find_all("img")) for c in cards] == [0, 1, 1, 1]
    for card in cards[1:]:
        assert card.find_all("img")[0].attrs["src"].startswith("data:image/png;base64,")
    hairlines = tree.find_all("div", "hairline")
    assert len(hairlines) == 2 * 3  # three local findings, over waveform and spectrogram


@pytest.mark.slow
def test_close_ups_are_limited_to_the_highest_scores() -> None:
    many = [
        {**FINDINGS[1], "start_s": 0.2 * i, "end_s": 0.2 * i + 0.05, "score": i / 40}
        for i in range(1, 31)
    ]
    examination = Examination.from_report(examination_report(many))
    tree = parse(render_dossier(dossier_inputs(examination=examination)))
    cards = tree.find_all("article", "finding")
    plotted = [i for i, card in enumerate(cards, start=1) if card.find_all("img")]
    assert plotted == list(range(19, 31))  # the twelve highest scores
    assert "only the 12 highest-scoring" in cards[0].text()
    assert len(tree.find_all("a", "marker")) == 30


def test_every_word_is_timed_and_unreliable_ones_are_marked(tree: Node) -> None:
    spans = tree.find_all("span", "w")
    expected = [w for s in SEGMENTS for w in s["words"]]
    assert len(spans) == len(expected)
    for span, word in zip(spans, expected, strict=True):
        assert span.text() == word["word"].strip()
        assert float(span.attrs["data-start"]) == pytest.approx(word["start"])
        assert float(span.attrs["data-end"]) == pytest.approx(word["end"])
        unreliable = word["probability"] < 0.5 or word["end"] <= word["start"]
        assert ("unreliable" in span.classes) == unreliable, word
    marked = {s.text(): s.attrs["title"] for s in spans if "unreliable" in s.classes}
    assert marked == {
        "всем": "uncertain: probability 0.31",
        "снова": "no reliable timing: zero length",
    }


def test_speakers_are_coloured_and_translation_is_side_by_side(tree: Node) -> None:
    rows = tree.find_all("tr", "seg")
    assert len(rows) == len(SEGMENTS)
    colours = {}
    for row, segment, english in zip(rows, SEGMENTS, TRANSLATION, strict=True):
        colours.setdefault(segment["speaker"], set()).add(row.attrs["style"])
        cells = row.find_all("td")
        assert [c.attrs["class"] for c in cells] == ["t", "spk", "orig", "tr"]
        assert cells[1].text() == segment["speaker"]
        assert cells[2].attrs["lang"] == "ru" and cells[3].attrs["lang"] == "en"
        assert cells[3].text() == english
        assert cells[0].find_all("button")[0].attrs["data-start"] == f"{segment['start']:.3f}"
    assert all(len(styles) == 1 for styles in colours.values())
    assert colours["S1"] != colours["S2"]
    headers = [th.text() for th in tree.find_all("table", "transcript")[0].find_all("th")]
    assert headers == ["Time", "Speaker", "Russian (ru) — original", "English (en)"]
    legend = tree.find_all("ul", "speakers")[0].find_all("span", "chip")
    assert [c.text() for c in legend] == ["S1", "S2"]


def test_header_custody_summary_and_verify(page: str, tree: Node) -> None:
    masthead = tree.find_all("header", "masthead")[0].text()
    for fact in [SHA, "256,044 bytes", "16,000 Hz", "mono", "00:00:08.0", "desk@newsroom"]:
        assert fact in masthead, fact
    assert "2026-11-28 10:05:54Z" in masthead and "2 event(s)" in masthead
    assert "earwitness 0.1.0" in masthead and "whisper-base" in masthead
    custody_rows = tree.find_all("table", "custody-table")[0].find_all("tbody")[0].find_all("tr")
    assert [r.find_all("td")[0].text() for r in custody_rows] == ["2", "5"]
    assert "c3" * 32 in custody_rows[1].text() and "<b>desk</b>@newsroom" in custody_rows[0].text()
    assert "d0" * 32 in page  # the model's full hash in the details
    transcript_facts = (
        tree.find_all("section", "transcript-panel")[0].find_all("p", "meta")[0].text()
    )
    assert "Ran on: ctranslate2 4.8.5 on cpu, <b>Xeon</b>\\u202e (x86_64, AVX2)" in transcript_facts
    summary = next(n for n in tree.iter() if n.attrs.get("id") == "summary")
    assert SUMMARY in summary.text()
    commands = [c.text() for c in tree.find_all("ol", "commands")[0].find_all("code")]
    assert commands == COMMANDS


def test_neutral_language_and_no_external_references(page: str, tree: Node) -> None:
    assert not re.search(r"\b(authentic|fake|genuine|forged)\b", page, re.IGNORECASE)
    assert "http://" not in page and "https://" not in page
    values = [v for n in tree.iter() for v in n.attrs.values() if not v.startswith("data:")]
    assert not [v for v in values if "//" in v]  # no protocol-relative address either
    for node in tree.iter():
        for key in ("src", "href", "action", "poster", "srcset"):
            if key in node.attrs:
                value = node.attrs[key]
                assert value.startswith(("data:", "#")) or value == "audio.wav", (key, value)
    assert not tree.find_all("link") and not tree.find_all("iframe")
    assert tree.find_all("audio")[0].attrs["src"] == "audio.wav"


@pytest.mark.slow
def test_audio_embedded_or_beside(tmp_path: Path) -> None:
    embedded = parse(render_dossier(dossier_inputs(audio_data=b"RIFF1234WAVE", audio_href="x")))
    src = embedded.find_all("audio")[0].attrs["src"]
    assert src == "data:audio/wav;base64,UklGRjEyMzRXQVZF"
    beside = parse(render_dossier(dossier_inputs(audio_href="javascript:alert(1) #1.mp3")))
    assert beside.find_all("audio")[0].attrs["src"] == "javascript%3Aalert%281%29%20%231.mp3"


@pytest.mark.slow
def test_rendering_is_pure_and_copes_with_little_input() -> None:
    assert render_dossier(dossier_inputs()) == render_dossier(dossier_inputs())
    bare = parse(
        render_dossier(
            dossier_inputs(
                transcript=None,
                examination=None,
                custody=[],
                verify_commands=[],
                samples=np.zeros(0, np.float32),
                tool=ToolVersions(),
            )
        )
    )
    text = bare.text()
    assert "No transcript was supplied" in text and "no findings" in text
    assert "No custody events were supplied" in text and not bare.find_all("a", "marker")


def test_a_real_examination_report_renders(tmp_path: Path) -> None:
    samples = synthetic_audio()
    facts = ExhibitFacts(SHA, "real.wav", 256044, MEDIA)
    examination = examine(samples, RATE, facts)
    report = examination.report
    schema = json.loads(shared("schemas/transcript.schema.json").read_text())
    jsonschema.validate(transcript(), schema)  # the fixture transcript is a real one's shape
    tree = parse(render_dossier(dossier_inputs(examination=examination)))
    assert len(tree.find_all("a", "marker")) == len(report["findings"]) >= 1
    assert report["summary"]["text"] in tree.text()
    silence = [f for f in report["findings"] if f["kind"] == "digital_silence"]
    assert silence and silence[0]["start_s"] == pytest.approx(5.0, abs=0.05)


@pytest.mark.slow
def test_pdf_has_the_facts_and_no_player(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    path = tmp_path / "dossier.pdf"
    write_pdf(render_dossier(dossier_inputs()), path)
    assert path.read_bytes().startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    squeezed = re.sub(r"\s+", "", text)
    assert EVIL_NAME_SHOWN in text
    assert SHA in squeezed
    assert "Второй говорящий" in text and "The second speaker talks here." in text
    assert "ENF phase jumps" in text and COMMANDS[1] in text
    assert "Follow transcript" not in text  # the print stylesheet leaves the player out
    assert "Click a word" not in text and "unreliable timing" in text  # only what paper can do


def test_the_exhibit_is_built_from_the_examinations_facts() -> None:
    facts = ExhibitFacts(SHA, "call.wav", 256044, MEDIA, received_at="2026-11-28T10:05:54Z")
    exhibit = DossierExhibit.from_facts(facts, received_by="desk@newsroom", source="tip line")
    assert (exhibit.sha256, exhibit.filename, exhibit.size_bytes) == (SHA, "call.wav", 256044)
    assert exhibit.received_at == facts.received_at and exhibit.media is MEDIA
    masthead = parse(render_dossier(dossier_inputs(exhibit=exhibit))).find_all("header")[0].text()
    assert "desk@newsroom" in masthead and "tip line" in masthead and "call.wav" in masthead
