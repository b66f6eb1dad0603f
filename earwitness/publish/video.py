"""A video of a recording for social platforms: original audio, waveform, subtitles, hash card.

Platforms take video, not audio, so a leaked recording goes out as an MP4 whose picture is only
there to carry the words. What matters is that nothing in it misleads or exposes anyone:

* **Audio** is the original's. AAC, MP3, ALAC, FLAC and Opus packets are stream-copied into
  the MP4 byte for byte (checked to mux in this PyAV build); anything else is decoded and
  stored losslessly: FLAC for integer samples of up to 24 bits (exact), ISO/IEC 23003-5 PCM in
  MP4 for 32-bit integer and floating-point samples, which FLAC would round. Never a lossy
  re-encode: a published copy must not introduce artefacts an examiner could take for edits.
* **Picture**: 1280×720 H.264 (libx264 here; libopenh264 or the build's default H.264
  encoder otherwise), the whole recording's waveform (normalised to its loudest point) with the
  stretch being spoken highlighted, and the caption burned in (bilingual: the original over the
  English). A moving playhead would make every frame a new picture; the highlight changes only
  with the caption, so each picture is drawn and converted once. Frames are sent at each
  caption change (caption timing to the millisecond) and on a half-second grid in between
  (2 fps), because platform transcoders and players seek badly in streams that hold one frame
  for a minute; an unchanged frame costs x264 a few bytes.
* **Closing card** (4 s) after the audio ends, giving the original file's SHA-256 and how to
  check it (``sha256sum FILE``). The audio track simply ends before it: silence, nothing added.
* **Soft subtitles**: the same cues as a ``mov_text`` (3GPP timed text) track. Its packets are
  written directly (16-bit length + UTF-8 text, the sample format of ISO/IEC 14496-17) rather
  than through FFmpeg's encoder, which would read ``{`` and ``\\`` in a transcript as ASS markup;
  the encoder is opened only to give the track its sample description.
* **Metadata**: nothing of the original's container or stream tags, other streams (cover art,
  chapters) or file name is carried over, since tags can name the device, software, user or
  folder of whoever handled the file. The muxer runs bit-exact (no ``encoder`` tag, zero
  creation time) and the only tags set are a neutral title and a comment with the hash
  (``published_tags``). ``stripped_metadata`` lists what was left out, for the record. x264
  writes its own version and settings into the first frame, as in every x264 video; that names
  software, never a person.

**Source protection** (``protect_source``). The original's exact SHA-256 and its untouched
audio packets identify the very file that leaked; where copies were handed out one per
recipient (distinct encodes, watermarks in the bitstream), they say whose copy it was. With
``protect_source`` the audio is decoded and freshly encoded as AAC, with a random dither of one
16-bit step (far below hearing) so that not even rerunning this code on each suspected copy
gives the same bytes; nothing names the original's hash (no tags at all, header and card without it:
``Painter`` with no hash); and no encoder writes its identity (libavcodec's AAC signature is
off with the ``bitexact`` flag, x264's version-and-settings SEI is cut out with the
``filter_units`` bitstream filter). What it cannot remove is a watermark in the sound itself.

The pictures are drawn in ``publish_picture``; ``Rendered.notes`` says when the font was missing.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from earwitness.errors import EarwitnessError
from earwitness.formats.subtitles import Caption, layout_cues
from earwitness.formats.transcript_text import translation_lines
from earwitness.publish.picture import COLUMNS, HEIGHT, WIDTH, Painter, waveform_envelope
from earwitness.speech.types import Segment, Transcript

MODES = ("bilingual", "en", "original")
STEP_MS = 500  # frames at least every half second (2 fps)
CARD_SECONDS = 4.0
COPY_CODECS = ("aac", "mp3", "alac", "flac", "opus")
# PCM the MP4 muxer takes as ISO/IEC 23003-5 ('ipcm'/'fpcm'); used where FLAC would round.
MP4_PCM = ("pcm_s32le", "pcm_s32be", "pcm_f32le", "pcm_f32be", "pcm_f64le", "pcm_f64be")
MS = Fraction(1, 1000)
# Sample rates the AAC encoder takes (others are resampled to 48 kHz), and bits a second per
# channel: transparent for speech, and what platforms re-encode to anyway.
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
AAC_BIT_RATE = 96_000
_MOV_TEXT_HEADER = (
    "[Script Info]\r\nScriptType: v4.00+\r\nPlayResX: 384\r\nPlayResY: 288\r\n\r\n"
    "[V4+ Styles]\r\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, "
    "OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
    "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\r\n"
    "Style: Default,Sans,16,&Hffffff,&Hffffff,&H0,&H0,0,0,0,0,100,100,0,0,1,1,0,2,10,10,10,0"
    "\r\n\r\n[Events]\r\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, "
    "Effect, Text\r\n"
)


class PublishError(EarwitnessError):
    """The recording cannot be published as asked; the message says why in one line."""


@dataclass(frozen=True)
class StrippedTag:
    """A tag (or a whole stream, ``name`` empty) of the original left out of the video."""

    where: str  # "container" or "stream 1 (video)"
    name: str
    value: str

    def __str__(self) -> str:
        if not self.name:
            return f"{self.where}: {self.value}"
        suffix = "" if self.where == "container" else f" [{self.where}]"
        return f"{self.name}={self.value}{suffix}"

    def to_dict(self) -> dict[str, str]:
        return {"where": self.where, "name": self.name, "value": self.value}


@dataclass(frozen=True)
class AudioPlan:
    """How the original's audio goes into the MP4: ``copy`` its packets, or ``encode`` the
    decoded samples with the lossless ``codec`` in ``sample_format``."""

    method: str
    codec: str
    sample_format: str | None = None
    source_codec: str = ""

    def describe(self) -> str:
        if self.method == "copy":
            return f"original {self.codec} packets copied unchanged"
        if self.method == "reencode":
            return f"{self.source_codec} freshly encoded as {self.codec} (source protection)"
        return f"{self.source_codec} decoded and stored losslessly as {self.codec}"


@dataclass(frozen=True)
class Rendered:
    audio: AudioPlan
    video_codec: str
    subtitle_track: str
    audio_seconds: float
    total_seconds: float
    frames: int
    captions: int
    notes: tuple[str, ...] = ()


def captions_for(transcript: Transcript, mode: str) -> list[Caption]:
    """The cues to show (``layout_cues``: two lines of 42 characters a language, 7 s at most).

    ``bilingual``: the original's lines over the English; ``en``: English only; ``original``:
    the original only. A recording in English has one language to show whatever the mode.
    """
    if mode not in MODES:
        raise ValueError(f"subtitles are one of {MODES}, not {mode!r}")
    segments = list(transcript.segments)
    if mode == "original" or transcript.language == "en":
        return layout_cues(segments)
    english = translation_lines(segments, transcript.translation)
    if any(s.text.strip() for s in segments) and not any(english):
        raise PublishError(
            f"the transcript (language {transcript.language or 'unknown'}) has no English "
            "translation to show; use --subtitles original"
        )
    if mode == "bilingual":
        return layout_cues(segments, translation=list(transcript.translation or ()))
    return layout_cues(
        [
            Segment(s.id, s.start, s.end, text, speaker=s.speaker)
            for s, text in zip(segments, english, strict=True)
        ]
    )


def stripped_metadata(media: dict[str, Any]) -> list[StrippedTag]:
    """Everything in ``probe(...).to_dict()`` that the video leaves out: every container and
    stream tag, and every stream but the first audio stream."""
    stripped = [StrippedTag("container", k, str(v)) for k, v in (media.get("tags") or {}).items()]
    audio = next((s for s in media.get("streams", []) if s.get("type") == "audio"), None)
    for stream in media.get("streams", []):
        where = f"stream {stream.get('index')} ({stream.get('type')})"
        stripped += [StrippedTag(where, k, str(v)) for k, v in (stream.get("tags") or {}).items()]
        if stream is not audio:
            stripped.append(StrippedTag(where, "", f"{stream.get('codec')} stream not published"))
    return stripped


def plan_audio(media: dict[str, Any]) -> AudioPlan:
    """Copy where MP4 takes the codec; else the lossless form that keeps every sample exact."""
    audio = next((s for s in media.get("streams", []) if s.get("type") == "audio"), None)
    if audio is None or not audio.get("codec"):
        raise PublishError("the recording has no audio stream to publish")
    codec, sample_format = audio["codec"], (audio.get("sample_format") or "").rstrip("p")
    if codec in COPY_CODECS:
        return AudioPlan("copy", codec, source_codec=codec)
    if codec in MP4_PCM:
        return AudioPlan("copy", codec, source_codec=codec)
    if sample_format in ("u8", "s16"):
        return AudioPlan("encode", "flac", "s16", codec)
    if sample_format == "s32" and (audio.get("bits_per_sample") or 32) <= 24:
        return AudioPlan("encode", "flac", "s32", codec)  # FLAC keeps 24 bits, the source's
    pcm = {"s32": "pcm_s32le", "flt": "pcm_f32le", "dbl": "pcm_f64le"}.get(sample_format)
    if pcm is None:
        raise PublishError(f"no lossless way to carry {codec} ({sample_format}) audio in MP4")
    return AudioPlan("encode", pcm, sample_format, codec)


def protected_audio_plan(media: dict[str, Any]) -> AudioPlan:
    """A fresh AAC encode of the decoded audio, whatever the original's codec."""
    audio = next((s for s in media.get("streams", []) if s.get("type") == "audio"), None)
    if audio is None or not audio.get("codec"):
        raise PublishError("the recording has no audio stream to publish")
    return AudioPlan("reencode", "aac", "fltp", audio["codec"])


