"""``jobs.transcribe``: the run that makes a transcript outside ``report``."""

from __future__ import annotations

from pathlib import Path

import pytest

from earwitness.jobs import transcribe as transcribe_job
from earwitness.jobs.recording import SHORT_RUN_MAX_S, mmap_threshold_for
from earwitness.jobs.report import SIDE_BY_SIDE_MAX_S
from earwitness.media import heap
from earwitness.speech.options import TranscribeOptions
from earwitness.speech.transcribe import no_progress

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "briefing-en.wav"


class ModelWouldLoadHere(Exception):
    pass


def test_a_short_recording_is_transcribed_with_the_short_runs_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``transcribe`` on its own sets the heap as ``report`` does, before the model starts."""
    order: list[object] = []
    monkeypatch.setattr(transcribe_job, "bound_heap", lambda: order.append("bound"))
    monkeypatch.setattr(transcribe_job, "set_mmap_threshold", order.append)

    def recognizer(*_args: object) -> None:
        raise ModelWouldLoadHere

    monkeypatch.setattr(transcribe_job, "_recognizer", recognizer)
    with pytest.raises(ModelWouldLoadHere):
        transcribe_job.transcribe_file(SAMPLE, TranscribeOptions(), None, no_progress)
    assert order == ["bound", heap.SHORT_RUN_MMAP_THRESHOLD]


def test_only_a_short_recording_gets_the_faster_heap() -> None:
    """Memory must stay flat over hours; a short run trades a little of it for speed."""
    assert mmap_threshold_for({"duration_s": 12 * 60.0}) == heap.SHORT_RUN_MMAP_THRESHOLD
    assert mmap_threshold_for({"duration_s": float(SHORT_RUN_MAX_S)}) > heap.MMAP_THRESHOLD
    assert mmap_threshold_for({"duration_s": 2 * 3600.0}) == heap.MMAP_THRESHOLD
    assert mmap_threshold_for({}) == mmap_threshold_for(None) == heap.MMAP_THRESHOLD
    assert mmap_threshold_for({"duration_s": "12"}) == heap.MMAP_THRESHOLD
    assert heap.MMAP_THRESHOLD < heap.SHORT_RUN_MMAP_THRESHOLD <= 32 << 20  # glibc's ceiling
    # report runs its stages side by side exactly where the heap is the short run's
    assert SIDE_BY_SIDE_MAX_S == SHORT_RUN_MAX_S
