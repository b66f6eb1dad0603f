"""The pictures of a published video: the recording's waveform with the caption, the hash card.

Drawn with Pillow, 1280×720 RGB. The waveform is of the whole recording, normalised to its
loudest point so a quiet recording still shows its shape; the stretch the caption belongs to is
lit, which tells a viewer where in the recording the words are without a moving playhead (that
would make every frame a new picture). Text is DejaVu Sans (Pillow lays out complex scripts
with libraqm where it has it); a caption too wide for the frame, as CJK lines of 42 characters
are, is drawn smaller rather than cut. Without the font, Pillow's default font is used and
``Painter.notes`` says so, since it may lack the recording's script.

With source protection (``sha256`` None) no picture names the original's hash: the header
says only "Published recording" and the card tells the viewer to compare a copy with the
digest published beside the video (the published file's own, which it cannot contain).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from earwitness.formats.subtitles import Caption
from earwitness.media.decode import iter_audio_chunks

WIDTH, HEIGHT = 1280, 720
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # where fonts-dejavu-core puts them
# Pillow also looks for a missing file by name in the system's font folders.
FONTS = {False: "DejaVuSans.ttf", True: "DejaVuSansMono.ttf"}
COLUMNS = 1160  # waveform width in pixels
_BACKGROUND, _WAVE, _SPOKEN = (14, 17, 23), (96, 104, 118), (255, 196, 64)
_TEXT, _ENGLISH, _DIM = (255, 255, 255), (255, 221, 120), (150, 158, 170)
_LEFT, _WAVE_TOP, _WAVE_BOTTOM = 60, 100, 320
_Row = tuple[str, int, tuple[int, int, int], bool, int]  # text, size, colour, mono, advance
_OTHER_SYSTEMS = "(macOS: shasum -a 256 FILE · Windows: certutil -hashfile FILE SHA256)"


def waveform_envelope(
    source: Path, sample_rate: int, columns: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lowest and highest sample of each of ``columns`` slices of the recording (mono, in
    10 ms blocks first, so a long recording is never held in memory), and its length in s."""
    if sample_rate <= 0:
        raise ValueError("the audio stream has no sample rate")
    block = max(1, sample_rate // 100)
    lows, highs = [], []
    rest = np.empty(0, dtype=np.float32)
    total = 0
    for chunk in iter_audio_chunks(source, seconds=10.0):
        total += len(chunk)
        data = np.concatenate([rest, chunk])
        whole = len(data) // block * block
        if whole:
            lows.append(data[:whole].reshape(-1, block).min(axis=1))
            highs.append(data[:whole].reshape(-1, block).max(axis=1))
        rest = data[whole:]
    if rest.size:
        lows.append(rest.min(keepdims=True))
        highs.append(rest.max(keepdims=True))
    if not total:
        raise ValueError("no audio could be decoded from the recording")
    low, high = np.concatenate(lows), np.concatenate(highs)
    starts = np.minimum((np.arange(columns) * len(low)) // columns, len(low) - 1)
    return np.minimum.reduceat(low, starts), np.maximum.reduceat(high, starts), total / sample_rate


class Painter:
    """Draws the pictures: waveform with the spoken stretch lit, caption, closing card."""

    def __init__(
        self,
        sha256: str | None,
        envelope: tuple[np.ndarray, np.ndarray],
        seconds: float,
        audio_note: str,
    ) -> None:
        self.sha256, self.seconds, self.audio_note = sha256, seconds, audio_note
        self.notes: tuple[str, ...] = ()
        self._fonts: dict[tuple[int, bool], Any] = {}
        lows, highs = envelope
        peak = max(float(np.max(np.abs(highs))), float(np.max(np.abs(lows))), 1e-9)
        middle, half = (_WAVE_TOP + _WAVE_BOTTOM) / 2, (_WAVE_BOTTOM - _WAVE_TOP) / 2
        self.tops = np.round(middle - np.clip(highs / peak, -1, 1) * half).astype(int)
        self.bottoms = np.round(middle - np.clip(lows / peak, -1, 1) * half).astype(int)

    def font(self, size: int, mono: bool = False) -> Any:
        key = (size, mono)
        if key not in self._fonts:
            path = FONT_DIR / FONTS[mono]
            try:
                self._fonts[key] = ImageFont.truetype(str(path), size)
            except OSError:
                self.notes = (
                    f"font {path} not found: Pillow's default font used, which may lack some "
                    "scripts (install fonts-dejavu-core)",
                )
                self._fonts[key] = ImageFont.load_default(size)
        return self._fonts[key]

    def picture(self, shown: int | str | None, captions: Sequence[Caption]) -> np.ndarray:
        image = Image.new("RGB", (WIDTH, HEIGHT), _BACKGROUND)
        draw = ImageDraw.Draw(image)
        if shown == "card":
            self._card(draw)
            return np.asarray(image)
        minutes, seconds = divmod(round(self.seconds), 60)
        name = f"Recording {self.sha256[:12]}" if self.sha256 else "Published recording"
        header = f"{name}  ·  {minutes}:{seconds:02d}"
        draw.text((_LEFT, 40), header, font=self.font(24), fill=_DIM)
        lit = (-1, -1)
        if isinstance(shown, int):
            caption = captions[shown]
            width, span = COLUMNS, max(self.seconds, 1e-9)
            lit = (int(caption.start / span * width), int(np.ceil(caption.end / span * width)))
            box = (_LEFT + lit[0], _WAVE_TOP - 8, _LEFT + max(lit[1], lit[0] + 1), _WAVE_BOTTOM + 8)
            draw.rectangle(box, fill=(40, 44, 56))
            self._caption(draw, caption)
        for column, (top, bottom) in enumerate(zip(self.tops, self.bottoms, strict=True)):
            colour = _SPOKEN if lit[0] <= column < lit[1] else _WAVE
            draw.line([(_LEFT + column, top), (_LEFT + column, bottom)], fill=colour)
        return np.asarray(image)

    def _caption(self, draw: ImageDraw.ImageDraw, caption: Caption) -> None:
        lines = [(line, _TEXT, 44) for line in caption.original]
        lines += [(line, _ENGLISH, 40) for line in caption.translation]
        widest = max(
            (draw.textlength(text, font=self.font(size)) for text, _, size in lines), default=1
        )
        scale = min(1.0, (WIDTH - 80) / max(widest, 1))  # wide scripts shrink to fit
        heights = [round(size * scale * 1.3) for _, _, size in lines]
        if caption.original and caption.translation:  # a little air between the languages
            heights[len(caption.original) - 1] += 12
        y = 380 + (320 - sum(heights)) / 2
        for (text, colour, size), height in zip(lines, heights, strict=True):
            font = self.font(max(round(size * scale), 10))
            draw.text((WIDTH / 2, y), text, font=font, fill=colour, anchor="ma")
            y += height

    def _card(self, draw: ImageDraw.ImageDraw) -> None:
        rows = self._hash_rows() if self.sha256 else _PROTECTED_ROWS
        rows = [*rows, (self.audio_note, 22, _DIM, False, 0)]
        y = (HEIGHT - sum(row[4] for row in rows) - 30) / 2
        for text, size, colour, mono, advance in rows:
            draw.text((WIDTH / 2, y), text, font=self.font(size, mono), fill=colour, anchor="ma")
            y += advance

    def _hash_rows(self) -> list[_Row]:
        sha256 = self.sha256 or ""
        return [
            ("Original recording SHA-256:", 34, _TEXT, False, 70),
            (sha256[:32], 44, _ENGLISH, True, 56),
            (sha256[32:], 44, _ENGLISH, True, 90),
            ("Anyone with a copy of the original file can check it:", 28, _TEXT, False, 56),
            ("sha256sum FILE", 36, _ENGLISH, True, 56),
            (_OTHER_SYSTEMS, 22, _DIM, False, 40),
            (
                "The result must match the digest above, character for character.",
                24,
                _DIM,
                False,
                70,
            ),
        ]


_PROTECTED_ROWS: list[_Row] = [
    ("This copy was re-encoded to protect its source.", 34, _TEXT, False, 70),
    ("Its SHA-256 is published beside it. Check a copy with:", 28, _TEXT, False, 56),
    ("sha256sum FILE", 36, _ENGLISH, True, 56),
    (_OTHER_SYSTEMS, 22, _DIM, False, 40),
    ("The result must match the published digest, character for character.", 24, _DIM, False, 70),
]
