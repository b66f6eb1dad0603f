"""A second speech engine plugs into the pipeline through the ``Recogniser`` protocol.

The engine here is not a stand-in for Whisper (tests/speech/test_transcribe.py runs the real
one): it is the smallest other engine there can be, reading lines from a script, and the test
checks that everything around the engine (finding speech on a real recording, guards,
translation alignment, the record of the model) works the same for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import jsonschema
import numpy as np

from earwitness.media.decode import decode_audio, resample
from earwitness.schemas import load_schema
from earwitness.speech.options import DecodeOptions, TranscribeOptions
from earwitness.speech.recogniser import Detected, Recogniser, Task
from earwitness.speech.transcribe import transcribe
from earwitness.speech.types import Segment, Word
from earwitness.speech.vad import SpeechMap
from tests.conftest import shared

LOOP = "да да да да да да да да"  # what the guards remove, whichever engine wrote it


@dataclass(frozen=True)
class Weights:
    name: str = "scripted-engine"
    sha256: str = "5" * 64


class ScriptedEngine:
    """Says ``line`` and the stretch's number in each stretch of speech it is given
    (``english`` when asked to translate), on the recording's clock; in the first stretch it
    also writes a loop."""

    def __init__(self, line: str, english: str) -> None:
        self.model = Weights()
        self.device = "cpu"
        self.compute_type: str | None = None
        self.line, self.english = line, english
        self.asked: list[tuple[Task, str | None]] = []

    def recognise(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        task: Task = "transcribe",
    ) -> tuple[Iterator[Segment], Detected]:
        self.asked.append((task, options.language))

        def segments() -> Iterator[Segment]:
            number = itertools.count()
            for index, (start, end) in enumerate(speech.regions):
                start, end = round(start, 3), round(end, 3)
                if task == "translate":
                    yield said(next(number), start, end, f"{self.english} {index + 1}.")
                    continue
                middle = round((start + end) / 2, 3)
                yield said(next(number), start, middle, f"{self.line} {index + 1}.")
                if index == 0:
                    yield said(next(number), middle, end, LOOP)

        return segments(), Detected(options.language or "ru", 0.97)


def said(number: int, start: float, end: float, text: str) -> Segment:
    return Segment(number, start, end, text, (Word(start, end, f" {text}", 0.9),), None, -0.2, 0.01)


def two_utterances() -> np.ndarray:
    """A real utterance, three seconds of silence, and the utterance again (16 kHz)."""
    decoded = decode_audio(shared("data/real/speech/en/whisper.cpp/jfk.wav"))
    speech = resample(decoded.samples, decoded.sample_rate, 16000)
    return np.concatenate([speech, np.zeros(3 * 16000, dtype=np.float32), speech])


def test_a_second_engine_gives_a_schema_valid_transcript() -> None:
    engine = ScriptedEngine("Строка", "Line")
    assert isinstance(engine, Recogniser)
    typed: Recogniser = engine  # and so for mypy: the protocol's signatures hold
    samples = two_utterances()
    options = TranscribeOptions(translate_to="en", diarize=False)

    transcript = transcribe(samples, typed, options, exhibit_sha256="e" * 64)

    jsonschema.validate(transcript.to_dict(), load_schema("transcript"))
    assert (transcript.model_name, transcript.model_sha256) == ("scripted-engine", "5" * 64)
    assert transcript.compute_type is None and transcript.processing["device"] == "cpu"
    assert transcript.language == "ru" and transcript.language_probability == 0.97
    # The pipeline found the speech and the engine read only there: the two utterances,
    # and nothing in the silence between them.
    lines = transcript.segments
    assert len(lines) >= 2
    assert [s.text for s in lines] == [f"Строка {n}." for n in range(1, len(lines) + 1)]
    assert [s.id for s in lines] == list(range(len(lines)))  # renumbered after the guards
    gap_start, gap_end = (len(samples) / 16000 - 3) / 2, (len(samples) / 16000 + 3) / 2
    assert not any(gap_start + 0.5 < s.start and s.end < gap_end - 0.5 for s in lines)
    assert lines[0].start < gap_start < gap_end < lines[-1].end
    # The loop the engine wrote is gone, and counted.
    assert transcript.processing["guards"]["removed"] == {"loop": 1}
    # Translation: asked in the detected language, then aligned one line per segment.
    assert engine.asked == [("transcribe", None), ("translate", "ru")]
    assert transcript.translation is not None
    assert [(t.id, t.start, t.end) for t in transcript.translation] == [
        (s.id, s.start, s.end) for s in lines
    ]
    assert [t.text for t in transcript.translation] == [
        f"Line {n}." for n in range(1, len(lines) + 1)
    ]
