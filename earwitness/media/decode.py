"""Decode the first audio stream of a file into float32 samples with PyAV.

Every examination works on the same representation: float32 in [-1, 1], one row per channel
(or a single mono row, the mean of the channels). Integer formats are scaled by their full
scale (s16 by 32768, s32 by 2**31, u8 around its offset of 128) so that a sample value means
the same thing whatever the file's format, which the level and clipping checks rely on. Float
sources pass through unchanged (lossy decoders may overshoot ±1 a little).

Decoding is one pass over the packets into a buffer sized from the stream's duration, so a
one-hour recording is never held twice as a list of frames. A packet the decoder rejects in
the middle of a file is counted (``decode_errors``) and skipped rather than ending the
decoding: a damaged leak is still evidence, and how damaged it is belongs in the report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from earwitness.errors import EarwitnessError
from earwitness.media import blocks

# First buffer size when the container does not say how long the stream is.
_MIN_CAPACITY_S = 10.0
# Upper bound for the first buffer (elements): a damaged header may claim any duration, and the
# buffer grows anyway when the stream turns out longer.
_MAX_INITIAL_ELEMENTS = 2**28


class DecodeError(EarwitnessError):
    """The file holds no audio that could be decoded; the message is one line naming the file."""


@dataclass(frozen=True)
class DecodedAudio:
    """Decoded samples and the facts needed to interpret them.

    ``samples`` is float32, shape ``(n,)`` when decoded as mono, else ``(channels, n)``.
    ``channels`` is the source's channel count (before any downmix). ``decode_errors`` counts
    packets the decoder rejected and skipped (0 for an intact file).
    """

    samples: np.ndarray
    sample_rate: int
    channels: int
    codec: str
    source_sample_format: str
    decode_errors: int = 0

    @property
    def duration_s(self) -> float:
        return self.samples.shape[-1] / self.sample_rate if self.sample_rate else 0.0


def _scale_for(dtype: np.dtype) -> tuple[float, float]:
    """(offset, scale) that map a sample format's full range onto [-1, 1).

    (In float32, s32's largest value rounds up to exactly 1.0.)
    """
    if dtype == np.uint8:
        return 128.0, 1.0 / 128.0
    if dtype.kind == "i":
        return 0.0, 1.0 / float(2 ** (8 * dtype.itemsize - 1))
    return 0.0, 1.0


def _planar(frame: av.AudioFrame) -> np.ndarray:
    """The frame's samples in their own dtype, shape (channels, n)."""
    data = frame.to_ndarray()
    if not frame.format.is_planar:
        # Packed frames come back as one interleaved row: ch0 ch1 ch0 ch1 …
        data = data.reshape(-1, frame.layout.nb_channels or 1).T
    return data


def _to_float(data: np.ndarray, out: np.ndarray) -> None:
    """Scale ``data`` (any sample dtype) into the float32 array ``out`` of the same shape."""
    offset, scale = _scale_for(data.dtype)
    if offset:
        np.subtract(data, np.float32(offset), out=out, dtype=np.float32)
        out *= np.float32(scale)
    elif scale != 1.0:
        np.multiply(data, np.float32(scale), out=out, dtype=np.float32)
    else:
        out[...] = data


def frame_to_float(frame: av.AudioFrame) -> np.ndarray:
    """One frame as float32 of shape (channels, n), whatever its layout and sample format."""
    data = _planar(frame)
    out = np.empty(data.shape, dtype=np.float32)
    _to_float(data, out)
    return out


def _frame_to_mono(frame: av.AudioFrame, out: np.ndarray | None = None) -> np.ndarray:
    """The mean of the frame's channels as float32, written into ``out`` when given."""
    data = _planar(frame)
    if out is None:
        out = np.empty(data.shape[-1], dtype=np.float32)
    if data.shape[0] == 1:
        _to_float(data[0], out)
    else:
        frame_float = np.empty(data.shape, dtype=np.float32)
        _to_float(data, frame_float)
        np.mean(frame_float, axis=0, dtype=np.float32, out=out)
    return out


def _open(path: Path) -> tuple[av.container.InputContainer, av.audio.stream.AudioStream]:
    try:
        container = av.open(str(path))
    except Exception as exc:  # whatever the demuxer trips on, the file is not decodable
        raise DecodeError(f"{path}: not decodable as media ({_reason(exc)})") from None
    if not container.streams.audio:
        container.close()
        raise DecodeError(f"{path}: no audio stream")
    stream = container.streams.audio[0]
    if stream.codec_context is None:
        container.close()
        raise DecodeError(f"{path}: no decoder for the audio stream's codec")
    return container, stream


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words (FFmpeg's message without its errno and file name)."""
    text = getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
    return text.splitlines()[0].rstrip(":. ")


def _frames(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, errors: list[int]
) -> Iterator[av.AudioFrame]:
    """Every decodable frame of ``stream``; rejected packets are counted in ``errors[0]``."""
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError:
            # The demuxer cannot go on (truncated or damaged container): keep what we have.
            errors[0] += 1
            return
        try:
            frames = packet.decode()
        except av.FFmpegError:
            errors[0] += 1
            continue
        yield from frames


def _estimate_samples(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, rate: int
) -> int:
    if stream.duration and stream.time_base:
        return int(stream.duration * stream.time_base * rate) + rate
    if container.duration:
        return int(container.duration / av.time_base * rate) + rate
    return int(_MIN_CAPACITY_S * rate)


def decode_audio(
    path: Path, *, mono: bool = True, max_seconds: float | None = None
) -> DecodedAudio:
    """Decode the first audio stream of ``path`` (at most ``max_seconds`` of it).

    Raises DecodeError when the file cannot be opened, has no audio stream, or yields no
    samples at all. Frames whose sample rate or channel count differs from the first frame's
    cannot be placed on one time axis; they are skipped and counted as decode errors.
    """
    container, stream = _open(path)
    errors = [0]
    buffer: np.ndarray | None = None
    filled = 0
    rate = channels = 0
    sample_format = stream.codec_context.format.name if stream.codec_context.format else ""
    limit: int | None = None
    try:
        for frame in _frames(container, stream, errors):
            if buffer is None:
                rate, channels = frame.sample_rate, frame.layout.nb_channels or 1
                sample_format = frame.format.name
                limit = None if max_seconds is None else max(int(max_seconds * rate), 0)
                capacity = _estimate_samples(container, stream, rate)
                capacity = min(capacity, _MAX_INITIAL_ELEMENTS // (1 if mono else channels))
                if limit is not None:
                    capacity = min(capacity, limit)
                shape = (max(capacity, 1),) if mono else (channels, max(capacity, 1))
                buffer = np.empty(shape, dtype=np.float32)
            n = frame.samples
            if frame.sample_rate != rate or (frame.layout.nb_channels or 1) != channels:
                errors[0] += 1
                continue
            if limit is not None:
                n = min(n, limit - filled)
            if filled + n > buffer.shape[-1]:
                buffer = _grow(buffer, filled + n)
            if mono and n == frame.samples:
                _frame_to_mono(frame, buffer[filled : filled + n])
            elif mono:
                buffer[filled : filled + n] = _frame_to_mono(frame)[:n]
            else:
                buffer[:, filled : filled + n] = frame_to_float(frame)[:, :n]
            filled += n
            if limit is not None and filled >= limit:
                break
    except av.FFmpegError as exc:
        raise DecodeError(f"{path}: decoding failed ({_reason(exc)})") from exc
    finally:
        container.close()
    if buffer is None or (filled == 0 and limit != 0):
        raise DecodeError(f"{path}: no audio could be decoded")
    codec = stream.codec_context.codec
    codec_name = getattr(codec, "canonical_name", None) or codec.name
    return DecodedAudio(
        samples=buffer[..., :filled],
        sample_rate=int(rate),
        channels=int(channels),
        codec=codec_name,
        source_sample_format=sample_format,
        decode_errors=errors[0],
    )


def decode_to_memmap(
    path: Path, *, directory: Path | None = None, max_seconds: float | None = None
) -> DecodedAudio:
    """Decode the first audio stream of ``path`` as mono float32 into a temporary file, and
    return it memory-mapped read-only (``samples`` is an ``np.memmap``).

    The samples are those ``decode_audio(path, mono=True)`` gives, value for value, but only
    one frame is ever held in memory: a two-hour 48 kHz recording (1.4 GB of float32) costs the
    process nothing until read, and a reader that goes through it in blocks
    (``earwitness.media.blocks``) keeps only a block resident. The file is made in
    ``directory`` (default: the system's temporary folder) and removed at once where the
    system allows (POSIX); the mapping keeps its data until the array is freed. Raises
    DecodeError as ``decode_audio`` does.
    """
    container, stream = _open(path)
    errors = [0]
    rate = channels = filled = 0
    sample_format = stream.codec_context.format.name if stream.codec_context.format else ""
    limit: int | None = None
    try:
        with blocks.temporary_file(directory, "earwitness-decoded-") as (handle, temporary):
            for frame in _frames(container, stream, errors):
                if not rate:
                    rate, channels = frame.sample_rate, frame.layout.nb_channels or 1
                    sample_format = frame.format.name
                    limit = None if max_seconds is None else max(int(max_seconds * rate), 0)
                if frame.sample_rate != rate or (frame.layout.nb_channels or 1) != channels:
                    errors[0] += 1
                    continue
                n = frame.samples if limit is None else min(frame.samples, limit - filled)
                handle.write(_frame_to_mono(frame)[:n].tobytes())
                filled += n
                if limit is not None and filled >= limit:
                    break
            if not rate or (filled == 0 and limit != 0):
                raise DecodeError(f"{path}: no audio could be decoded")
            handle.flush()
            samples = (
                np.memmap(temporary, dtype=np.float32, mode="r", shape=(filled,))
                if filled
                else np.zeros(0, dtype=np.float32)
            )
    except av.FFmpegError as exc:
        raise DecodeError(f"{path}: decoding failed ({_reason(exc)})") from exc
    finally:
        container.close()
    codec = stream.codec_context.codec
    return DecodedAudio(
        samples=samples,
        sample_rate=int(rate),
        channels=int(channels),
        codec=getattr(codec, "canonical_name", None) or codec.name,
        source_sample_format=sample_format,
        decode_errors=errors[0],
    )


def _grow(buffer: np.ndarray, needed: int) -> np.ndarray:
    """A larger buffer holding ``buffer``'s contents (1.5x, so growth costs O(n) overall)."""
    new_len = max(needed, int(buffer.shape[-1] * 1.5))
    grown = np.empty((*buffer.shape[:-1], new_len), dtype=np.float32)
    grown[..., : buffer.shape[-1]] = buffer
    return grown


def iter_audio_chunks(path: Path, seconds: float = 10.0) -> Iterator[np.ndarray]:
    """Yield the first audio stream as float32 mono blocks of ``seconds`` each (the last may be
    shorter), for analyses that must not hold a long recording in memory at once.

    Rejected packets are skipped as in ``decode_audio``. The sample rate is the stream's
    (``probe`` or ``decode_audio(..., max_seconds=0.1)`` tells it).
    """
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    container, stream = _open(path)
    errors = [0]
    pending: list[np.ndarray] = []
    held = 0
    size = 0
    try:
        for frame in _frames(container, stream, errors):
            if not size:
                size = max(round(seconds * frame.sample_rate), 1)
            block = _frame_to_mono(frame)
            pending.append(block)
            held += len(block)
            while held >= size:
                joined = np.concatenate(pending) if len(pending) > 1 else pending[0]
                yield joined[:size]
                rest = joined[size:]
                pending = [rest] if len(rest) else []
                held = len(rest)
        if held:
            yield np.concatenate(pending)
    except av.FFmpegError as exc:
        raise DecodeError(f"{path}: decoding failed ({_reason(exc)})") from exc
    finally:
        container.close()


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``samples`` (mono float32) at ``to_rate``, float32, by polyphase filtering (no
    aliasing), as ``scipy.signal.resample_poly`` gives it for the whole signal.

    Computed a block at a time (``blocks.resample_blocks``); a result longer than a block is
    kept in a temporary file (a read-only ``np.memmap``), so resampling a long recording never
    holds it twice. Same rate: ``samples`` itself (as float32)."""
    if from_rate == to_rate:
        return samples.astype(np.float32, copy=False)
    length = blocks.resampled_length(len(samples), from_rate, to_rate)
    parts = (
        (first, part.astype(np.float32))
        for first, part in blocks.resample_blocks(samples, from_rate, to_rate, dtype=np.float32)
    )
    if length <= blocks.BLOCK:
        out = np.empty(length, dtype=np.float32)
        for first, part in parts:
            out[first : first + len(part)] = part
        return out
    return blocks.spill(parts, length, np.float32)
