"""Attack: tell from a published video whose copy of a recording leaked.

Whoever handed the recording out gave each recipient a copy of their own: the same sound,
but a different file (here, a different AAC encode and a tag naming the recipient; in real
life also watermarks). A video that carries the leaked copy's SHA-256 or its packets
unchanged points at one recipient. With ``protect_source`` the video must carry neither the
hash, nor any packet of any copy, nor any tag, nor an encoder's signature, and publishing the
same copy twice must not give the same file (else the distributor could rerun Earwitness on
each copy and compare hashes). The sound itself stays the recording's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import numpy as np
import pytest

from earwitness.formats.subtitles import Caption
from earwitness.media.decode import decode_audio
from earwitness.media.probe import probe
from earwitness.publish.video import render_video

RATE = 16000
CAPTIONS = [Caption(0.5, 2.0, None, ("The budget is approved.",), ())]


def _speechlike(seconds: float = 4.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    voiced = (np.sin(2 * np.pi * 3 * t) > 0).astype(float)
    return 0.3 * (np.sin(2 * np.pi * 180 * t) + 0.5 * np.sin(2 * np.pi * 540 * t)) * voiced


def _recipient_copy(path: Path, recipient: str, bit_rate: int) -> Path:
    """The recording as handed to ``recipient``: an AAC encode of its own, tagged."""
    samples = _speechlike().astype(np.float32)
    with av.open(str(path), "w", format="ipod") as container:
        container.metadata.update({"title": f"Briefing, copy for {recipient}", "artist": recipient})
        stream = container.add_stream("aac", rate=RATE, layout="mono")
        stream.codec_context.bit_rate = bit_rate
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="fltp", layout="mono")
        frame.sample_rate, frame.pts = RATE, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def _packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size > 16]


def _publish(source: Path, output: Path, protect: bool) -> bytes:
    sha256 = hashlib.sha256(source.read_bytes()).hexdigest()
    media = probe(source).to_dict()
    render_video(source, output, CAPTIONS, sha256=sha256, media=media, protect_source=protect)
    return output.read_bytes()


@pytest.fixture
def copies(tmp_path: Path) -> dict[str, Path]:
    return {
        "Jane Roe": _recipient_copy(tmp_path / "copy-a.m4a", "Jane Roe", 64_000),
        "John Doe": _recipient_copy(tmp_path / "copy-b.m4a", "John Doe", 96_000),
    }


def test_an_unprotected_video_points_at_the_copy_it_came_from(
    copies: dict[str, Path], tmp_path: Path
) -> None:
    """The control: without protection the leaked copy is plain to see."""
    leaked = copies["Jane Roe"]
    published = _publish(leaked, tmp_path / "plain.mp4", protect=False)
    assert hashlib.sha256(leaked.read_bytes()).hexdigest().encode() in published
    assert all(packet in published for packet in _packets(leaked))
    others = set(_packets(copies["John Doe"])) - set(_packets(leaked))  # silence is alike
    assert others and not any(packet in published for packet in others)


def test_a_protected_video_names_no_copy(copies: dict[str, Path], tmp_path: Path) -> None:
    leaked = copies["Jane Roe"]
    published = _publish(leaked, tmp_path / "protected.mp4", protect=True)
    for recipient, copy in copies.items():
        digest = hashlib.sha256(copy.read_bytes()).hexdigest()
        assert digest.encode() not in published and digest[:12].encode() not in published
        assert not any(packet in published for packet in _packets(copy))
        assert recipient.encode() not in published
    for signature in (b"Lavc", b"Lavf", b"x264", b"Earwitness", b"copy for"):
        assert signature not in published
    with av.open(str(tmp_path / "protected.mp4")) as video:
        tags = dict(video.metadata)
        for stream in video.streams:
            tags.update(stream.metadata)
        assert video.streams.audio[0].codec_context.name == "aac"
    required = {"major_brand", "minor_version", "compatible_brands", "language", "handler_name"}
    assert set(tags) <= required  # only what the MP4 container itself must say


def test_publishing_the_same_copy_twice_gives_two_different_files(
    copies: dict[str, Path], tmp_path: Path
) -> None:
    leaked = copies["Jane Roe"]
    first = _publish(leaked, tmp_path / "first.mp4", protect=True)
    second = _publish(leaked, tmp_path / "second.mp4", protect=True)
    assert hashlib.sha256(first).digest() != hashlib.sha256(second).digest()


def test_the_protected_sound_is_still_the_recording(
    copies: dict[str, Path], tmp_path: Path
) -> None:
    leaked = copies["Jane Roe"]
    _publish(leaked, tmp_path / "protected.mp4", protect=True)
    original = decode_audio(leaked).samples
    published = decode_audio(tmp_path / "protected.mp4").samples
    assert abs(len(published) - len(original)) < 0.05 * RATE
    length = min(len(original), len(published))
    a, b = np.asarray(original[:length], float), np.asarray(published[:length], float)
    lags = range(-2048, 2049, 16)
    best = max(
        float(np.dot(a[max(k, 0) : length + min(k, 0)], b[max(-k, 0) : length - max(k, 0)]))
        for k in lags
    )
    assert best / np.sqrt(np.dot(a, a) * np.dot(b, b)) > 0.9
