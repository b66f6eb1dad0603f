from pathlib import Path

import pytest

from earwitness.media.probe import ProbeError, probe
from tests.conftest import SHARED, encode, needs_shared, write_wav


def test_wav_facts(tmp_path: Path) -> None:
    info = probe(write_wav(tmp_path / "a.wav", 1.5, rate=8000)).to_dict()
    assert (info["container"], info["codec"], info["sample_rate"], info["channels"]) == (
        "wav",
        "pcm_s16le",
        8000,
        1,
    )
    stream = info["streams"][0]
    assert stream["bits_per_sample"] == 16 and stream["sample_format"] == "s16"
    assert stream["frames"] == 12000
    assert info["duration_s"] == pytest.approx(1.5, abs=1e-3)
    assert info["warnings"] == []


@pytest.mark.parametrize(
    ("codec", "fmt", "suffix", "container", "expected_codec"),
    [
        ("libmp3lame", "mp3", ".mp3", "mp3", "mp3"),
        ("flac", "flac", ".flac", "flac", "flac"),
        ("aac", "ipod", ".m4a", "mov,mp4,m4a,3gp,3g2,mj2", "aac"),
        ("libopus", "ogg", ".opus", "ogg", "opus"),
    ],
)
def test_compressed_formats(tmp_path, codec, fmt, suffix, container, expected_codec) -> None:
    info = probe(encode(tmp_path / f"a{suffix}", codec, fmt, 2.0))
    assert info.container == container
    assert info.audio is not None and info.audio.codec == expected_codec
    assert info.audio.frames and info.audio.frames > 10
    assert info.duration_s == pytest.approx(2.0, abs=0.15)  # encoder padding
    assert info.warnings == []


def test_tags_are_kept(tmp_path: Path) -> None:
    info = probe(encode(tmp_path / "a.m4a", "aac", "ipod"))
    assert any(key in info.tags for key in ("encoder", "major_brand"))


def test_extension_is_judged_by_the_original_name(tmp_path: Path) -> None:
    mp3 = encode(tmp_path / "a.mp3", "libmp3lame", "mp3")
    assert probe(mp3).warnings == []
    [warning] = probe(mp3, original_name="meeting.wav").warnings
    assert "MP2/3" in warning and ".wav" in warning


def test_not_media_raises_probe_error(tmp_path: Path) -> None:
    path = tmp_path / "x.wav"
    path.write_bytes(b"\x00" * 10 + b"hello world" * 3)
    with pytest.raises(ProbeError, match="not readable as media"):
        probe(path)


@needs_shared("data/real/speech/en")
def test_real_recordings_probe(tmp_path: Path) -> None:
    jfk = probe(SHARED / "data/real/speech/en/faster-whisper/jfk.flac")
    assert (jfk.audio.codec, jfk.audio.sample_rate, jfk.audio.channels) == ("flac", 44100, 2)
    fleurs = probe(SHARED / "data/real/speech/en/fleurs-en-cuttledoc/fleurs-en-001.ogg")
    assert fleurs.audio.codec == "opus"
