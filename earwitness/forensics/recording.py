"""What an examination receives: the decoded recording and the facts about its file.

``samples`` may be a memory-mapped array: checks read it in blocks where they can and must not
assume the whole recording sits in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class ExhibitFacts:
    """What is known about the file apart from its samples."""

    sha256: str
    filename: str
    size_bytes: int
    media: dict[str, Any] | None
    received_at: str | None = None
    file_modified: str | None = None

    @property
    def audio_stream(self) -> dict[str, Any]:
        """The first audio stream the probe found, or an empty dict."""
        streams = (self.media or {}).get("streams", [])
        return next((s for s in streams if s.get("type") == "audio"), {})

    @property
    def codec(self) -> str | None:
        """The file's codec as probed (``media["codec"]``), or None when unknown."""
        return (self.media or {}).get("codec")

    @property
    def bits_per_sample(self) -> int | None:
        """Bits per sample of the source PCM, when the probe reports them."""
        return self.audio_stream.get("bits_per_sample")


@dataclass(frozen=True)
class Recording:
    """Mono float32 samples (−1..1) at ``sample_rate``, and the facts of the exhibit."""

    samples: np.ndarray
    sample_rate: int
    facts: ExhibitFacts

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0
