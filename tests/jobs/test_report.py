"""``jobs.report``: what one report run shares between its recordings."""

from __future__ import annotations

import pytest

from earwitness.jobs import report
from earwitness.jobs.report import ReportOptions, SpeechEngine


def test_the_speech_model_is_loaded_once_per_run_and_only_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str) -> None:
            loads.append((model.sha256, device))

    monkeypatch.setattr(report, "Recognizer", CountingRecognizer)
    engine = SpeechEngine(ReportOptions(device="cpu"))
    assert loads == []  # every recording may be answered from the case: nothing loaded yet
    first = engine.recognizer
    assert engine.recognizer is first
    assert loads == [(engine.model.sha256, "cpu")]
