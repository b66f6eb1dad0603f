"""Speaker embeddings: resemblyzer's GE2E voice encoder, reimplemented in NumPy.

The only speaker encoder whose weights ship on PyPI is resemblyzer's (GE2E, Apache-2.0), but
its package pulls in torch, librosa and a source-only webrtcvad. So we install it with
``pip install --no-deps resemblyzer==0.1.4`` purely as a carrier of ``pretrained.pt``, find that
file without importing the package (its ``__init__`` imports torch), check its SHA-256, read it
with a pickle reader that can only build tensors, and run the network here: the same
preprocessing (volume normalisation to -30 dBFS, power mel spectrogram with 40 slaney-normed
channels, 25 ms Hann window, 10 ms hop, zero-padded centred frames as librosa >= 0.10 does),
a 3-layer LSTM (hidden 256) over partial utterances of 160 frames, linear + ReLU + L2 norm, and
the L2-normed mean over partials. ``bench/speech/reference_resemblyzer.py`` and the
``reference`` test check the result against resemblyzer itself. Unlike resemblyzer's
``preprocess_wav`` we do not trim silences with webrtcvad: speech regions come from our VAD.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import os
import pickle
import struct
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

try:  # optional; see SpeakerEncoder._blas_limited
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

from earwitness.media import blocks

SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s per partial utterance
TARGET_DBFS = -30.0
HIDDEN = 256
LAYERS = 3
EMBEDDING_SIZE = 256

WEIGHTS_PACKAGE = "resemblyzer"
WEIGHTS_VERSION = "0.1.4"
WEIGHTS_FILE = "pretrained.pt"
WEIGHTS_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
MODEL_NAME = f"resemblyzer-{WEIGHTS_VERSION}/GE2E"

_INT16_MAX = 2**15 - 1
_TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # torch's legacy (pre-zip) serialisation format
_TORCH_PROTOCOL = 1001
_BATCH = 64  # partials per LSTM pass: bounds memory (about 42 MB of gates) at full BLAS speed


class WeightsError(RuntimeError):
    """The encoder weights are missing, altered, or not the checkpoint we know how to read."""


def find_weights() -> Path:
    """Where pip put resemblyzer's ``pretrained.pt``, found without importing resemblyzer."""
    spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        install = f"pip install --no-deps {WEIGHTS_PACKAGE}=={WEIGHTS_VERSION}"
        raise WeightsError(f"speaker encoder weights not installed: {install}")
    return Path(next(iter(spec.submodule_search_locations))) / WEIGHTS_FILE


# -- reading the checkpoint: a pickle that may only build tensors ----------------------------


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: np.dtype
    numel: int


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: Any, offset: Any, shape: Any, stride: Any, *_: Any) -> _TensorRef:
    """Stands in for ``torch._utils._rebuild_tensor_v2``: the bytes come after the pickle."""
    if not isinstance(storage, _StorageRef):
        raise WeightsError("tensor without a storage in checkpoint")
    shape, stride = tuple(int(n) for n in shape), tuple(int(n) for n in stride)
    if len(shape) != len(stride) or min((*shape, *stride, int(offset)), default=0) < 0:
        raise WeightsError("malformed tensor in checkpoint")
    last = int(offset) + sum((n - 1) * s for n, s in zip(shape, stride, strict=True))
    if 0 not in shape and last >= storage.numel:
        raise WeightsError("tensor reaches past its storage in checkpoint")
    return _TensorRef(storage, int(offset), shape, stride)


_STORAGE_DTYPES = dict(  # torch storage class -> little-endian NumPy dtype (its marker here)
    Float="<f4", Double="<f8", Half="<f2", Long="<i8", Int="<i4", Short="<i2", Char="i1",
    Byte="u1", Bool="?",
)  # fmt: skip
_ALLOWED: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    **{("torch", f"{kind}Storage"): np.dtype(c) for kind, c in _STORAGE_DTYPES.items()},
}


class _StateDictUnpickler(pickle.Unpickler):
    """Resolves only the handful of globals a state dict needs; anything else is refused, so
    a tampered checkpoint can never run code (the hash check comes first anyway)."""

    def __init__(self, file: io.BufferedIOBase) -> None:
        super().__init__(file)
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"checkpoint refers to {module}.{name}") from None

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r}")
        _, kind, key, _location, numel, view = pid
        if not isinstance(kind, np.dtype) or view is not None:
            raise pickle.UnpicklingError("unsupported storage in checkpoint")
        return self.storages.setdefault(str(key), _StorageRef(str(key), kind, int(numel)))


