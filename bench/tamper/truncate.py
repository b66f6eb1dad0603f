"""Truncated files: what a copy broken off mid-transfer (or cut by a careless tool) looks like.

- WAV: the header still declares the whole recording; only the first 30 % of the data follows
  (e.g. 13.97 s declared, 4.1 s present).
- MP3: the first 30 % of the bytes (the Xing/Info frame count still says the whole length).
- M4A (index first, as phones and messengers write it): the first 50 % of the bytes; the index
  declares the whole length.
- Opus in Ogg: cut in the middle of a page (never on a page boundary), at 60 % of the bytes.

``declared_s`` is the length of the whole encoded recording (what a header or index declares,
or what the file held before it was cut); ``payload_s`` is what still decodes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av
import numpy as np
from edits import encode

# codec -> (extension, share of the data or of the bytes that is kept)
TRUNCATIONS = {"wav": ("wav", 0.3), "mp3": ("mp3", 0.3), "aac": ("m4a", 0.5), "opus": ("opus", 0.6)}


def payload_seconds(path: Path) -> float:
    """Seconds that decode from ``path``, tolerating the damage at its end."""
    samples, rate = 0, 0
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(container.streams.audio[0]):
                samples, rate = samples + frame.samples, frame.sample_rate
    except (av.FFmpegError, EOFError, ValueError):
        pass  # the broken end: keep what decoded before it
    return samples / rate if rate else 0.0


def _cut_wav(path: Path, keep: float) -> None:
    """Keep the header (which still declares every sample) and the first ``keep`` of the
    data, at a whole sample."""
    data = path.read_bytes()
    start = data.index(b"data") + 8
    length = int((len(data) - start) * keep) // 2 * 2
    path.write_bytes(data[: start + length])


def _cut_ogg(path: Path, keep: float) -> None:
    """Cut at ``keep`` of the bytes, moved on if that is where a page begins."""
    data = path.read_bytes()
    at = int(len(data) * keep)
    while data[at : at + 4] == b"OggS" or data[at - 4 : at] == b"OggS":
        at += 7  # into the page header: the page is broken, not merely missing
    path.write_bytes(data[:at])


def truncated(
    samples: np.ndarray, rate: int, out: Path, relative_stem: str
) -> list[dict[str, Any]]:
    """Write ``samples`` truncated in every format of ``TRUNCATIONS`` under ``out``; the
    manifest keys of each (path, codec, truncated, declared_s, payload_s, duration)."""
    lines = []
    for codec, (extension, keep) in TRUNCATIONS.items():
        relative = Path("truncated") / codec / f"{relative_stem}.{extension}"
        path = out / relative
        encode(samples, rate, path, codec, faststart=codec == "aac")
        declared = payload_seconds(path)
        if codec == "wav":
            _cut_wav(path, keep)
        elif codec == "opus":
            _cut_ogg(path, keep)
        else:
            path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
        payload = payload_seconds(path)
        lines.append(
            {
                "path": str(relative),
                "codec": codec,
                "truncated": True,
                "declared_s": round(declared, 3),
                "payload_s": round(payload, 3),
                "kept_share": keep,
                "duration": round(payload, 3),
            }
        )
    return lines
