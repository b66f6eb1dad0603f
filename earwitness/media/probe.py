"""Probe a media file with PyAV: container, streams and every tag, without decoding audio.

Returns plain data (``MediaInfo.to_dict``) because the result is written into the custody log
and the examination report, and must read the same in any language.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from earwitness.media.payload import payload_facts

# Container names FFmpeg reports, by the file extensions that normally carry them.
_EXPECTED_CONTAINERS: dict[str, set[str]] = {
    ".wav": {"wav"},
    ".wave": {"wav"},
    ".mp3": {"mp3"},
    ".flac": {"flac"},
    ".ogg": {"ogg"},
    ".oga": {"ogg"},
    ".opus": {"ogg"},
    ".m4a": {"mov,mp4,m4a,3gp,3g2,mj2"},
    ".mp4": {"mov,mp4,m4a,3gp,3g2,mj2"},
    ".mov": {"mov,mp4,m4a,3gp,3g2,mj2"},
    ".3gp": {"mov,mp4,m4a,3gp,3g2,mj2"},
    ".aac": {"aac"},
    ".amr": {"amr"},
    ".aif": {"aiff"},
    ".aiff": {"aiff"},
    ".webm": {"matroska,webm"},
    ".mkv": {"matroska,webm"},
    ".wma": {"asf"},
    ".wmv": {"asf"},
    ".caf": {"caf"},
}


_LOSSLESS = {"flac", "alac", "wavpack", "tta", "ape"}
_PCM_BITS = re.compile(r"^pcm_[suf](\d+)")


class ProbeError(Exception):
    """The file could not be read as media; the message says what the demuxer said."""


@dataclass
class StreamInfo:
    index: int
    type: str
    codec: str | None
    codec_long: str | None
    profile: str | None
    sample_rate: int | None
    channels: int | None
    channel_layout: str | None
    sample_format: str | None
    bits_per_sample: int | None
    bit_rate: int | None
    duration_s: float | None
    frames: int | None
    time_base: str | None
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class MediaInfo:
    container: str
    container_long: str | None
    duration_s: float | None
    bit_rate: int | None
    start_time_s: float | None
    tags: dict[str, str]
    streams: list[StreamInfo]
    warnings: list[str]
    # What the file's own headers declare about its length against the bytes it holds
    # (``earwitness.media.payload``); None for a format that module does not read.
    payload: dict[str, Any] | None = None

    @property
    def audio(self) -> StreamInfo | None:
        return next((s for s in self.streams if s.type == "audio"), None)

    def to_dict(self) -> dict[str, Any]:
        """The shape of ``exhibit.media`` in the examination schema, plus every stream."""
        audio = self.audio
        result = asdict(self)
        result.update(
            codec=audio.codec if audio and audio.codec else "none",
            sample_rate=audio.sample_rate if audio and audio.sample_rate else 0,
            channels=audio.channels if audio and audio.channels else 0,
        )
        return result


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 6)


def _tags(metadata: Any) -> dict[str, str]:
    return {str(key): str(value) for key, value in dict(metadata or {}).items()}


def _stream_info(stream: Any) -> StreamInfo:
    context = stream.codec_context
    codec = getattr(context, "codec", None)
    time_base: Fraction | None = stream.time_base
    duration = (
        float(stream.duration * time_base) if stream.duration is not None and time_base else None
    )
    is_audio = stream.type == "audio"
    layout = getattr(context, "layout", None) if is_audio else None
    sample_format = getattr(context, "format", None) if is_audio else None
    # The codec, not FFmpeg's decoder for it ("mp3", not "mp3float").
    codec_name = getattr(codec, "canonical_name", None) or getattr(codec, "name", None) or ""
    pcm = _PCM_BITS.match(codec_name)
    bits = int(pcm.group(1)) if pcm else None
    if bits is None and codec_name in _LOSSLESS and sample_format is not None:
        bits = sample_format.bits if sample_format.name.startswith("s16") else None
    return StreamInfo(
        index=stream.index,
        type=stream.type,
        codec=codec_name or None,
        codec_long=getattr(codec, "long_name", None),
        profile=getattr(context, "profile", None) or None,
        sample_rate=getattr(context, "sample_rate", None) or None if is_audio else None,
        channels=getattr(context, "channels", None) or None if is_audio else None,
        channel_layout=getattr(layout, "name", None),
        sample_format=getattr(sample_format, "name", None),
        bits_per_sample=bits,
        bit_rate=getattr(context, "bit_rate", None) or getattr(stream, "bit_rate", None) or None,
        duration_s=_finite(duration),
        frames=getattr(stream, "frames", None) or None,
        time_base=str(time_base) if time_base else None,
        tags=_tags(getattr(stream, "metadata", None)),
    )


def probe(path: Path, original_name: str | None = None) -> MediaInfo:
    """Read container and stream facts; raises ProbeError if no demuxer accepts the file.

    ``original_name`` is the name the file arrived under, when ``path`` is a stored copy: its
    extension is what the content is checked against.
    """
    path = Path(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="replace")
    except Exception as exc:  # whatever the demuxer trips on, it is not media
        raise ProbeError(_describe(exc)) from None
    failure: str | None = None
    try:
        streams = [_stream_info(stream) for stream in container.streams]
        demux_warning = _count_frames(container, streams)
        duration = container.duration / 1_000_000 if container.duration is not None else None
        start = container.start_time / 1_000_000 if container.start_time is not None else None
        info = MediaInfo(
            container=container.format.name,
            container_long=container.format.long_name,
            duration_s=_finite(duration),
            bit_rate=container.bit_rate or None,
            start_time_s=_finite(start),
            tags=_tags(container.metadata),
            streams=streams,
            warnings=[demux_warning] if demux_warning else [],
        )
    except Exception as exc:  # a damaged file may trip any error in the demuxer
        failure = _describe(exc)
    finally:
        container.close()
    if failure is not None:
        # Raised only after the container is closed and the PyAV objects are out of scope:
        # a traceback holding streams of a closed container crashes whoever prints it.
        raise ProbeError(failure)
    info.warnings.extend(_consistency_warnings(info, Path(original_name or path.name)))
    info.payload = payload_facts(path, info.container)
    return info


def _count_frames(container: Any, streams: list[StreamInfo]) -> str | None:
    """Fill in frame counts: samples for PCM (from the header), packets otherwise (by demuxing).

    Demuxing reads packet headers only, never decodes; a file that stops demuxing early is
    reported, since truncation is itself a finding.
    """
    for info in streams:
        is_pcm = bool(info.codec and _PCM_BITS.match(info.codec))
        if info.frames is None and is_pcm and info.duration_s is not None and info.sample_rate:
            info.frames = round(info.duration_s * info.sample_rate)
    wanted = [s for s in container.streams if streams[s.index].frames is None]
    if not wanted:
        return None
    counts = dict.fromkeys((s.index for s in wanted), 0)
    try:
        for packet in container.demux(wanted):
            if packet.size:
                counts[packet.stream.index] += 1
    except Exception as exc:  # truncation shows up as any of several errors
        return f"demuxing stopped early: {_describe(exc).removeprefix('not readable as media: ')}"
    finally:
        for index, count in counts.items():
            streams[index].frames = count or None
    return None


def _consistency_warnings(info: MediaInfo, path: Path) -> list[str]:
    warnings = []
    if not info.streams:
        warnings.append("container holds no streams")
    elif info.audio is None:
        warnings.append("no audio stream")
    expected = _EXPECTED_CONTAINERS.get(path.suffix.lower())
    if expected is not None and info.container not in expected:
        warnings.append(
            f"content is {info.container_long or info.container}, "
            f"not what the extension {path.suffix!r} suggests"
        )
    return warnings


def _describe(exc: BaseException) -> str:
    if isinstance(exc, av.FFmpegError):
        return f"not readable as media: {exc.strerror or exc}"
    if isinstance(exc, (UnicodeDecodeError, ValueError, OverflowError, OSError)):
        return f"not readable as media: {exc}"
    return f"not readable as media: {type(exc).__name__}: {exc}"
