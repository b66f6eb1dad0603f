"""Block-wise reading of long recordings: the same numbers as in one go, in bounded memory."""

from __future__ import annotations

import resource
import wave
from math import gcd
from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from earwitness.media import blocks
from earwitness.media.decode import decode_audio, decode_to_memmap, resample
from earwitness.media.heap import trim_heap
from tests.conftest import encode, write_wav


def _stereo_wav(path: Path, seconds: float, rate: int) -> Path:
    rng = np.random.default_rng(4)
    frames = (rng.standard_normal((int(seconds * rate), 2)) * 3000).astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames.tobytes())
    return path


@pytest.mark.parametrize("make", ["wav", "stereo", "mp3"])
def test_decode_to_memmap_gives_decode_audios_samples(tmp_path: Path, make: str) -> None:
    if make == "wav":
        path = write_wav(tmp_path / "a.wav", seconds=2.0, rate=8000, seed=5)
    elif make == "stereo":
        path = _stereo_wav(tmp_path / "s.wav", 1.5, 44100)
    else:
        path = encode(tmp_path / "a.mp3", "libmp3lame", "mp3", seconds=2.0)
    expected = decode_audio(path, mono=True)
    mapped = decode_to_memmap(path, directory=tmp_path)
    assert isinstance(mapped.samples, np.memmap)
    assert not mapped.samples.flags.writeable
    np.testing.assert_array_equal(mapped.samples, expected.samples)
    assert (mapped.sample_rate, mapped.channels, mapped.codec) == (
        expected.sample_rate,
        expected.channels,
        expected.codec,
    )
    assert list(tmp_path.glob("earwitness-decoded-*")) == []  # removed once mapped


def test_decode_to_memmap_stops_at_max_seconds(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "a.wav", seconds=3.0, rate=8000)
    mapped = decode_to_memmap(path, max_seconds=1.25)
    np.testing.assert_array_equal(mapped.samples, decode_audio(path, max_seconds=1.25).samples)
    assert len(mapped.samples) == 10000


def test_blocks_cover_the_range_once_with_margins() -> None:
    spans = list(blocks.blocks(10, size=4, margin=3))
    assert spans == [(0, 4, 0, 7), (4, 8, 1, 10), (8, 10, 5, 10)]


def test_spill_and_read_round_trip(tmp_path: Path) -> None:
    data = np.arange(1000, dtype=np.float64)
    parts = ((start, data[start:stop]) for start, stop, _, _ in blocks.blocks(1000, 300))
    mapped = blocks.spill(parts, 1000, directory=tmp_path)
    assert isinstance(mapped, np.memmap)
    np.testing.assert_array_equal(mapped, data)
    np.testing.assert_array_equal(blocks.read(mapped, 990, 2000, np.float32), data[990:])
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="expected"):
        blocks.spill([(0, data[:10])], 11, directory=tmp_path)


def test_extremes_match_numpy() -> None:
    x = np.random.default_rng(1).standard_normal(10001).astype(np.float32)
    assert blocks.extremes(x, size=64) == (float(x.max()), float(x.min()))
    x[5000] = np.nan
    assert all(np.isnan(blocks.extremes(x, size=64)))


@pytest.mark.parametrize(
    ("rate", "to"), [(48000, 16000), (44100, 16000), (48000, 1000), (8000, 16000), (22050, 8000)]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_resample_blocks_equal_resample_poly_to_the_bit(rate: int, to: int, dtype: type) -> None:
    x = np.random.default_rng(rate).standard_normal(3 * rate + 17).astype(dtype)
    common = gcd(rate, to)
    whole = signal.resample_poly(x, to // common, rate // common)
    parts = list(blocks.resample_blocks(x, rate, to, size=rate // 3, dtype=dtype))
    assert len(parts) > 3
    joined = np.concatenate([part for _, part in parts])
    assert [first for first, _ in parts][1] == len(parts[0][1])
    np.testing.assert_array_equal(joined, whole)
    assert blocks.resampled_length(len(x), rate, to) == len(whole)


def test_resample_of_a_long_signal_is_mapped_and_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(2).standard_normal(48000 * 2).astype(np.float32)
    whole = signal.resample_poly(x, 1, 3)
    monkeypatch.setattr(blocks, "BLOCK", 5000)
    out = resample(x, 48000, 16000)
    assert isinstance(out, np.memmap) and out.dtype == np.float32
    np.testing.assert_array_equal(out, whole)


def _resident_kib() -> int:
    with open("/proc/self/statm") as stat:
        return int(stat.read().split()[1]) * resource.getpagesize() // 1024


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_reading_a_mapped_recording_in_blocks_keeps_it_out_of_memory(tmp_path: Path) -> None:
    size = 64 * 1024 * 1024 // 8  # 64 MiB of float64
    parts = ((start, np.full(stop - start, 0.5)) for start, stop, _, _ in blocks.blocks(size))
    mapped = blocks.spill(parts, size, directory=tmp_path)
    trim_heap()  # every figure below is taken after a trim, so the heap's leftovers cancel out
    before = _resident_kib()
    total = sum(float(part.sum()) for _, _, _, part in blocks.iter_read(mapped, 1 << 20))
    assert total == 0.5 * size
    # The block copies are freed to malloc, which may keep them when earlier tests have raised
    # its mmap threshold; this test is about the mapped pages.
    trim_heap()
    # Without releasing, all 64 MiB would now be resident; blocks of 8 MiB leave about one.
    assert _resident_kib() - before < 24 * 1024
    assert float(mapped[: 1 << 22].sum()) == 0.5 * (1 << 22)  # read in place: stays resident
    assert _resident_kib() - before >= 28 * 1024
    blocks.release(mapped[: 1 << 22])
    trim_heap()
    assert _resident_kib() - before < 24 * 1024
