"""The dossier's drawings of one recording, each drawn once.

The timeline and the close-ups of the findings depend on the samples and the examination, not
on the transcript, so ``report`` draws them while the speech is still being decoded
(``jobs/report.py``) and the page then takes them from here. A ``Drawn`` belongs to the very
array it was made for: ``for_samples`` hands out a fresh one for any other, so a page of muted
samples (a redaction) never shows a drawing of the original.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np

from earwitness.reports.plots import Timeline, render_finding_plot, render_timeline

if TYPE_CHECKING:
    from earwitness.media.decode import DecodedAudio


class Drawn:
    """Figures of ``samples`` at ``sample_rate``, drawn on first use and kept."""

    def __init__(self, samples: np.ndarray, sample_rate: int) -> None:
        self.samples = samples
        self.sample_rate = sample_rate
        self._timeline: Timeline | None = None
        self._close_ups: dict[tuple[float, float, str], str | None] = {}
        # Drawn ahead in one thread, read by the page in another: one drawing at a time.
        self._lock = threading.Lock()

    @classmethod
    def of(cls, decoded: DecodedAudio) -> Drawn:
        """For a decoded recording, its samples as decoded."""
        return cls(decoded.samples, decoded.sample_rate)

    def for_samples(self, samples: np.ndarray, sample_rate: int) -> Drawn:
        """This one if it was made for exactly ``samples`` (the same array), else a new one."""
        if samples is self.samples and sample_rate == self.sample_rate:
            return self
        return Drawn(samples, sample_rate)

    def timeline(self) -> Timeline:
        with self._lock:
            if self._timeline is None:
                self._timeline = render_timeline(self.samples, self.sample_rate)
            return self._timeline

    def close_up(self, start_s: float, end_s: float, colour: str) -> str | None:
        """The close-up of a finding from ``start_s`` to ``end_s``, its span in ``colour``."""
        key = (start_s, end_s, colour)
        with self._lock:
            if key not in self._close_ups:
                self._close_ups[key] = render_finding_plot(
                    self.samples, self.sample_rate, start_s, end_s, colour
                )
            return self._close_ups[key]
