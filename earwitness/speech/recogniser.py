"""The seam between the transcription pipeline and a speech engine.

``transcribe.transcribe`` finds the speech, then asks a ``Recogniser`` for text on it, guards,
labels speakers and assembles the transcript. Any engine that offers what this protocol
declares plugs in; faster-whisper's ``asr.Recognizer`` is the one shipped. The model's name and
SHA-256 go into every transcript (and the transcript artefact's record), so an engine must say
exactly which weights produced the text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from earwitness.speech.options import DecodeOptions
    from earwitness.speech.types import Segment
    from earwitness.speech.vad import SpeechMap

# "translate": the speech in English, as Whisper's translate task gives it.
Task = Literal["transcribe", "translate"]


@dataclass(frozen=True)
class Detected:
    """The spoken language as the recogniser found (or was told) it."""

    language: str
    probability: float | None


class ModelIdentity(Protocol):
    """The weights behind a recogniser, as a transcript records them."""

    @property
    def name(self) -> str: ...

    @property
    def sha256(self) -> str: ...


@runtime_checkable  # isinstance checks that the members exist, not their signatures
class Recogniser(Protocol):
    """A loaded speech engine, as ``transcribe.transcribe`` uses it."""

    @property
    def model(self) -> ModelIdentity: ...

    @property
    def device(self) -> str:
        """Where it runs ("cpu", "cuda"), recorded in the transcript's processing facts."""
        ...

    @property
    def compute_type(self) -> str | None:
        """The numeric type of the weights as run ("int8", "float16"), or None."""
        ...

    def recognise(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        task: Task = "transcribe",
    ) -> tuple[Iterator[Segment], Detected]:
        """Segments of the speech in ``speech`` on the recording's clock, numbered from 0 and
        in time order, yielded as they are decoded, and the language they are in.

        ``samples16k`` is the whole recording, 16 kHz mono float32; ``speech`` says where the
        speech is (nothing outside it should be read). With ``options.language`` set the
        engine must use it rather than detect one.
        """
        ...


@runtime_checkable
class TwoTaskRecogniser(Recogniser, Protocol):
    """A recogniser that decodes transcription and translation from one reading of the
    speech (``asr.Recognizer`` does, encoding each window once for both)."""

    def recognise_tasks(
        self,
        samples16k: np.ndarray,
        speech: SpeechMap,
        options: DecodeOptions,
        *,
        tasks: tuple[Task, ...] = ("transcribe", "translate"),
        translate_from: Callable[[str], bool] = ...,
    ) -> tuple[Iterator[dict[Task, list[Segment]]], Detected]:
        """Batch by batch, each task's segments on the recording's clock; "translate" only
        where ``translate_from(language)`` holds for the language found."""
        ...


@runtime_checkable
class TranslationEngine(Protocol):
    """An engine that translates a transcript's text (not its audio) into English
    (``translator.TextTranslator`` is the one shipped)."""

    @property
    def model(self) -> ModelIdentity: ...

    @property
    def method(self) -> str:
        """How the English was made, as the transcript records it."""
        ...

    def translate(
        self,
        originals: Sequence[Segment],
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[Segment, ...]:
        """One English segment per original, with its id, times and speaker;
        ``progress(done, total)`` as it goes."""
        ...
