"""The NumPy GE2E encoder: weights from resemblyzer's wheel, preprocessing, embeddings."""

from __future__ import annotations

import hashlib
import itertools
import os
import pickle
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from earwitness.speech import speaker_encoder as se
from tests.conftest import REPO, SHARED
from tests.conftest import needs_shared as needs_shared_files

REAL = SHARED / "data" / "real"
JFK = "speech/en/whisper.cpp/jfk.wav"
SAMPLE = "diarization/pyannote-audio/sample/sample.wav"
needs_shared = needs_shared_files("data/real")


def read_clip(relative: str, start: float = 0.0, end: float | None = None) -> np.ndarray:
    """Float32 samples of a 16 kHz real recording, as the reference script reads them."""
    rate, data = wavfile.read(REAL / relative)
    assert rate == se.SAMPLE_RATE
    if data.dtype == np.int16:
        data = data.astype(np.float32) / 32768.0
    stop = None if end is None else round(end * rate)
    return np.asarray(data, dtype=np.float32)[round(start * rate) : stop]


@pytest.fixture(scope="module")
def encoder() -> se.SpeakerEncoder:
    return se.SpeakerEncoder()


# -- weights ----------------------------------------------------------------------------


def test_weights_come_from_the_pinned_wheel_without_importing_it() -> None:
    path = se.find_weights()
    assert path.name == "pretrained.pt" and path.parent.name == "resemblyzer"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == se.WEIGHTS_SHA256
    assert "resemblyzer" not in sys.modules and "torch" not in sys.modules


def test_checkpoint_loads_as_numpy_state_dict() -> None:
    state = se.load_checkpoint(se.find_weights())["model_state"]
    assert state["lstm.weight_ih_l0"].shape == (1024, 40)
    for layer in range(3):
        assert state[f"lstm.weight_hh_l{layer}"].shape == (1024, 256)
        assert state[f"lstm.bias_ih_l{layer}"].dtype == np.float32
    assert state["linear.weight"].shape == (256, 256)
    assert all(np.isfinite(v).all() for v in state.values())


def test_altered_weights_are_refused(tmp_path: Path) -> None:
    altered = tmp_path / "pretrained.pt"
    shutil.copyfile(se.find_weights(), altered)
    with altered.open("r+b") as handle:
        handle.seek(-5, os.SEEK_END)
        byte = handle.read(1)
        handle.seek(-5, os.SEEK_END)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(se.WeightsError, match="SHA-256"):
        se.SpeakerEncoder(altered)


def _legacy_checkpoint(body: bytes, storages: list[tuple[str, np.ndarray]]) -> bytes:
    """A checkpoint in torch's legacy layout around a hand-written pickle ``body``."""
    parts = [pickle.dumps(value, protocol=2) for value in (se._TORCH_MAGIC, 1001)]
    parts.append(pickle.dumps({"little_endian": True}, protocol=2))
    parts += [body, pickle.dumps([key for key, _ in storages], protocol=2)]
    for _, array in storages:
        parts.append(struct.pack("<q", array.size) + array.astype("<f4").tobytes())
    return b"".join(parts)


def _unicode(text: str) -> bytes:
    return b"X" + struct.pack("<I", len(text)) + text.encode()


def _tensor(key: str, numel: int, offset: int, shape: tuple, stride: tuple) -> bytes:
    """Opcodes of ``_rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())``
    as torch writes them (see pickletools.dis of pretrained.pt)."""

    def ints(values: tuple) -> bytes:
        return b"(" + b"".join(b"J" + struct.pack("<i", v) for v in values) + b"t"

    storage = b"((" + _unicode("storage") + b"ctorch\nFloatStorage\n" + _unicode(key)
    storage += _unicode("cpu") + b"J" + struct.pack("<i", numel) + b"Nt" + b"Q"
    tail = ints(shape) + ints(stride) + b"\x89ccollections\nOrderedDict\n)Rt"
    return (
        b"ctorch._utils\n_rebuild_tensor_v2\n" + storage + b"J" + struct.pack("<i", offset) + tail
    )


