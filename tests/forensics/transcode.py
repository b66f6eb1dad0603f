"""Real recordings written the way messengers and converters write them, for the tests of
genuine artefacts and truncation: PyAV encoders at messenger bit rates, into a test's folder."""

from __future__ import annotations

import wave
from math import gcd
from pathlib import Path

import av
import numpy as np
from scipy.signal import resample_poly

# name: (encoder, bit rate, file extension), the messenger settings the issue names
MESSENGER = {
    "opus16": ("libopus", 16_000, ".ogg"),
    "opus24": ("libopus", 24_000, ".ogg"),
    "aac32": ("aac", 32_000, ".m4a"),
    "mp3_64": ("libmp3lame", 64_000, ".mp3"),
}


def pcm16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")


def write_wav(samples: np.ndarray, rate: int, path: Path) -> Path:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm16(samples).tobytes())
    return path


def encode(
    samples: np.ndarray,
    rate: int,
    path: Path,
    encoder: str,
    bit_rate: int,
    options: dict[str, str] | None = None,
) -> Path:
    """Mono ``samples`` (−1..1) encoded with PyAV (Opus at 48 kHz, as messengers send it)."""
    if encoder == "libopus" and rate not in (8000, 12000, 16000, 24000, 48000):
        divisor = gcd(48000, rate)
        samples, rate = resample_poly(samples, 48000 // divisor, rate // divisor), 48000
    pcm = pcm16(samples)
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream(encoder, rate=rate, layout="mono")
        stream.bit_rate = bit_rate
        for start in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(
                pcm[None, start : start + 4096], format="s16", layout="mono"
            )
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def messenger_copy(samples: np.ndarray, rate: int, folder: Path, name: str) -> Path:
    encoder, bit_rate, suffix = MESSENGER[name]
    return encode(samples, rate, folder / f"{name}{suffix}", encoder, bit_rate)


def cut(path: Path, keep_bytes: int, name: str) -> Path:
    """The first ``keep_bytes`` of ``path``, as ``name`` beside it."""
    out = path.with_name(name)
    out.write_bytes(path.read_bytes()[:keep_bytes])
    return out