def published_tags(sha256: str) -> dict[str, str]:
    """The only tags the video carries: nothing about the file's name, source or handlers."""
    return {
        "title": f"Recording {sha256[:12]}",
        "comment": f"Published with Earwitness; original SHA-256 {sha256}",
    }


def h264_encoder() -> str:
    """The H.264 encoder this PyAV build has (``h264`` resolves to its default one)."""
    for name in ("libx264", "libopenh264", "h264"):
        try:
            return av.Codec(name, "w").name
        except Exception:  # not in this build
            continue
    raise PublishError("this PyAV build has no H.264 encoder; install a PyAV wheel with libx264")


def render_video(
    source: Path,
    output: Path,
    captions: Sequence[Caption],
    *,
    sha256: str,
    media: dict[str, Any],
    card_seconds: float = CARD_SECONDS,
    protect_source: bool = False,
) -> Rendered:
    """Write the video of ``source`` (described by ``media``, from ``probe``) to ``output``;
    with ``protect_source``, re-encoded and naming nothing of the original (module notes)."""
    plan = protected_audio_plan(media) if protect_source else plan_audio(media)
    audio = next(s for s in media["streams"] if s.get("type") == "audio")
    try:
        lows, highs, decoded = waveform_envelope(
            source, int(audio.get("sample_rate") or 0), COLUMNS
        )
    except ValueError as exc:
        raise PublishError(str(exc)) from None
    # The card starts when the audio track ends (a decoder's priming may make that later).
    audio_seconds = max(decoded, float(audio.get("duration_s") or 0.0))
    painter = Painter(None if protect_source else sha256, (lows, highs), decoded, _card_note(plan))
    spans = timeline(captions, round(audio_seconds * 1000), round(card_seconds * 1000))
    encoder = h264_encoder()
    options = {"fflags": "+bitexact", "movflags": "+faststart"}
    with av.open(str(output), "w", format="mp4", options=options) as out:
        if not protect_source:
            out.metadata.update(published_tags(sha256))
        video = _video_stream(out, encoder)
        source_container = av.open(str(source), metadata_errors="replace")
        try:
            audio_in = source_container.streams.audio[0]
            audio_out = _audio_stream(out, audio_in, plan)
            subtitles = out.add_stream("mov_text")
            subtitles.codec_context.subtitle_header = _MOV_TEXT_HEADER.encode()
            subtitles.time_base = MS
            for stream in out.streams:
                stream.metadata.clear()
            out.start_encoding()
            counted = [0]
            # x264 writes its version and settings into an SEI unit (NAL type 6) of frame 1.
            sei_cut = _SeiCut(video) if protect_source else None
            streams = (
                _video_packets(video, spans, captions, painter, counted, sei_cut),
                _audio_packets(source_container, audio_in, audio_out, plan),
                _subtitle_packets(subtitles, captions),
            )
            for _, _, packet in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
                out.mux(packet)
        finally:
            source_container.close()
    return Rendered(
        audio=plan,
        video_codec=encoder,
        subtitle_track="mov_text",
        audio_seconds=audio_seconds,
        total_seconds=spans[-1][1] / 1000,
        frames=counted[0],
        captions=len(captions),
        notes=painter.notes,
    )


