"""Published videos without a speech model: audio kept exactly, tags left out, text drawn."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import ImageDraw

from earwitness.formats.subtitles import Caption
from earwitness.media.decode import decode_audio
from earwitness.media.probe import probe
from earwitness.publish.picture import COLUMNS, Painter
from earwitness.publish.video import (
    AudioPlan,
    PublishError,
    captions_for,
    plan_audio,
    protected_audio_plan,
    published_tags,
    render_video,
    stripped_metadata,
    timeline,
)
from earwitness.speech.types import Segment, Transcript
from tests.conftest import encode

SHA = "0123456789abcdef" * 4
TAGS = {
    "artist": "Jane Roe",
    "comment": "/home/jroe/leaks/call.wav",
    "date": "2020-09-15",
    "originator": "jroe-pixel",
}
CAPTIONS = [
    Caption(0.5, 1.5, "S1", ("S1: Добрый день, {коллеги}.",), ("Good afternoon, colleagues.",)),
    Caption(2.0, 2.8, None, ("Бюджет \\N утверждён",), ("The budget is approved",)),
]


def _transcript(language: str = "ru", translated: bool = True) -> Transcript:
    segments = (
        Segment(0, 0.0, 1.0, " Добрый день.", speaker="S1"),
        Segment(1, 1.5, 3.0, " Бюджет утверждён.", speaker="S2"),
    )
    english = (Segment(0, 0.0, 1.0, " Good afternoon."), Segment(1, 1.5, 3.0, " Budget passed."))
    return Transcript(
        SHA,
        language,
        segments,
        "whisper-base",
        "cd" * 32,
        translation=english if translated else None,
    )


def _pcm(path: Path, codec: str, sample_format: str, data: np.ndarray, tags: dict) -> Path:
    with av.open(str(path), "w", format="wav", options={"write_bext": "1"}) as container:
        container.metadata.update(tags)
        stream = container.add_stream(codec, rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(data[None, :], sample_format, "mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


def _signal(seconds: float = 3.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return 0.4 * np.sin(2 * np.pi * 220 * t) * (t % 1.0 < 0.6)


def _render(source: Path, output: Path) -> None:
    render_video(source, output, CAPTIONS, sha256=SHA, media=probe(source).to_dict())


def _all_tags(path: Path) -> dict[str, str]:
    with av.open(str(path)) as container:
        tags = dict(container.metadata)
        for stream in container.streams:
            tags.update({f"{stream.index}:{k}": v for k, v in stream.metadata.items()})
    return tags


def test_captions_follow_the_mode() -> None:
    bilingual = captions_for(_transcript(), "bilingual")
    assert [c.lines for c in bilingual] == [
        ("S1: Добрый день.", "Good afternoon."),
        ("S2: Бюджет утверждён.", "Budget passed."),
    ]
    english = captions_for(_transcript(), "en")
    assert [c.lines for c in english] == [("S1: Good afternoon.",), ("S2: Budget passed.",)]
    original = captions_for(_transcript(), "original")
    assert [c.lines for c in original] == [("S1: Добрый день.",), ("S2: Бюджет утверждён.",)]
    # An English recording has one language to show, whatever the mode.
    assert captions_for(_transcript("en", translated=False), "bilingual") == original
    with pytest.raises(PublishError, match="no English translation"):
        captions_for(_transcript(translated=False), "en")


@pytest.mark.parametrize(
    ("codec", "sample_format", "bits", "plan"),
    [
        ("mp3", "fltp", None, AudioPlan("copy", "mp3", None, "mp3")),
        ("opus", "fltp", None, AudioPlan("copy", "opus", None, "opus")),
        ("pcm_s16le", "s16", 16, AudioPlan("encode", "flac", "s16", "pcm_s16le")),
        ("pcm_u8", "u8", 8, AudioPlan("encode", "flac", "s16", "pcm_u8")),
        ("pcm_s24le", "s32", 24, AudioPlan("encode", "flac", "s32", "pcm_s24le")),
        ("pcm_s32le", "s32", 32, AudioPlan("copy", "pcm_s32le", None, "pcm_s32le")),
        ("wavpack", "s32p", None, AudioPlan("encode", "pcm_s32le", "s32", "wavpack")),
        ("vorbis", "fltp", None, AudioPlan("encode", "pcm_f32le", "flt", "vorbis")),
    ],
)
def test_audio_is_copied_or_kept_losslessly(
    codec: str, sample_format: str, bits: int | None, plan: AudioPlan
) -> None:
    stream = {"type": "audio", "codec": codec, "sample_format": sample_format}
    assert plan_audio({"streams": [{**stream, "bits_per_sample": bits}]}) == plan


def test_no_audio_is_one_clear_error() -> None:
    with pytest.raises(PublishError, match="no audio"):
        plan_audio({"streams": [{"type": "video", "codec": "h264"}]})


def test_every_tag_and_other_stream_is_listed_as_stripped() -> None:
    media = {
        "tags": {"encoder": "Lavf60", "title": "call with J."},
        "streams": [
            {"index": 0, "type": "audio", "codec": "aac", "tags": {"handler_name": "Core Media"}},
            {"index": 1, "type": "video", "codec": "mjpeg", "tags": {}},
        ],
    }
    assert [str(tag) for tag in stripped_metadata(media)] == [
        "encoder=Lavf60",
        "title=call with J.",
        "handler_name=Core Media [stream 0 (audio)]",
        "stream 1 (video): mjpeg stream not published",
    ]


def test_timeline_fills_gaps_and_puts_the_card_after_the_audio() -> None:
    assert timeline(CAPTIONS, 3000, 4000) == [
        (0, 500, None),
        (500, 1500, 0),
        (1500, 2000, None),
        (2000, 2800, 1),
        (2800, 3000, None),
        (3000, 7000, "card"),
    ]


@pytest.mark.parametrize(
    ("codec", "sample_format", "scale", "published"),
    [
        ("pcm_s16le", "s16", 32767, "flac"),
        ("pcm_s24le", "s32", 2**31 - 256, "flac"),
        ("pcm_f32le", "flt", None, "pcm_f32le"),
    ],
)
def test_wav_audio_is_lossless_and_its_tags_are_gone(
    tmp_path: Path, codec: str, sample_format: str, scale: int | None, published: str
) -> None:
    signal = _signal()
    if scale is None:
        data = signal.astype(np.float32)
    else:
        data = np.round(signal * scale).astype(np.int16 if scale < 2**16 else np.int32)
    if codec == "pcm_s24le":
        data &= ~0xFF  # 24 significant bits, as the WAV holds them
    source = _pcm(tmp_path / "call.wav", codec, sample_format, data, TAGS)
    original_tags = probe(source).to_dict()["tags"]
    assert {"artist", "comment", "encoder"} <= set(original_tags)  # the test has tags to strip
    output = tmp_path / "out.mp4"
    _render(source, output)
    with av.open(str(output)) as container:
        assert container.streams.audio[0].codec_context.name == published
    original, copy = decode_audio(source, mono=False), decode_audio(output, mono=False)
    assert copy.samples.shape == original.samples.shape
    assert np.array_equal(copy.samples, original.samples)  # every sample, exactly
    tags = _all_tags(output)
    assert {k: v for k, v in tags.items() if k in ("title", "comment")} == published_tags(SHA)
    content = output.read_bytes()
    for value in original_tags.values():
        assert value not in tags.values()
        assert len(value) < 4 or value.encode() not in content  # ("0" is in any file)
    for leak in (b"jroe", b"Jane Roe", b"call.wav", str(tmp_path).encode(), b"Lavf"):
        assert leak not in content


def test_aac_is_copied_packet_for_packet_without_its_creation_time(tmp_path: Path) -> None:
    plain = encode(tmp_path / "plain.m4a", "aac", "ipod", seconds=3.0)
    source = tmp_path / "voice memo.m4a"
    with av.open(str(plain)) as src, av.open(str(source), "w", format="ipod") as dst:
        dst.metadata.update({"creation_time": "2020-09-15T10:00:00.000000Z", "title": "J. call"})
        stream = dst.add_stream_from_template(src.streams.audio[0])
        for packet in src.demux(src.streams.audio[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    assert probe(source).to_dict()["tags"]["creation_time"].startswith("2020-09-15")
    output = tmp_path / "out.mp4"
    _render(source, output)
    with av.open(str(source)) as a, av.open(str(output)) as b:
        before = [bytes(p) for p in a.demux(a.streams.audio[0]) if p.size]
        after = [bytes(p) for p in b.demux(b.streams.audio[0]) if p.size]
    assert before == after
    tags = _all_tags(output)
    assert "creation_time" not in tags and "J. call" not in tags.values()
    assert b"2020-09-15" not in output.read_bytes()


def test_the_picture_shows_captions_and_the_card(tmp_path: Path) -> None:
    source = _pcm(tmp_path / "a.wav", "pcm_s16le", "s16", (_signal() * 32767).astype(np.int16), {})
    output = tmp_path / "out.mp4"
    _render(source, output)
    with av.open(str(output)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert (video.width, video.height) == (1280, 720)
        frames = {
            round(f.time * 1000): f.to_ndarray(format="rgb24") for f in container.decode(video)
        }
    with av.open(str(output)) as container:
        texts = [
            bytes(p)[2:].decode("utf-8")
            for p in container.demux(container.streams.subtitles[0])
            if p.size > 2
        ]
        assert container.duration / 1e6 >= 3.0 + 3.9  # the card comes after the audio
    assert texts == ["\n".join(c.lines) for c in CAPTIONS]  # markup-like text kept as it is
    blank, captioned, card = frames[0], frames[500], frames[max(frames)]
    text_rows = slice(380, 700)
    assert np.abs(captioned[text_rows].astype(int) - blank[text_rows]).mean() > 1
    assert np.abs(card.astype(int) - blank).mean() > 1
    assert np.abs(frames[1000].astype(int) - captioned).mean() < 1  # held, not redrawn


def test_a_missing_font_falls_back_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts = {False: "NoSuchFont.ttf", True: "NoSuchMono.ttf"}
    monkeypatch.setattr("earwitness.publish.picture.FONTS", fonts)
    source = _pcm(
        tmp_path / "a.wav", "pcm_s16le", "s16", (_signal(1.0) * 32767).astype(np.int16), {}
    )
    rendered = render_video(
        source, tmp_path / "out.mp4", CAPTIONS[:1], sha256=SHA, media=probe(source).to_dict()
    )
    assert rendered.notes and "default font" in rendered.notes[0]


def test_a_protected_picture_never_names_the_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    draw_text = ImageDraw.ImageDraw.text

    def recording(self: ImageDraw.ImageDraw, xy: object, text: str, *args, **kwargs) -> None:
        drawn.append(text)
        draw_text(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", recording)
    envelope = (np.full(COLUMNS, -0.5), np.full(COLUMNS, 0.5))
    for sha256 in (SHA, None):
        painter = Painter(sha256, envelope, 3.0, "Audio: note")
        for shown in (None, 0, "card"):
            painter.picture(shown, CAPTIONS)
        named = [text for text in drawn if SHA[:12] in text or SHA[32:] in text]
        assert bool(named) == (sha256 is not None)
        drawn.clear()


def test_a_protected_plan_encodes_whatever_the_codec() -> None:
    media = {"streams": [{"type": "audio", "codec": "flac", "sample_format": "s16"}]}
    assert plan_audio(media).method == "copy"
    plan = protected_audio_plan(media)
    assert (plan.method, plan.codec) == ("reencode", "aac")
    assert "source protection" in plan.describe()
    with pytest.raises(PublishError, match="no audio stream"):
        protected_audio_plan({"streams": [{"type": "video", "codec": "h264"}]})