def _materialise(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The unpickled object with every tensor placeholder replaced by its NumPy array."""
    if isinstance(value, _TensorRef):
        base = arrays[value.storage.key]
        itemsize = base.dtype.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[value.offset :], value.shape, tuple(s * itemsize for s in value.stride)
        )
        return np.array(view)  # a copy: owns its memory, writeable, contiguous
    if isinstance(value, dict):
        return type(value)((k, _materialise(v, arrays)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value)(_materialise(v, arrays) for v in value)
    return value


def load_checkpoint(path: Path, sha256: str = WEIGHTS_SHA256) -> dict[str, Any]:
    """Read a torch checkpoint in the legacy format (``pretrained.pt`` predates the zip one:
    magic number, protocol, system info, the pickled object, the storage keys, then each
    storage as an int64 element count and raw little-endian data) into NumPy arrays."""
    data = Path(path).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise WeightsError(f"{path}: SHA-256 {digest}, expected {sha256}; refusing to load")
    try:
        return _read_legacy(io.BytesIO(data))
    except (pickle.UnpicklingError, TypeError, ValueError, KeyError, EOFError, struct.error) as e:
        raise WeightsError(f"{path}: unreadable checkpoint: {e}") from e


def _read_legacy(stream: io.BytesIO) -> dict[str, Any]:
    header = [_StateDictUnpickler(stream).load() for _ in range(3)]
    if header[0] != _TORCH_MAGIC or header[1] != _TORCH_PROTOCOL:
        raise WeightsError("not a legacy torch checkpoint")
    if not header[2].get("little_endian", False):
        raise WeightsError("big-endian checkpoint")
    unpickler = _StateDictUnpickler(stream)
    result = unpickler.load()
    keys = _StateDictUnpickler(stream).load()
    arrays: dict[str, np.ndarray] = {}
    for key in keys:
        ref = unpickler.storages[str(key)]
        (numel,) = struct.unpack("<q", stream.read(8))
        raw = stream.read(numel * ref.dtype.itemsize)
        if numel != ref.numel or len(raw) != numel * ref.dtype.itemsize:
            raise WeightsError(f"storage {key} truncated or mis-sized")
        arrays[ref.key] = np.frombuffer(raw, dtype=ref.dtype).astype(ref.dtype.newbyteorder("="))
    return _materialise(result, arrays)


# -- preprocessing ------------------------------------------------------------------------


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False): linear below 1 kHz, log above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / logstep
    return np.where(hz >= 1000.0, log, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    logstep = np.log(6.4) / 27.0
    return np.where(mel >= 15.0, 1000.0 * np.exp(logstep * (mel - 15.0)), mel * (200.0 / 3))


def mel_filterbank(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """Triangular filters (n_mels, n_fft // 2 + 1) from 0 Hz to Nyquist, equally spaced on
    the slaney mel scale and area-normalised (each multiplied by 2 / its width in Hz), the
    filterbank resemblyzer gets from ``librosa.filters.mel`` with its defaults."""
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    bins = np.arange(n_fft // 2 + 1) * (sample_rate / n_fft)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return (weights * (2.0 / (upper - lower))).astype(np.float32)


def normalize_volume(
    wav: np.ndarray, target_dbfs: float = TARGET_DBFS, increase_only: bool = True
) -> np.ndarray:
    """Scale to ``target_dbfs`` RMS (only louder by default, as resemblyzer does): the network
    saw -30 dBFS input in training and its power spectrogram input is not scale-invariant."""
    wav = np.asarray(wav, dtype=np.float32)
    rms = np.sqrt(np.mean((wav * _INT16_MAX) ** 2))
    if not np.isfinite(rms) or rms == 0:
        return wav
    change = target_dbfs - 20 * np.log10(rms / _INT16_MAX)
    if change < 0 and increase_only:
        return wav
    return (wav * (10 ** (change / 20))).astype(np.float32)


_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
_MEL_BASIS = mel_filterbank()


def mel_spectrogram(wav: np.ndarray) -> np.ndarray:
    """Power mel spectrogram (frames, 40), float32, not logarithmic: frames centred on every
    10 ms hop with zero padding at the ends, periodic Hann window. Computed in chunks so an
    hour of audio never needs its whole frame matrix in memory."""
    wav = np.asarray(wav, dtype=np.float32)
    padded = np.pad(wav, N_FFT // 2)
    n_frames = 1 + len(wav) // HOP
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    chunk = 4096
    for first in range(0, n_frames, chunk):
        last = min(first + chunk, n_frames)
        span = padded[first * HOP : (last - 1) * HOP + N_FFT]
        frames = np.lib.stride_tricks.sliding_window_view(span, N_FFT)[::HOP]
        power = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2
        out[first:last] = power.astype(np.float32) @ _MEL_BASIS.T
    return out


def partial_starts(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[int]:
    """First mel frame of each 160-frame partial, as resemblyzer's ``compute_partial_slices``
    places them: ``rate`` partials a second (1.3: about 50 % overlap), the last one kept only
    if at least ``min_coverage`` of it is real audio, and always at least one."""
    if not 0 < min_coverage <= 1:
        raise ValueError("min_coverage must be in (0, 1]")
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round(SAMPLE_RATE / rate / HOP))
    if not 0 < step <= PARTIAL_FRAMES:
        raise ValueError(f"rate {rate} out of range")
    starts = list(range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(starts) > 1:
        starts.pop()
    return starts


def _partials(wav: np.ndarray, rate: float, min_coverage: float, normalize: bool) -> np.ndarray:
    """(n_partials, 160, 40) mel partials of one utterance, zero-padded like resemblyzer."""
    wav = np.asarray(wav)
    if wav.ndim != 1 or not np.issubdtype(wav.dtype, np.floating):
        raise TypeError("expected mono float samples in [-1, 1]")
    if len(wav) == 0:
        raise ValueError("cannot embed an empty utterance")
    if normalize:
        wav = normalize_volume(wav)
    starts = partial_starts(len(wav), rate, min_coverage)
    needed = (starts[-1] + PARTIAL_FRAMES) * HOP
    if needed >= len(wav):
        wav = np.pad(np.asarray(wav, dtype=np.float32), (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s : s + PARTIAL_FRAMES] for s in starts])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * x)  # no overflow warnings, one transcendental


class SpeakerEncoder:
    """GE2E speaker encoder: 16 kHz speech in, unit-length 256-d embedding out (cosine
    similarity of two embeddings is high for the same voice)."""

    def __init__(
        self, weights: Path | None = None, *, sha256: str = WEIGHTS_SHA256, threads: int = 0
    ) -> None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        self.threads = max(1, threads or min(cpus or 1, 8)) if threadpool_limits else 1
        self.weights_path = Path(weights) if weights is not None else find_weights()
        self.model_sha256 = sha256
        self.model_name = MODEL_NAME
        state = load_checkpoint(self.weights_path, sha256)["model_state"]
        self._layers: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for k in range(LAYERS):
            # torch orders gates i, f, g, o; we store i, f, o, g so one sigmoid covers three.
            order = np.r_[0 : 2 * HIDDEN, 3 * HIDDEN : 4 * HIDDEN, 2 * HIDDEN : 3 * HIDDEN]
            w_ih = state[f"lstm.weight_ih_l{k}"][order]
            w_hh = state[f"lstm.weight_hh_l{k}"][order]
            bias = (state[f"lstm.bias_ih_l{k}"] + state[f"lstm.bias_hh_l{k}"])[order]
            self._layers.append((np.ascontiguousarray(w_ih.T), np.ascontiguousarray(w_hh.T), bias))
        self._linear_w = np.ascontiguousarray(state["linear.weight"].T)
        self._linear_b = state["linear.bias"]

    def forward(self, mels: np.ndarray) -> np.ndarray:
        """Embeddings (batch, 256) of mel partials (batch, frames, 40): the LSTM runs over the
        whole batch at once, one time step at a time, each layer's input projection done for
        all steps in one matrix product."""
        x = np.asarray(mels, dtype=np.float32)
        batch, steps, _ = x.shape
        for index, (w_ih, w_hh, bias) in enumerate(self._layers):
            projected = x @ w_ih + bias  # (batch, steps, 4 * HIDDEN)
            keep_outputs = index < LAYERS - 1  # the next layer's input; the last needs only h
            x = np.empty((batch, steps if keep_outputs else 0, HIDDEN), dtype=np.float32)
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            for t in range(steps):
                gates = projected[:, t] + h @ w_hh
                ifo = _sigmoid(gates[:, : 3 * HIDDEN])
                g = np.tanh(gates[:, 3 * HIDDEN :])
                c = ifo[:, HIDDEN : 2 * HIDDEN] * c + ifo[:, :HIDDEN] * g
                h = ifo[:, 2 * HIDDEN :] * np.tanh(c)
                if keep_outputs:
                    x[:, t] = h
        embeds = np.maximum(h @ self._linear_w + self._linear_b, 0.0)
        return embeds / np.maximum(np.linalg.norm(embeds, axis=1, keepdims=True), 1e-12)

    def _blas_limited(self) -> contextlib.AbstractContextManager:
        """One BLAS thread per worker. Each LSTM step is a small matrix product; split across
        BLAS threads it waits for all of them, a whole scheduler slice whenever another
        process holds a core (20x slower on a busy 2-core machine). Whole batches run side by
        side in Python threads instead (NumPy releases the GIL)."""
        if threadpool_limits is None:
            return contextlib.nullcontext()
        return threadpool_limits(limits=1, user_api="blas")

    def _forward_all(self, partials: np.ndarray) -> np.ndarray:
        batches = [partials[i : i + _BATCH] for i in range(0, len(partials), _BATCH)]
        if len(batches) == 1 or self.threads == 1:
            with self._blas_limited() if self.threads > 1 else contextlib.nullcontext():
                return np.concatenate([self.forward(batch) for batch in batches])
        with self._blas_limited(), ThreadPoolExecutor(self.threads) as pool:
            return np.concatenate(list(pool.map(self.forward, batches)))

    def embed_partials(
        self,
        wav16k: np.ndarray,
        *,
        rate: float = 1.3,
        min_coverage: float = 0.75,
        normalize: bool = True,
    ) -> np.ndarray:
        """Embeddings (n_partials, 256) of the 1.6 s partial utterances of one utterance."""
        return self._forward_all(_partials(wav16k, rate, min_coverage, normalize))

    def embed_utterance(
        self,
        wav16k: np.ndarray,
        *,
        rate: float = 1.3,
        min_coverage: float = 0.75,
        normalize: bool = True,
    ) -> np.ndarray:
        """Embedding (256,) of one utterance (float samples in [-1, 1] at 16 kHz): the L2-normed
        mean of its partials' embeddings. ``normalize=False`` skips volume normalisation."""
        mean = self.embed_partials(
            wav16k, rate=rate, min_coverage=min_coverage, normalize=normalize
        ).mean(axis=0)
        return mean / np.linalg.norm(mean)

    def embed_segments(
        self,
        samples16k: np.ndarray,
        spans: Sequence[tuple[float, float]],
        *,
        rate: float = 1.3,
        min_coverage: float = 0.75,
        normalize: bool = True,
    ) -> np.ndarray:
        """Embeddings (len(spans), 256) of time spans (seconds) of one recording, each span
        treated as its own utterance; partials of all spans share LSTM batches, which is what
        makes many short diarization windows cheap."""
        embeds = np.zeros((len(spans), EMBEDDING_SIZE), dtype=np.float64)
        pending: list[np.ndarray] = []
        owners: list[int] = []

        def flush() -> None:  # embed what is pending: memory stays at a few batches
            if pending:
                np.add.at(embeds, np.asarray(owners), self._forward_all(np.concatenate(pending)))
                pending.clear()
                owners.clear()

        for index, (start, end) in enumerate(spans):
            first = max(0, round(start * SAMPLE_RATE))
            last = min(len(samples16k), round(end * SAMPLE_RATE))
            if last <= first:
                raise ValueError(f"span {start:.3f}-{end:.3f} s holds no samples")
            part = _partials(samples16k[first:last], rate, min_coverage, normalize)
            blocks.release(samples16k[first:last])  # a long recording's pages go back
            pending.append(part)
            owners.extend([index] * len(part))
            if len(owners) >= _BATCH * self.threads * 4:
                flush()
        flush()
        norms = np.linalg.norm(embeds, axis=1, keepdims=True)
        return (embeds / np.maximum(norms, 1e-12)).astype(np.float32)
