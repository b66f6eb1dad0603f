"""Truncated files carry a ``truncation`` finding with the numbers; whole ones do not.

Made from a real recording (pyannote's tst01 meeting excerpt): written as WAV, MP3 64 kbit/s,
AAC 32 kbit/s in M4A (index first, as messengers send it), ADTS AAC and Opus, then cut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.forensics import metadata
from earwitness.forensics.findings import Finding
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import ExhibitFacts, Recording
from earwitness.forensics.truncation import Shortfall, shortfall
from earwitness.media.decode import decode_audio
from earwitness.media.probe import probe
from tests.conftest import shared
from tests.forensics.transcode import cut, encode, write_wav
from tests.strategies import json_values

RATE = 16000
SECONDS = 13.97


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    speech = decode_audio(shared("data/real/diarization/pyannote-audio/tests_data/tst01.wav"))
    samples = speech.samples[: round(SECONDS * RATE)].astype(np.float64)
    folder = tmp_path_factory.mktemp("truncation")
    write_wav(samples, RATE, folder / "whole.wav")
    encode(samples, RATE, folder / "whole.mp3", "libmp3lame", 64_000)
    encode(samples, RATE, folder / "whole.m4a", "aac", 32_000, {"movflags": "faststart"})
    encode(samples, RATE, folder / "whole.aac", "aac", 32_000)
    encode(samples, RATE, folder / "whole.ogg", "libopus", 24_000)
    return folder


def examined(path: Path) -> list[Finding]:
    """The container check's findings, run as an examination runs it (decoding included:
    the decoder must take whatever is there)."""
    audio = decode_audio(path)
    facts = ExhibitFacts("0" * 64, path.name, path.stat().st_size, probe(path).to_dict())
    recording = Recording(audio.samples, audio.sample_rate, facts)
    return metadata.EXAMINATION.run(recording, ExamOptions()).findings


def truncation(path: Path) -> Finding:
    [finding] = [f for f in examined(path) if f.kind == "truncation"]
    assert "says nothing about the content before the cut" in finding.description
    return finding


@pytest.mark.parametrize("name", ["whole.wav", "whole.mp3", "whole.m4a", "whole.aac", "whole.ogg"])
def test_whole_files_carry_no_truncation(folder: Path, name: str) -> None:
    assert [f for f in examined(folder / name) if f.kind == "truncation"] == []


def test_a_wav_whose_header_declares_more_than_it_holds(folder: Path) -> None:
    """The header says 13.97 s; 4.1 s of data follow (FFmpeg itself reports 4.1 s)."""
    path = cut(folder / "whole.wav", 44 + round(4.1 * RATE) * 2, "cut.wav")
    finding = truncation(path)
    assert finding.score >= 0.9
    assert finding.evidence["declared_s"] == pytest.approx(SECONDS)
    assert finding.evidence["payload_s"] == pytest.approx(4.1)
    assert finding.evidence["missing_s"] == pytest.approx(SECONDS - 4.1, abs=0.01)


def test_an_mp3_cut_to_30_percent_against_its_xing_frame_count(folder: Path) -> None:
    whole = folder / "whole.mp3"
    finding = truncation(cut(whole, int(0.3 * whole.stat().st_size), "cut.mp3"))
    assert finding.score >= 0.9
    assert finding.evidence["declared_frames"] > 3 * finding.evidence["present_frames"] * 0.9
    assert finding.evidence["missing_s"] == pytest.approx(0.7 * SECONDS, abs=0.7)


def test_an_m4a_cut_to_half_against_its_index(folder: Path) -> None:
    whole = folder / "whole.m4a"
    finding = truncation(cut(whole, whole.stat().st_size // 2, "cut.m4a"))
    assert finding.score >= 0.9
    assert finding.evidence["declared_s"] == pytest.approx(SECONDS, abs=0.05)
    assert finding.evidence["missing_s"] == pytest.approx(SECONDS / 2, abs=1.0)
    assert finding.evidence["incomplete_unit"] == "box (mdat)"
    said = shortfall([finding])
    assert said is not None and said.declared_s == pytest.approx(SECONDS, abs=0.05)
    assert said.phrase() == f"truncated: {said.declared_s:.1f} s declared"
    assert f"the missing {said.missing_s():.2f} s could not be examined" in said.sentence()


@pytest.mark.parametrize(
    ("name", "unit"), [("whole.mp3", "frame"), ("whole.aac", "frame"), ("whole.ogg", "page")]
)
def test_a_final_frame_or_page_cut_mid_way(folder: Path, name: str, unit: str) -> None:
    whole = folder / name
    finding = truncation(cut(whole, whole.stat().st_size - 40, "short" + whole.suffix))
    assert finding.score >= 0.9
    assert finding.evidence["incomplete_unit"] == unit
    assert 0 < finding.evidence["unit_present_bytes"] < finding.evidence["unit_declared_bytes"]
    said = shortfall([finding.to_dict()])  # as a stored report holds it
    assert said is not None
    if name != "whole.mp3":  # its Xing header counts the frames meant; ADTS and Ogg do not
        assert said.declared_s is None
        assert "does not record how long it was meant to be" in said.sentence()


def test_an_ogg_stream_cut_at_a_page_boundary_lacks_its_end_mark(folder: Path) -> None:
    data = (folder / "whole.ogg").read_bytes()
    last_page = data.rindex(b"OggS")
    path = cut(folder / "whole.ogg", last_page, "unclosed.ogg")
    finding = truncation(path)
    assert finding.evidence["end_of_stream_mark"] is False
    assert 0.5 <= finding.score < 0.9


@pytest.mark.parametrize("name", ["whole.wav", "whole.mp3", "whole.m4a", "whole.aac", "whole.ogg"])
def test_payload_facts_never_raise_on_damaged_headers(folder: Path, name: str) -> None:
    """Any prefix of a real file, and the file with its bytes scrambled after the first
    kilobyte, reads as facts or as None: never an exception."""
    from earwitness.media.payload import payload_facts

    data = (folder / name).read_bytes()
    rng = np.random.default_rng(5)
    container = {".wav": "wav", ".mp3": "mp3", ".aac": "aac", ".ogg": "ogg"}.get(
        Path(name).suffix, "mov,mp4,m4a,3gp,3g2,mj2"
    )
    broken = folder / ("broken" + Path(name).suffix)
    for keep in [1, 3, 11, 27, 45, 100, 1000, len(data) // 3]:
        broken.write_bytes(data[:keep])
        payload_facts(broken, container)
    scrambled = bytearray(data)
    scrambled[1024:] = rng.integers(0, 256, len(data) - 1024, dtype=np.uint8).tobytes()
    broken.write_bytes(bytes(scrambled))
    payload_facts(broken, container)


def test_a_stored_shortfall_is_read_as_hostile() -> None:
    """Lengths count only as numbers of 0 s to four months, and a declared length only where
    it exceeds what is there: a planted report cannot make a sentence claim more."""

    def read(evidence: object) -> Shortfall | None:
        return shortfall([{"kind": "other"}, {"kind": "truncation", "evidence": evidence}])

    assert read({"declared_s": 60.0, "payload_s": 20.0}) == Shortfall(60.0, 20.0)
    assert read({"declared_s": float("nan"), "payload_s": 20.0}) == Shortfall(None, 20.0)
    assert read({"declared_s": True, "payload_s": 20.0}) == Shortfall(None, 20.0)
    assert read({"declared_s": 1e308, "payload_s": 20.0}) == Shortfall(None, 20.0)
    assert read({"declared_s": "60", "payload_s": -1}) == Shortfall(None, None)
    assert read({"declared_s": 10.0, "payload_s": 20.0}) == Shortfall(None, 20.0)
    assert read("not a mapping") == Shortfall(None, None)
    assert shortfall([{"kind": "dropout", "evidence": {"declared_s": 9.0}}]) is None
    assert read({"declared_s": 60.0, "payload_s": None}) == Shortfall(60.0, None)
    assert "declares 60.00 s and holds less" in Shortfall(60.0, None).sentence()


JSON = json_values(text_size=8, items=None)


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["kind", "evidence"]),
            st.sampled_from(["truncation", "dropout"])
            | st.dictionaries(st.sampled_from(["declared_s", "payload_s"]), JSON)
            | JSON,
        )
        | JSON,
        max_size=4,
    )
)
def test_any_stored_findings_give_a_sound_shortfall_or_none(findings: list) -> None:
    said = shortfall(findings)
    if said is None:
        return
    missing = said.missing_s()
    assert missing is None or missing > 0
    assert said.sentence().startswith("The file is truncated")
    assert "nan" not in said.sentence() + said.phrase()
