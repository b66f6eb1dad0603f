"""Decoding: every format lands on the same float scale, and damage is counted, not fatal."""

from __future__ import annotations

import wave
from pathlib import Path

import av
import numpy as np
import pytest

from earwitness.media.decode import DecodeError, decode_audio, iter_audio_chunks
from tests.conftest import encode, write_wav


def _pcm_wav(path: Path, frames: np.ndarray, rate: int, width: int) -> Path:
    """Write integer PCM ``frames`` (n, channels) with the given sample width in bytes."""
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(frames.shape[1])
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(np.ascontiguousarray(frames).tobytes())
    return path


def _read_s16(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as reader:
        return np.frombuffer(reader.readframes(reader.getnframes()), "<i2")


def _tone(seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    """The tone ``tests.conftest.encode`` writes, as int16."""
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 330 * t) * 32767).astype(np.int16)


def test_wav_s16_exact_values(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", seconds=1.5, rate=8000, seed=3)
    decoded = decode_audio(path)
    expected = _read_s16(path) / 32768.0
    assert decoded.sample_rate == 8000
    assert decoded.channels == 1
    assert decoded.codec == "pcm_s16le"
    assert decoded.source_sample_format == "s16"
    assert decoded.decode_errors == 0
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.shape == (12000,)
    np.testing.assert_array_equal(decoded.samples, expected.astype(np.float32))
    assert decoded.duration_s == pytest.approx(1.5)


def test_stereo_planar_channels_and_downmix(tmp_path: Path) -> None:
    n = 4000
    left = np.arange(n, dtype=np.int16) - 2000
    right = np.full(n, 1000, dtype=np.int16)
    path = _pcm_wav(tmp_path / "st.wav", np.stack([left, right], axis=1).astype("<i2"), 8000, 2)
    both = decode_audio(path, mono=False)
    assert both.channels == 2
    assert both.samples.shape == (2, n)
    np.testing.assert_array_equal(both.samples[0], left / 32768.0)
    np.testing.assert_array_equal(both.samples[1], right / 32768.0)
    mono = decode_audio(path)
    assert mono.channels == 2  # the source's count, before the downmix
    assert mono.samples.shape == (n,)
    np.testing.assert_allclose(mono.samples, (left + 1000.0) / 2 / 32768.0, atol=1e-7)


@pytest.mark.parametrize(
    ("width", "dtype", "full_scale", "offset"),
    [(1, np.uint8, 128.0, 128), (4, np.int32, 2.0**31, 0)],
)
def test_integer_formats_scale_to_unit_range(
    tmp_path: Path, width: int, dtype: type, full_scale: float, offset: int
) -> None:
    info = np.iinfo(dtype)
    values = np.array([info.min, info.max, offset, offset + 1], dtype=dtype)
    path = _pcm_wav(tmp_path / "w.wav", np.tile(values, 100)[:, None], 8000, width)
    decoded = decode_audio(path)
    expected = (values.astype(np.float64) - offset) / full_scale
    np.testing.assert_allclose(decoded.samples[:4], expected, rtol=1e-6, atol=1e-9)
    assert decoded.samples.min() == -1.0
    assert decoded.samples.max() <= 1.0  # s32's largest value rounds to 1.0 in float32


def test_flac_is_lossless(tmp_path: Path) -> None:
    path = encode(tmp_path / "t.flac", "flac", "flac", seconds=1.0, rate=16000)
    decoded = decode_audio(path)
    assert decoded.codec == "flac"
    assert decoded.sample_rate == 16000
    np.testing.assert_array_equal(decoded.samples[:16000], _tone() / np.float32(32768))


def test_float_wav(tmp_path: Path) -> None:
    x = (0.5 * np.sin(np.arange(2048) / 10)).astype(np.float32)
    path = tmp_path / "f.wav"
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(x[None, :], "flt", "mono")
        frame.sample_rate = 8000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    decoded = decode_audio(path)
    assert decoded.source_sample_format.startswith("flt")
    np.testing.assert_array_equal(decoded.samples, x)


def test_mp3_rate_length_and_level(tmp_path: Path) -> None:
    path = encode(tmp_path / "t.mp3", "libmp3lame", "mp3", seconds=2.0, rate=16000)
    decoded = decode_audio(path)
    assert decoded.codec == "mp3"
    assert decoded.sample_rate == 16000
    # The encoder pads to whole frames; the decoder may keep part of that.
    assert 32000 <= decoded.samples.size <= 32000 + 2 * 1152
    rms = float(np.sqrt(np.mean(decoded.samples[2000:30000] ** 2)))
    assert rms == pytest.approx(0.3 / np.sqrt(2), rel=0.1)  # low default bit rate at 16 kHz


def test_max_seconds_stops_early(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", seconds=3.0, rate=8000)
    assert decode_audio(path, max_seconds=1.25).samples.size == 10000
    assert decode_audio(path, mono=False, max_seconds=0.5).samples.shape == (1, 4000)


def test_chunks_cover_the_stream(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "c.wav", seconds=2.5, rate=8000, seed=1)
    chunks = list(iter_audio_chunks(path, seconds=1.0))
    assert [c.size for c in chunks] == [8000, 8000, 4000]
    assert all(c.dtype == np.float32 for c in chunks)
    np.testing.assert_array_equal(np.concatenate(chunks), decode_audio(path).samples)


@pytest.mark.parametrize("content", [b"", b"not audio at all " * 200, bytes(range(256)) * 40])
def test_garbage_raises_decode_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.wav"
    path.write_bytes(content)
    with pytest.raises(DecodeError) as info:
        decode_audio(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_raises_decode_error(tmp_path: Path) -> None:
    with pytest.raises(DecodeError, match=r"missing\.wav"):
        decode_audio(tmp_path / "missing.wav")


def test_corrupt_packets_are_counted_and_skipped(tmp_path: Path) -> None:
    path = encode(tmp_path / "t.mp3", "libmp3lame", "mp3", seconds=3.0, rate=16000)
    intact = decode_audio(path)
    assert intact.decode_errors == 0
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = np.random.default_rng(0).integers(0, 256, 400, np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp3"
    damaged.write_bytes(bytes(data))
    decoded = decode_audio(damaged)
    assert decoded.decode_errors >= 1
    # Decoding went on past the damage: most of the recording is still there.
    assert decoded.samples.size > 0.8 * intact.samples.size