def test_reader_rebuilds_strided_tensors_from_a_handmade_checkpoint(tmp_path: Path) -> None:
    data = np.arange(12, dtype=np.float32)
    body = b"\x80\x02}(" + _unicode("plain") + _tensor("0", 12, 0, (3, 4), (4, 1)) + b"R"
    body += _unicode("transposed") + _tensor("0", 12, 2, (2, 3), (1, 4)) + b"Ru."
    path = tmp_path / "tiny.pt"
    path.write_bytes(_legacy_checkpoint(body, [("0", data)]))
    loaded = se.load_checkpoint(path, hashlib.sha256(path.read_bytes()).hexdigest())
    np.testing.assert_array_equal(loaded["plain"], data.reshape(3, 4))
    np.testing.assert_array_equal(loaded["transposed"], data.reshape(3, 4)[:, 2:4].T)


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec", "out of bounds"])
def test_reader_refuses_anything_but_tensors(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "pwned"
    bodies = {
        "os.system": b"cos\nsystem\n" + _unicode(f"touch {marker}") + b"\x85R.",
        "builtins.exec": b"cbuiltins\nexec\n" + _unicode(f"open('{marker}', 'w')") + b"\x85R.",
        "out of bounds": _tensor("0", 4, 2, (4,), (1,)) + b"R.",
    }
    path = tmp_path / "evil.pt"
    path.write_bytes(_legacy_checkpoint(b"\x80\x02" + bodies[kind], [("0", np.zeros(4))]))
    with pytest.raises(se.WeightsError):
        se.load_checkpoint(path, hashlib.sha256(path.read_bytes()).hexdigest())
    assert not marker.exists()


# -- preprocessing ------------------------------------------------------------------------


def test_mel_filterbank_matches_librosa_slaney() -> None:
    bank = se.mel_filterbank()
    assert bank.shape == (40, 201) and bank.dtype == np.float32 and (bank >= 0).all()
    # Values of librosa.filters.mel(sr=16000, n_fft=400, n_mels=40) (librosa 0.11, the
    # filterbank resemblyzer uses); the reference test compares every entry.
    peaks = [2, 4, 6, 7, 9, 11, 13, 15, 17, 18, 20, 22, 24, 26, 28, 30, 32, 35, 38, 41, 44, 47]
    peaks += [51, 55, 59, 64, 69, 75, 80, 87, 94, 101, 109, 118, 127, 137, 148, 159, 172, 185]
    assert bank.argmax(axis=1).tolist() == peaks
    widths = [3, 4, 4, 4, 4, 3, 3, 4, 4, 4, 4, 3, 3, 4, 5, 5, 4, 5, 6, 6, 7, 8, 8, 8, 9, 10, 10]
    widths += [11, 12, 13, 15, 16, 16, 17, 19, 21, 23, 24, 26, 28]
    assert np.count_nonzero(bank, axis=1).tolist() == widths
    assert bank[0, 1] == pytest.approx(0.0073902095, rel=1e-6)
    assert bank[0, 2] == pytest.approx(0.012404521, rel=1e-6)
    assert bank[20].sum() == pytest.approx(0.025219752, rel=1e-6)
    assert bank.sum() == pytest.approx(0.9994972, rel=1e-6)
    # slaney normalisation: every filter has unit area in Hz (wide ones, where bins resolve it)
    np.testing.assert_allclose(bank[20:].sum(axis=1) * 40.0, 1.0, atol=0.02)


def test_mel_spectrogram_frames_and_pitch() -> None:
    t = np.arange(16000) / 16000
    tone = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mel = se.mel_spectrogram(tone)
    assert mel.shape == (1 + 16000 // 160, 40) and mel.dtype == np.float32
    centres = se._mel_to_hz(np.linspace(0, se._hz_to_mel(8000.0), 42))[1:-1]
    assert mel[50].argmax() == np.abs(centres - 1000).argmin()
    # computed in chunks of 4096 frames: no seam where one chunk ends and the next begins
    noise = np.random.default_rng(0).standard_normal(16000 * 50).astype(np.float32)
    excerpt = se.mel_spectrogram(noise[3998 * 160 : 4200 * 160 + 200])
    np.testing.assert_allclose(se.mel_spectrogram(noise)[4000:4200], excerpt[2:202], rtol=1e-4)


def test_volume_normalisation_only_raises() -> None:
    quiet = np.full(1000, 0.001, dtype=np.float32)
    raised = se.normalize_volume(quiet)
    assert 20 * np.log10(np.sqrt(np.mean(raised**2))) == pytest.approx(-30, abs=0.01)
    loud = np.full(1000, 0.5, dtype=np.float32)
    assert np.array_equal(se.normalize_volume(loud), loud)
    assert np.array_equal(se.normalize_volume(np.zeros(10, np.float32)), np.zeros(10))


@pytest.mark.parametrize(
    ("seconds", "count"), [(11.0, 13), (5.5, 6), (4.13, 4), (6.07, 7), (1.0, 1), (7.0, 8)]
)
def test_partials_placed_like_resemblyzer(seconds: float, count: int) -> None:
    starts = se.partial_starts(round(seconds * 16000))  # counts resemblyzer produced
    assert len(starts) == count and starts[0] == 0
    assert all(b - a == 77 for a, b in itertools.pairwise(starts))


# -- embeddings ---------------------------------------------------------------------------


@needs_shared
def test_embedding_is_unit_norm_and_deterministic(encoder: se.SpeakerEncoder) -> None:
    wav = read_clip(JFK, 0.0, 4.0)
    first, second = encoder.embed_utterance(wav), encoder.embed_utterance(wav.copy())
    assert first.shape == (256,) and first.dtype == np.float32
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-6)
    assert np.array_equal(first, second) and (first >= 0).all()


@needs_shared
def test_segments_embed_like_utterances(encoder: se.SpeakerEncoder) -> None:
    wav = read_clip(SAMPLE)
    spans = [(10.57, 14.7), (21.78, 27.85), (8.4, 9.0)]
    batched = encoder.embed_segments(wav, spans)
    for row, (start, end) in zip(batched, spans, strict=True):
        single = encoder.embed_utterance(wav[round(start * 16000) : round(end * 16000)])
        np.testing.assert_allclose(row, single, atol=1e-5)
    with pytest.raises(ValueError):
        encoder.embed_segments(wav, [(40.0, 41.0)])
    with pytest.raises(TypeError):
        encoder.embed_utterance((wav * 32767).astype(np.int16))


@needs_shared
def test_same_speaker_is_nearest(encoder: se.SpeakerEncoder) -> None:
    """Each clip's nearest other clip is the same voice: JFK's two halves, and two turns each
    of pyannote's two sample speakers (cosine 0.83-0.93 within, at most 0.82 across)."""
    clips = {
        "jfk": [(JFK, 0.0, 5.5), (JFK, 5.5, 11.0)],
        "speaker90": [(SAMPLE, 10.57, 14.7), (SAMPLE, 18.6, 21.49)],
        "speaker91": [(SAMPLE, 21.78, 27.85), (SAMPLE, 14.49, 17.92)],
    }
    names = [name for name, spans in clips.items() for _ in spans]
    embeds = np.stack([encoder.embed_utterance(read_clip(*c)) for v in clips.values() for c in v])
    similarity = embeds @ embeds.T
    np.fill_diagonal(similarity, -1)
    assert [names[i] for i in similarity.argmax(axis=1)] == names


# -- against resemblyzer itself -----------------------------------------------------------


@pytest.mark.reference
@pytest.mark.slow
@pytest.mark.timeout(1800)
@needs_shared
def test_matches_resemblyzer(encoder: se.SpeakerEncoder) -> None:
    """Runs bench/speech/reference_resemblyzer.py (first time: creates .venv-reference/ with
    CPU torch, one to three minutes) and compares every stage on the same input.

    Part of every full run, because the claim that our NumPy encoder *is* resemblyzer's rests
    on it; ``EARWITNESS_SKIP_REFERENCE=1`` skips it for quick local runs."""
    if os.environ.get("EARWITNESS_SKIP_REFERENCE"):
        pytest.skip("EARWITNESS_SKIP_REFERENCE is set")
    script = REPO / "bench" / "speech" / "reference_resemblyzer.py"
    subprocess.run([sys.executable, str(script)], check=True, timeout=1700)
    reference = np.load(REPO / ".venv-reference" / "resemblyzer-reference.npz")
    np.testing.assert_allclose(se.mel_filterbank(), reference["mel_basis"], rtol=0, atol=1e-8)
    names = sorted({key.split("/")[0] for key in reference.files if "/" in key})
    assert len(names) >= 5
    worst = 0.0
    for name in names:
        raw, normalized = reference[f"{name}/raw"], reference[f"{name}/normalized"]
        np.testing.assert_allclose(se.normalize_volume(raw), normalized, rtol=1e-6, atol=1e-7)
        mel = reference[f"{name}/mel"]
        np.testing.assert_allclose(se.mel_spectrogram(normalized), mel, atol=1e-5 * mel.max())
        partials = encoder.embed_partials(raw)
        assert partials.shape == reference[f"{name}/partials"].shape
        assert np.abs(partials - reference[f"{name}/partials"]).max() <= 1e-4
        difference = np.abs(encoder.embed_utterance(raw) - reference[f"{name}/embed"]).max()
        assert difference <= 1e-4, name
        worst = max(worst, float(difference))
    print(f"largest embedding difference from resemblyzer: {worst:.2e}")