def timeline(
    captions: Sequence[Caption], audio_ms: int, card_ms: int
) -> list[tuple[int, int, int | str | None]]:
    """What the picture shows when: (start ms, end ms, caption index, None for no caption,
    or "card"). Captions never overlap (``layout_cues`` sees to it); the card comes last."""
    spans: list[tuple[int, int, int | str | None]] = []
    at = 0
    for index, caption in enumerate(captions):
        start, end = max(round(caption.start * 1000), at), round(caption.end * 1000)
        if start > at:
            spans.append((at, start, None))
        if end > start:
            spans.append((start, end, index))
            at = end
    card = max(at, audio_ms)
    if card > at:
        spans.append((at, card, None))
    spans.append((card, card + max(card_ms, 1), "card"))
    return spans


def _card_note(plan: AudioPlan) -> str:
    if plan.method == "copy":
        return "Audio: the original recording's, copied unchanged"
    if plan.method == "reencode":
        return "Audio: the original recording's sound, freshly encoded (AAC)"
    return f"Audio: the original recording's, stored losslessly ({plan.codec})"


def _video_stream(out: Any, encoder: str) -> Any:
    video = out.add_stream(encoder, rate=1000 // STEP_MS)
    video.width, video.height, video.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    video.time_base = video.codec_context.time_base = MS
    video.codec_context.gop_size = 20  # a key frame at least every 10 s, for seeking
    video.codec_context.max_b_frames = 0
    if encoder == "libx264":
        video.codec_context.options = {"preset": "veryfast", "tune": "stillimage", "crf": "20"}
    else:
        video.codec_context.bit_rate = 1_000_000
    return video


def _audio_stream(out: Any, audio_in: Any, plan: AudioPlan) -> Any:
    if plan.method == "copy":
        return out.add_stream_from_template(audio_in)
    context = audio_in.codec_context
    if plan.method == "reencode":
        channels = min(max(context.channels, 1), 2)
        rate = context.sample_rate if context.sample_rate in AAC_RATES else 48000
        stream = out.add_stream(
            plan.codec, rate=rate, layout="mono" if channels == 1 else "stereo", format="fltp"
        )
        stream.codec_context.bit_rate = AAC_BIT_RATE * channels
        stream.codec_context.flags |= av.codec.context.Flags.bitexact  # no "Lavc…" signature
        return stream
    return out.add_stream(
        plan.codec, rate=context.sample_rate, layout=context.layout.name, format=plan.sample_format
    )


Item = tuple[float, int, Any]  # (time in s, stream order, packet): what heapq.merge orders


def _video_packets(
    stream: Any,
    spans: Sequence[tuple[int, int, int | str | None]],
    captions: Sequence[Caption],
    painter: Painter,
    counted: list[int],
    sei_cut: _SeiCut | None = None,
) -> Iterator[Item]:
    cut = sei_cut.filter if sei_cut is not None else (lambda packets: packets)
    pictures: dict[int | str | None, np.ndarray] = {}
    for start, end, shown in spans:
        if shown not in pictures:
            if isinstance(shown, int):
                pictures = {k: v for k, v in pictures.items() if not isinstance(k, int)}
            rgb = av.VideoFrame.from_ndarray(painter.picture(shown, captions), format="rgb24")
            pictures[shown] = rgb.reformat(format="yuv420p").to_ndarray()
        for at in range(start, end, STEP_MS):
            frame = av.VideoFrame.from_ndarray(pictures[shown], format="yuv420p")
            frame.pts, frame.time_base = at, MS
            frame.duration = min(STEP_MS, end - at)
            counted[0] += 1
            yield from _timed(cut(stream.encode(frame)), 0)
    yield from _timed(cut(stream.encode(None)), 0)
    if sei_cut is not None:
        yield from _timed(sei_cut.flush(), 0)


class _SeiCut:
    """Removes SEI units (x264's identity among them) from a video stream's packets."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.context = av.bitstream.BitStreamFilterContext("filter_units=remove_types=6", stream)

    def filter(self, packets: Sequence[Any]) -> list[Any]:
        return [self._own(kept) for packet in packets for kept in self.context.filter(packet)]

    def flush(self) -> list[Any]:
        return [self._own(kept) for kept in self.context.filter(None)]

    def _own(self, packet: Any) -> Any:
        packet.stream = self.stream
        return packet


def _audio_packets(container: Any, audio_in: Any, audio_out: Any, plan: AudioPlan) -> Iterator:
    if plan.method == "copy":
        for packet in container.demux(audio_in):
            if packet.dts is None:  # the demuxer's empty end-of-stream packet
                continue
            packet.stream = audio_out
            yield from _timed([packet], 1)
        return
    if plan.method == "reencode":
        yield from _reencoded_packets(container, audio_in, audio_out)
        return
    converter = av.AudioResampler(format=plan.sample_format)  # format only: exact
    for frame in _decoded_frames(container, audio_in):
        for converted in converter.resample(frame):
            yield from _timed(audio_out.encode(converted), 1)
    for converted in converter.resample(None):
        yield from _timed(audio_out.encode(converted), 1)
    yield from _timed(audio_out.encode(None), 1)


def _decoded_frames(container: Any, stream: Any) -> Iterator[Any]:
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.FFmpegError:  # a damaged packet: skipped, as every decoder here does
            continue
        yield from frames


def _reencoded_packets(container: Any, audio_in: Any, audio_out: Any) -> Iterator[Item]:
    context = audio_out.codec_context
    converter = av.AudioResampler(
        format="fltp", layout=context.layout.name, rate=context.sample_rate
    )
    dither = np.random.default_rng()  # fresh entropy: the same copy never encodes the same
    written = 0

    def encoded(frames: Sequence[Any]) -> Iterator[Item]:
        nonlocal written
        for converted in frames:
            samples = converted.to_ndarray()
            # Triangular dither of one 16-bit step: inaudible, and different on every run.
            noise = (dither.random(samples.shape) - dither.random(samples.shape)) / 32768
            frame = av.AudioFrame.from_ndarray(
                (samples + noise).astype(np.float32), format="fltp", layout=context.layout.name
            )
            frame.sample_rate, frame.pts = context.sample_rate, written
            frame.time_base = Fraction(1, context.sample_rate)
            written += frame.samples
            yield from _timed(audio_out.encode(frame), 1)

    for frame in _decoded_frames(container, audio_in):
        yield from encoded(converter.resample(frame))
    yield from encoded(converter.resample(None))
    yield from _timed(audio_out.encode(None), 1)


def _subtitle_packets(stream: Any, captions: Sequence[Caption]) -> Iterator[Item]:
    for caption in captions:
        text = "\n".join(caption.lines).encode("utf-8")[:65535]
        packet = av.Packet(len(text).to_bytes(2, "big") + text)
        start, end = round(caption.start * 1000), round(caption.end * 1000)
        packet.pts = packet.dts = start
        packet.duration, packet.time_base, packet.stream = max(end - start, 1), MS, stream
        yield from _timed([packet], 2)


def _timed(packets: Any, order: int) -> Iterator[Item]:
    for packet in packets:
        dts = packet.dts if packet.dts is not None else packet.pts
        yield (float(dts * packet.time_base) if dts is not None else 0.0, order, packet)
