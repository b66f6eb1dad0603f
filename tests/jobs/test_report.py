"""``jobs.report``: what one report run shares between its recordings."""

from __future__ import annotations

import pytest

from earwitness.jobs.report import ReportOptions, SpeechEngine
from earwitness.speech import asr


def test_the_speech_model_is_loaded_once_per_run_and_only_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str) -> None:
            loads.append((model.sha256, device))

    monkeypatch.setattr(asr, "Recognizer", CountingRecognizer)
    engine = SpeechEngine(ReportOptions(device="cpu"))
    assert loads == []  # every recording may be answered from the case: nothing loaded yet
    first = engine.recognizer
    assert engine.recognizer is first
    assert loads == [(engine.model.sha256, "cpu")]


def test_the_model_can_be_let_go_and_is_loaded_again_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str) -> None:
            loads.append(device)

    monkeypatch.setattr(asr, "Recognizer", CountingRecognizer)
    engine = SpeechEngine(ReportOptions(device="cpu"))
    first = engine.recognizer
    engine.unload()
    assert engine.recognizer is not first
    assert loads == ["cpu", "cpu"]
