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


def test_the_page_is_drawn_ahead_only_after_a_new_examination(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An examination answered from the case is most often a report asked for again, whose
    page is stored too: drawing it ahead would be work for nothing."""
    from earwitness.jobs import dossier
    from earwitness.jobs.engine import Run, StageResult
    from earwitness.reports import dossier as page

    drawn: list[object] = []
    monkeypatch.setattr(page, "draw_ahead", lambda target, exam: drawn.append(exam))
    run = Run(case=None, exhibit_sha256="a" * 64)
    run.resources[dossier.DRAWN] = lambda: "drawings"
    dossier.draw_ahead_of_page(run, StageResult("old", b"", None, reused=True))
    dossier.draw_ahead_of_page(run, StageResult("new", b"", None, reused=False))
    assert drawn == ["new"]
    monkeypatch.setattr(page, "draw_ahead", lambda target, exam: 1 / 0)
    dossier.draw_ahead_of_page(run, StageResult("new", b"", None, reused=False))  # no raise
