"""Transcript data, shaped like faster-whisper's ``Segment`` and ``Word`` so tools can read it.

Times are seconds from the start of the recording. ``speaker`` is a diarization label
("S1", "S2", …) or None when speakers were not separated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str  # as Whisper emits it, usually with its leading space
    probability: float = 1.0
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "word": self.word,
            "probability": self.probability,
        }
        if self.speaker is not None:
            data["speaker"] = self.speaker
        return data


@dataclass(frozen=True)
class Segment:
    id: int
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = field(default_factory=tuple)
    speaker: str | None = None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "start": self.start,
            "end": self.end,
            "speaker": self.speaker,
            "text": self.text,
            "avg_logprob": self.avg_logprob,
            "no_speech_prob": self.no_speech_prob,
            "words": [word.to_dict() for word in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        words = tuple(
            Word(w["start"], w["end"], w["word"], w.get("probability", 1.0), w.get("speaker"))
            for w in data.get("words", [])
        )
        return cls(
            id=data["id"],
            start=data["start"],
            end=data["end"],
            text=data["text"],
            words=words,
            speaker=data.get("speaker"),
            avg_logprob=data.get("avg_logprob"),
            no_speech_prob=data.get("no_speech_prob"),
        )


@dataclass(frozen=True)
class Transcript:
    """A transcript with an optional translation aligned to the same segment times."""

    exhibit_sha256: str
    language: str
    segments: tuple[Segment, ...]
    model_name: str
    model_sha256: str
    language_probability: float | None = None
    compute_type: str | None = None
    translation_language: str | None = None
    translation: tuple[Segment, ...] | None = None
    translation_method: str | None = None
    # The weights that wrote the translation: Whisper's own for its translate task, else the
    # text translation model's (``translator``).
    translation_model_name: str | None = None
    translation_model_sha256: str | None = None
    duration: float | None = None
    # How it was made beyond the model: speech found, guards applied, speaker model.
    processing: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``transcript.schema.json``."""
        return {
            "schema": "earwitness.transcript/1",
            "exhibit_sha256": self.exhibit_sha256,
            "language": self.language,
            "language_probability": self.language_probability,
            "model": {
                "name": self.model_name,
                "sha256": self.model_sha256,
                **({"compute_type": self.compute_type} if self.compute_type else {}),
            },
            "segments": [segment.to_dict() for segment in self.segments],
            "translation": None
            if self.translation is None
            else {
                "language": self.translation_language or "en",
                "method": self.translation_method or "whisper-translate",
                **(
                    {
                        "model": {
                            "name": self.translation_model_name,
                            "sha256": self.translation_model_sha256,
                        }
                    }
                    if self.translation_model_name and self.translation_model_sha256
                    else {}
                ),
                "segments": [segment.to_dict() for segment in self.translation],
            },
            "duration": self.duration,
            "processing": self.processing,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        translation = data.get("translation")
        return cls(
            exhibit_sha256=data["exhibit_sha256"],
            language=data["language"],
            segments=tuple(Segment.from_dict(s) for s in data["segments"]),
            model_name=data["model"]["name"],
            model_sha256=data["model"]["sha256"],
            language_probability=data.get("language_probability"),
            compute_type=data["model"].get("compute_type"),
            translation_language=translation["language"] if translation else None,
            translation=tuple(Segment.from_dict(s) for s in translation["segments"])
            if translation
            else None,
            translation_method=translation.get("method") if translation else None,
            translation_model_name=(translation.get("model") or {}).get("name")
            if translation
            else None,
            translation_model_sha256=(translation.get("model") or {}).get("sha256")
            if translation
            else None,
            duration=data.get("duration"),
            processing=data.get("processing") or {},
        )
