"""Compression history on material with a known past: MP3 → WAV, upsampled, clean broadband."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from scipy import signal

from earwitness.forensics.compression import check_compression, is_lossy
from earwitness.media.decode import decode_audio
from tests.conftest import SHARED, needs_shared

TIMIT = SHARED / "data/real/speech/en/deepspeech-smoke/LDC93S1.wav"


def speech_like(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Broadband test material: syllable-paced voiced harmonics and fricatives over pink and
    white noise (full band up to Nyquist, as a microphone recording would be)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    spectrum = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / rate)
    pink = np.fft.irfft(spectrum / np.sqrt(np.maximum(f, 20.0)), n)
    pink /= pink.std()
    envelope = np.clip(1.2 * np.sin(2 * np.pi * 3.7 * t + rng.uniform(0, 6)), 0, None) ** 1.5
    phase = 2 * np.pi * np.cumsum(140 + 30 * np.sin(2 * np.pi * 0.5 * t)) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 40) if k * 180 < rate / 2)
    voiced = signal.lfilter(*signal.butter(2, [500, 3000], "band", fs=rate), voiced)
    fricative = signal.lfilter(*signal.butter(2, min(4000, rate / 4), "high", fs=rate), pink)
    speech = envelope * (2 * voiced + 0.3 * fricative)
    x = 0.05 * pink + 0.02 * rng.standard_normal(n) + 0.6 * speech / np.abs(speech).max()
    return 0.7 * x / np.abs(x).max()


def write_wav16(path: Path, x: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((np.clip(x, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def encode_mp3(path: Path, x: np.ndarray, rate: int, bit_rate: int | None = None) -> Path:
    """MP3 with LAME through PyAV, at its default bit rate unless one is given."""
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        size = stream.codec_context.frame_size or 1152
        pcm = np.pad(pcm, (0, -len(pcm) % size))
        for start in range(0, len(pcm), size):
            frame = av.AudioFrame.from_ndarray(pcm[None, start : start + size], "s16", "mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def transcode_to_wav(tmp_path: Path, x: np.ndarray, rate: int, bit_rate: int | None = None):
    """The file a careless converter makes: MP3 decoded and saved as 16-bit WAV."""
    mp3 = encode_mp3(tmp_path / "first.mp3", x, rate, bit_rate)
    wav = write_wav16(tmp_path / "transcoded.wav", decode_audio(mp3).samples, rate)
    return decode_audio(wav)


def scores(result) -> dict[str, float]:
    out: dict[str, float] = {}
    for finding in result.findings:
        out[finding.kind] = max(out.get(finding.kind, 0.0), finding.score)
    return out


@pytest.fixture(scope="module")
def material() -> np.ndarray:
    return speech_like(6.0, 44100)


def test_clean_broadband_wav_is_flagged_neither(tmp_path: Path, material: np.ndarray) -> None:
    decoded = decode_audio(write_wav16(tmp_path / "clean.wav", material, 44100))
    result = check_compression(decoded.samples, 44100, codec=decoded.codec)
    assert result.status == "ok"
    assert result.metrics["cutoff_hz"] is None
    assert result.metrics["reencoding_score"] <= 0.2
    assert all(f.score < 0.2 for f in result.findings), result.findings
    assert "no indication" in result.summary


def test_mp3_transcoded_to_wav_is_flagged_reencoding(tmp_path: Path, material: np.ndarray) -> None:
    decoded = transcode_to_wav(tmp_path, material, 44100)
    result = check_compression(decoded.samples, 44100, codec=decoded.codec)
    found = scores(result)
    assert found.get("reencoding", 0) >= 0.8, result.summary
    # LAME's low-pass at its default rate sits near 16.5 kHz: a band limit, not upsampling.
    assert found.get("bandwidth_limit", 0) >= 0.5
    assert "upsampling" not in found
    limit = next(f for f in result.findings if f.kind == "bandwidth_limit")
    assert 15000 < limit.evidence["cutoff_hz"] < 18000


def test_low_bit_rate_16k_speech_is_flagged(tmp_path: Path) -> None:
    x = speech_like(6.0, 16000, seed=5)
    clean = check_compression(x.astype(np.float32), 16000, codec="pcm_s16le")
    assert clean.metrics["reencoding_score"] <= 0.2
    # 16 kbit/s, below LAME's default of 24 kbit/s at this rate.
    decoded = transcode_to_wav(tmp_path, x, 16000, bit_rate=16000)
    assert check_compression(decoded.samples, 16000).metrics["reencoding_score"] >= 0.8


def test_8k_upsampled_to_44k_is_flagged_upsampling(material: np.ndarray) -> None:
    narrow = speech_like(6.0, 8000, seed=3)
    up = signal.resample_poly(narrow, 441, 80).astype(np.float32)
    up = np.round(up * 32767) / 32768
    result = check_compression(up, 44100, codec="pcm_s16le")
    found = scores(result)
    assert found.get("upsampling", 0) >= 0.8, result.summary
    finding = next(f for f in result.findings if f.kind == "upsampling")
    assert finding.evidence["probable_original_rate"] == 8000
    assert finding.evidence["cutoff_hz"] == pytest.approx(4000, rel=0.06)
    assert found.get("reencoding", 0) < 0.3
    assert "bandwidth_limit" not in found


def test_lossy_file_is_not_accused_of_earlier_coding(tmp_path: Path, material: np.ndarray) -> None:
    mp3 = decode_audio(encode_mp3(tmp_path / "own.mp3", material, 44100))
    result = check_compression(mp3.samples, 44100, codec=mp3.codec)
    assert mp3.codec == "mp3"
    assert result.metrics["file_is_lossy"] is True
    assert "itself is lossy-coded (mp3)" in result.summary
    assert [f for f in result.findings if f.kind in ("reencoding", "bandwidth_limit")] == []
    assert result.metrics["cutoff_hz"] is not None  # still measured


def test_mp3_insert_in_a_clean_recording_is_located(tmp_path: Path) -> None:
    x = speech_like(60.0, 16000, seed=7)
    coded = transcode_to_wav(tmp_path, x[20 * 16000 : 30 * 16000], 16000, bit_rate=16000)
    y = x.astype(np.float32)
    y[20 * 16000 : 30 * 16000] = coded.samples[: 10 * 16000]
    result = check_compression(y, 16000, codec="pcm_s16le")
    parts = [f for f in result.findings if f.kind == "reencoding" and f.score >= 0.5]
    assert parts, result.summary
    assert all(f.start_s >= 15 and f.end_s <= 35 for f in parts)


def test_not_applicable_inputs() -> None:
    assert check_compression(np.zeros(100, np.float32), 16000).status == "not_applicable"
    assert check_compression(np.zeros(16000, np.float32), 16000).status == "not_applicable"
    assert check_compression(np.ones(4000, np.float32), 400).status == "not_applicable"


def test_codec_names() -> None:
    assert is_lossy("mp3") and is_lossy("AAC") and is_lossy("adpcm_ima_wav")
    assert not is_lossy("pcm_s16le") and not is_lossy("flac") and not is_lossy(None)


@pytest.mark.slow
def test_an_hour_is_fast() -> None:
    x = (0.1 * np.random.default_rng(0).standard_normal(3600 * 16000, np.float32)).round(4)
    started = time.perf_counter()
    result = check_compression(x, 16000, codec="pcm_s16le")
    assert time.perf_counter() - started < 3.0
    assert result.status == "ok"


@needs_shared("data/real/speech/en/deepspeech-smoke/LDC93S1.wav")
def test_real_speech_clean_versus_transcoded(tmp_path: Path) -> None:
    original = decode_audio(TIMIT)
    clean = check_compression(original.samples, original.sample_rate, codec=original.codec)
    assert clean.metrics["reencoding_score"] <= 0.2
    decoded = transcode_to_wav(tmp_path, original.samples, original.sample_rate)
    result = check_compression(decoded.samples, decoded.sample_rate, codec=decoded.codec)
    assert result.metrics["reencoding_score"] >= 0.8
