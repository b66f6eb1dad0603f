"""Shared fixtures: every test gets its own signing-key folder and actor, never the user's."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from earwitness.vault.case import Case
from tests.postgres_server import postgresql_database, postgresql_server, postgresql_url  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the schemas and real recordings, beside the checkout


def _absent(relative: str | Path) -> str:
    path = SHARED / relative
    shown = Path("..", path.relative_to(REPO.parent)) if path.is_relative_to(REPO.parent) else path
    return f"../shared is absent (this test reads {shown}, beside the checkout)"


def shared(relative: str | Path) -> Path:
    """``../shared/RELATIVE`` (an absolute path under it is taken as it is), or skip the test
    asking for it: a clone without ../shared beside it runs every other test."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(_absent(relative))
    return path


def needs_shared(*relative: str) -> pytest.MarkDecorator:
    """A mark that skips a test or module unless every ``../shared/RELATIVE`` exists."""
    missing = [name for name in relative if not (SHARED / name).exists()]
    return pytest.mark.skipif(bool(missing), reason=_absent(missing[0]) if missing else "")


@pytest.fixture(autouse=True)
def isolated_identity(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    config = tmp_path_factory.mktemp("config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.setenv("EARWITNESS_ACTOR", "tester@lab")
    monkeypatch.delenv("EARWITNESS_CASE", raising=False)
    monkeypatch.setenv("CI", "true")
    return config


@pytest.fixture
def case(tmp_path: Path) -> Case:
    created, _ = Case.init(tmp_path / "case")
    return created


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000, seed: int = 0) -> Path:
    """A short 16-bit mono WAV: a tone plus noise, different for every seed."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    signal = 0.3 * np.sin(2 * np.pi * (220 + seed) * t) + 0.05 * rng.standard_normal(len(t))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes((np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def encode(path: Path, codec: str, fmt: str, seconds: float = 1.0, rate: int = 16000) -> Path:
    """Encode a tone with PyAV (e.g. codec 'libmp3lame', format 'mp3')."""
    t = np.arange(int(seconds * rate)) / rate
    return encode_samples(path, 0.3 * np.sin(2 * np.pi * 330 * t), rate, codec, fmt)


def encode_samples(
    path: Path, samples: np.ndarray, rate: int, codec: str, fmt: str, bit_rate: int | None = None
) -> Path:
    """Encode mono float ``samples`` (−1..1) with PyAV, e.g. codec 'libmp3lame', format 'mp3'."""
    import av

    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            stream.bit_rate = bit_rate
        size = stream.codec_context.frame_size or 1024
        for start in range(0, len(pcm), size):
            chunk = pcm[None, start : start + size]
            if stream.codec_context.frame_size and chunk.shape[1] < size:
                chunk = np.pad(chunk, ((0, 0), (0, size - chunk.shape[1])))
            frame = av.AudioFrame.from_ndarray(chunk, "s16", "mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path
