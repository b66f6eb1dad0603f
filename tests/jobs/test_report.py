"""``jobs.report``: what one report run shares between its recordings."""

from __future__ import annotations

import pytest

from earwitness.jobs.report import ReportOptions, SpeechEngine
from earwitness.speech import asr
from earwitness.speech.options import TranscribeOptions


def test_the_speech_model_is_loaded_once_per_run_and_only_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str, workers: int = 1) -> None:
            loads.append((model.sha256, device, workers))

    monkeypatch.setattr(asr, "Recognizer", CountingRecognizer)
    engine = SpeechEngine(ReportOptions(device="cpu"))
    assert loads == []  # every recording may be answered from the case: nothing loaded yet
    first = engine.recognizer
    assert engine.recognizer is first
    assert loads == [(engine.model.sha256, "cpu", 1)]


def test_a_second_whisper_worker_only_when_english_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The translate task decodes beside the transcription on a worker of its own; without
    translation that worker's buffers would be memory for nothing."""
    seen = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str, workers: int = 1) -> None:
            seen.append(workers)

    monkeypatch.setattr(asr, "Recognizer", CountingRecognizer)
    monkeypatch.setattr(asr, "available_cpus", lambda: 2)
    english = ReportOptions(device="cpu", speech=TranscribeOptions(translate_to="en"))
    plain = ReportOptions(device="cpu")
    loaded = [SpeechEngine(english).recognizer, SpeechEngine(plain).recognizer]
    monkeypatch.setattr(asr, "available_cpus", lambda: 1)
    loaded.append(SpeechEngine(english).recognizer)  # one core: nothing to decode beside
    assert seen == [2, 1, 1] and all(isinstance(r, CountingRecognizer) for r in loaded)


def test_the_model_can_be_let_go_and_is_loaded_again_when_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = []

    class CountingRecognizer:
        def __init__(self, model, *, device: str, workers: int = 1) -> None:
            loads.append(device)

    monkeypatch.setattr(asr, "Recognizer", CountingRecognizer)
    engine = SpeechEngine(ReportOptions(device="cpu"))
    first = engine.recognizer
    engine.unload()
    assert engine.recognizer is not first
    assert loads == ["cpu", "cpu"]
